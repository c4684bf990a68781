export { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
export {
  ChannelSubscription,
  type ChannelEvents,
  type ChannelRecovery,
  type SubscribeOptions,
  type SubscriptionState,
} from './channels.js';
export {
  HeraldClient,
  type ClientType,
  type ConnectionState,
  type HeraldClientOptions,
  type HeraldEvents,
  type ReplyTo,
  type RequestArgs,
  type RequestOptions,
  type SendArgs,
  type ServerType,
  type StateChange,
  type TokenRequest,
} from './client.js';
export { KNOWN_CLOSE_CODES, RATE_LIMIT_PAUSE_MS, reactTo, type Disconnect, type Reaction } from './close-policy.js';
export { HeraldError, type ClientErrorCode } from './errors.js';
export * from './protocol.js';
export { StreamTracker } from './streams.js';
export type { FetchLike, FetchResponseLike, WebSocketConstructor, WebSocketLike } from './transport.js';
