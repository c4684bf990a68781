import { useCallback, useEffect, useState } from 'react';
import type { NotificationPayload, StreamNotificationData } from '../protocol.js';
import { useHerald, type UseHerald, type UseHeraldOptions } from './use-herald.js';

export type UseNotificationsOptions = Omit<UseHeraldOptions<'/notification'>, 'path'> & {
  /** Keep at most this many (default 100). */
  limit?: number;
};

export interface UseNotifications<T = NotificationPayload> extends UseHerald<'/notification'> {
  /** The user's and broadcast notifications, newest first; each once, across reconnects (channels: useChannel). */
  notifications: StreamNotificationData<T>[];
  /** The last reconnect's answer: false means some were missed, so refetch from your backend. Undefined before any recovery. */
  recovered?: boolean;
  clear(): void;
}

/** The `/notification` stream of the signed-in user, as a list. `T` is the payload type. */
export function useNotifications<T = NotificationPayload>(options: UseNotificationsOptions): UseNotifications<T> {
  const limit = options.limit ?? 100;
  const herald = useHerald<'/notification'>({ ...options, path: '/notification' });
  const { on } = herald;
  const [notifications, setNotifications] = useState<StreamNotificationData<T>[]>([]);
  const [recovered, setRecovered] = useState<boolean>();

  useEffect(() => {
    const offs = [
      on('notification', (n) => {
        if (n.stream !== 'channel') setNotifications((list) => [n as StreamNotificationData<T>, ...list].slice(0, limit));
      }),
      on('auth_ok', (ok) => {
        if (ok.recovered !== undefined) setRecovered(ok.recovered);
      }),
    ];
    return () => offs.forEach((off) => off());
  }, [on, limit]);

  const clear = useCallback(() => setNotifications([]), []);
  return { ...herald, notifications, recovered, clear };
}
