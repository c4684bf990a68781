import type { BackoffOptions } from './backoff.js';
import type { Disconnect } from './close-policy.js';
import type { HeraldError } from './errors.js';
import type {
  AuthOkData,
  ChatData,
  ClientMessagesOf,
  Envelope,
  GatewayPath,
  NotificationData,
  RepliesOf,
  ServerMessagesOf,
  StreamPositions,
} from './protocol.js';
import type { FetchLike, WebSocketConstructor } from './transport.js';

export type ConnectionState = 'idle' | 'connecting' | 'authenticating' | 'open' | 'reconnecting' | 'closed';

/** Why the client asks for a token: `unauthorized` (after a 4401 or a refused JWT) wants a new one, not a cached one. */
export interface TokenRequest {
  reason: 'connect' | 'refresh' | 'unauthorized';
  forceRefresh: boolean;
}

export interface HeraldClientOptions<P extends GatewayPath = GatewayPath> {
  /** Herald's base URL: `https://herald.example.com` (a path prefix is kept). */
  url: string;
  /** The gateway; it decides which message types send()/request() accept. */
  path: P;
  /** Returns a user JWT; called before every connection and before the token expires. */
  getToken: (request: TokenRequest) => string | Promise<string>;
  /** Default: the global WebSocket. In Node < 22 pass the `ws` package's class. */
  WebSocket?: WebSocketConstructor;
  /** Default: the global fetch. */
  fetch?: FetchLike;
  backoff?: BackoffOptions;
  /** For tests: the jitter source (default Math.random). */
  random?: () => number;
  /** Timeout of request(), of the ticket call, of the upgrade and of auth (default 10000 ms). */
  requestTimeoutMs?: number;
  /** Refresh the token this long before it expires, at most a quarter of its remaining life (default 30000 ms). */
  refreshMarginMs?: number;
  /** App-level ping interval (default: auth_ok.heartbeatMs). */
  pingIntervalMs?: number;
  /** No frame this long after a ping means the server is gone (default: min(ping interval, 10000 ms)). */
  pongTimeoutMs?: number;
  /** Stream positions to resume from (e.g. saved by a previous page load). */
  recover?: Partial<StreamPositions>;
  /** Frames over this many bytes are refused locally (default 65536, Herald's MAX_PAYLOAD_BYTES default). */
  maxFrameBytes?: number;
}

export interface StateChange {
  state: ConnectionState;
  previous: ConnectionState;
  /** Consecutive failed attempts since the last auth_ok. */
  attempt: number;
  /** Connections established after the first one. */
  reconnects: number;
  /** With `reconnecting`: how long until the next attempt. */
  delayMs?: number;
  disconnect?: Disconnect;
  error?: HeraldError;
}

export type HeraldEvents = {
  state: StateChange;
  /** Every new authenticated connection (not a token refresh). */
  open: AuthOkData;
  /** Every notification once, in order per stream: the user's, broadcasts and those of subscribed channels (`stream: "channel"`). */
  notification: NotificationData;
  broadcast: ChatData;
  direct: ChatData;
  /** After a reconnect that asked for recovery; on `false`, refetch state from your backend. */
  recovered: { recovered: boolean; streams: Partial<StreamPositions> };
  error: HeraldError;
  /** Every frame received (duplicate notifications excluded). */
  message: Envelope;
};

export interface RequestOptions {
  timeoutMs?: number;
}

/** The message types a client may send on gateway `P` (a typo does not compile). */
export type ClientType<P extends GatewayPath> = keyof ClientMessagesOf<P> & string;
/** The message types Herald sends on gateway `P`. */
export type ServerType<P extends GatewayPath> = keyof ServerMessagesOf<P> & string;

/** `data` is required unless the message type takes none. */
export type SendArgs<P extends GatewayPath, K extends ClientType<P>> =
  undefined extends ClientMessagesOf<P>[K] ? [data?: ClientMessagesOf<P>[K]] : [data: ClientMessagesOf<P>[K]];
export type RequestArgs<P extends GatewayPath, K extends ClientType<P>> =
  undefined extends ClientMessagesOf<P>[K]
    ? [data?: ClientMessagesOf<P>[K], options?: RequestOptions]
    : [data: ClientMessagesOf<P>[K], options?: RequestOptions];

/** The direct reply to message `K` on gateway `P` (an `error` rejects instead). */
export type ReplyTo<P extends GatewayPath, K extends ClientType<P>> = K extends keyof RepliesOf<P>
  ? RepliesOf<P>[K] extends infer R extends ServerType<P>
    ? Envelope<R, ServerMessagesOf<P>[R]>
    : never
  : never;
