export { HeraldProvider, useChannel, useHeraldClient, type UseChannel, type UseChannelOptions } from './use-channel.js';
export { useHerald, type MessageHandler, type UseHerald, type UseHeraldOptions } from './use-herald.js';
export { useNotifications, type UseNotifications, type UseNotificationsOptions } from './use-notifications.js';
