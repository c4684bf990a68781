/**
 * Herald's wire vocabulary (docs/protocol.md): message types, error codes, close
 * codes and the data of each message. The one source for the SDK and the server,
 * which imports it at build time and run time as `@herald/client/protocol`
 * (the AsyncAPI document at /asyncapi.json is built from MESSAGE_TYPES and
 * ERROR_CODES). No runtime dependency.
 */

export type GatewayPath = '/demo' | '/notification';
/** The two streams every `/notification` connection holds implicitly. */
export type StreamName = 'user' | 'broadcast';
/** What `notification.data.stream` can say: one of the implicit streams, or a channel (§10). */
export type NotificationStream = StreamName | 'channel';

/** §3: message `type` and notification `event` names. */
export const TYPE_PATTERN = /^[a-z0-9_.:-]{1,64}$/;
/** §10: channel names. */
export const CHANNEL_NAME_PATTERN = /^[A-Za-z0-9_.:@-]{1,128}$/;
export const MAX_ID_LENGTH = 64;
export const MAX_TEXT_LENGTH = 4096;

export interface StreamPosition {
  offset: number;
  epoch: string;
}

export type StreamPositions = Record<StreamName, StreamPosition>;

export interface Envelope<T extends string = string, D = unknown> {
  type: T;
  data?: D;
  id?: string;
}

/** §3: every error code, in the contract's order. Adding one is one line here. */
export const ERROR_CODES = [
  'bad_json',
  'binary_unsupported',
  'invalid',
  'unknown_type',
  'unauthenticated',
  'unauthorized',
  'forbidden',
  'channel_limit',
  'rate_limited',
  'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface FieldError {
  field: string;
  messages: string[];
}

export interface ErrorData {
  code: ErrorCode;
  message: string;
  /** With `invalid`: what failed, field by field. */
  errors?: FieldError[];
}

// ---- data of each message ----

export interface AuthData {
  token: string;
  /** `/notification` only: the last position seen in each stream; a stream left out is not replayed. */
  recover?: Partial<StreamPositions>;
}

export interface AuthOkData {
  connectionId: string;
  userId: string;
  /** ms epoch of the JWT's `exp`. */
  expiresAt: number;
  heartbeatMs: number;
  /** `/notification` only: the last position of each stream. */
  streams?: StreamPositions;
  /** `/notification` only, when `auth` carried `recover`. */
  recovered?: boolean;
}

export interface BroadcastData {
  text: string;
}

export interface DirectData {
  to: string;
  text: string;
}

export interface ChatData {
  from: string;
  text: string;
}

/** §10: `subscribe`. */
export interface SubscribeData {
  channel: string;
  /** A subscription token: a JWT with `sub` = the connection's user and `channel` = this channel. */
  token?: string;
  /** The last position seen in this channel; ignored when the connection already holds it. */
  recover?: StreamPosition;
}

/** §10: the answer to `subscribe`: the position of the channel's last notification (offset 0 when none yet). */
export interface SubscribedData {
  channel: string;
  offset: number;
  epoch: string;
  /** Only when the `subscribe` carried `recover` (and the channel was not already held). */
  recovered?: boolean;
}

export interface UnsubscribeData {
  channel: string;
}

export interface UnsubscribedData {
  channel: string;
}

/** The default payload of a notification: whatever JSON object the publisher sent (`{}` when none). */
export type NotificationPayload = Record<string, unknown>;

interface NotificationFields<P> {
  /** The `id` the REST call answered. */
  id: string;
  event: string;
  payload: P;
  offset: number;
  epoch: string;
  /** ms epoch. */
  ts: number;
}

/** A notification of the connection's own `user` or `broadcast` stream (§5). */
export interface StreamNotificationData<P = NotificationPayload> extends NotificationFields<P> {
  stream: StreamName;
  channel?: undefined;
}

/** A notification of a channel (§10): `offset` and `epoch` are the channel's. */
export interface ChannelNotificationData<P = NotificationPayload> extends NotificationFields<P> {
  stream: 'channel';
  channel: string;
}

/** `notification.data`; `P` is the payload type (narrow it by `event` in your own code). */
export type NotificationData<P = NotificationPayload> = StreamNotificationData<P> | ChannelNotificationData<P>;

// ---- messages, by gateway and direction: type → data ----
//
// The one list of message types. Adding a message is one line in one of the four maps below:
// `inbox: message<InboxData>()`. The interfaces, MESSAGE_TYPES (what the AsyncAPI document and the
// server check against) and the SDK's typed send/receive all follow from these maps.

/** A phantom: the value is never read, its type carries the message's `data`. */
const message = <D = undefined>() => undefined as unknown as D;

const DEMO_CLIENT = {
  auth: message<AuthData>(),
  ping: message(),
  echo: message<unknown>(),
  broadcast: message<BroadcastData>(),
  direct: message<DirectData>(),
};
const NOTIFICATION_CLIENT = {
  auth: message<AuthData>(),
  ping: message(),
  subscribe: message<SubscribeData>(),
  unsubscribe: message<UnsubscribeData>(),
};
const DEMO_SERVER = {
  auth_ok: message<AuthOkData>(),
  pong: message(),
  echo: message<unknown>(),
  ack: message(),
  broadcast: message<ChatData>(),
  direct: message<ChatData>(),
  error: message<ErrorData>(),
};
const NOTIFICATION_SERVER = {
  auth_ok: message<AuthOkData>(),
  pong: message(),
  notification: message<NotificationData>(),
  subscribed: message<SubscribedData>(),
  unsubscribed: message<UnsubscribedData>(),
  error: message<ErrorData>(),
};

export type DemoClientMessages = typeof DEMO_CLIENT;
export type NotificationClientMessages = typeof NOTIFICATION_CLIENT;
export type DemoServerMessages = typeof DEMO_SERVER;
export type NotificationServerMessages = typeof NOTIFICATION_SERVER;

/** Each client message's direct (success) reply; an `error` may answer any of them. */
export const REPLY_TYPES = {
  demo: { auth: 'auth_ok', ping: 'pong', echo: 'echo', broadcast: 'ack', direct: 'ack' },
  notification: { auth: 'auth_ok', ping: 'pong', subscribe: 'subscribed', unsubscribe: 'unsubscribed' },
} as const satisfies {
  demo: Record<keyof DemoClientMessages, keyof DemoServerMessages>;
  notification: Record<keyof NotificationClientMessages, keyof NotificationServerMessages>;
};
export type DemoReplies = typeof REPLY_TYPES.demo;
export type NotificationReplies = typeof REPLY_TYPES.notification;

/** The maps of one gateway; for the union `GatewayPath` (path not known statically) the messages both accept. */
export type ClientMessagesOf<P extends GatewayPath> = [P] extends ['/demo']
  ? DemoClientMessages
  : [P] extends ['/notification']
    ? NotificationClientMessages
    : DemoClientMessages & NotificationClientMessages;
export type ServerMessagesOf<P extends GatewayPath> = [P] extends ['/demo']
  ? DemoServerMessages
  : [P] extends ['/notification']
    ? NotificationServerMessages
    : DemoServerMessages & NotificationServerMessages;
export type RepliesOf<P extends GatewayPath> = [P] extends ['/demo']
  ? DemoReplies
  : [P] extends ['/notification']
    ? NotificationReplies
    : DemoReplies & NotificationReplies;

/** The envelope union of a type → data map. */
export type EnvelopeOf<M> = { [K in keyof M & string]: Envelope<K, M[K]> }[keyof M & string];

/** Frames a client sends, by gateway. */
export type DemoClientMessage = EnvelopeOf<DemoClientMessages>;
export type NotificationClientMessage = EnvelopeOf<NotificationClientMessages>;
export type ClientMessage = DemoClientMessage | NotificationClientMessage;

/** Frames Herald sends, by gateway. */
export type DemoServerMessage = EnvelopeOf<DemoServerMessages>;
export type NotificationServerMessage = EnvelopeOf<NotificationServerMessages>;
export type ServerMessage = DemoServerMessage | NotificationServerMessage;

const typesOf = <M extends object>(map: M) => Object.keys(map) as (keyof M & string)[];

/** The type names of the maps above, as values, in their order. */
export const MESSAGE_TYPES = {
  demo: { client: typesOf(DEMO_CLIENT), server: typesOf(DEMO_SERVER) },
  notification: { client: typesOf(NOTIFICATION_CLIENT), server: typesOf(NOTIFICATION_SERVER) },
};


/**
 * §7's close codes, the standard ones a client also sees (1000 a normal close,
 * 1006 a connection dropped without a close frame, 1011 an unexpected server
 * failure: reconnect with backoff and recovery) and Herald's addition 4010
 * (insufficient state: notifications of a stream the connection holds were
 * missed and are no longer in history; reconnect at once with recovery, which
 * answers `recovered: false`).
 */
export const CloseCode = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  ABNORMAL: 1006,
  MESSAGE_TOO_BIG: 1009,
  INTERNAL_ERROR: 1011,
  HEARTBEAT_TIMEOUT: 4000,
  SLOW_CONSUMER: 4001,
  INSUFFICIENT_STATE: 4010,
  UNAUTHORIZED: 4401,
  AUTH_TIMEOUT: 4408,
  RATE_LIMITED: 4429,
} as const;
export type CloseCodeValue = (typeof CloseCode)[keyof typeof CloseCode];

/** The close codes of §7's table: the ones Herald's own logic chooses. */
export const PROTOCOL_CLOSE_CODES = [
  CloseCode.GOING_AWAY,
  CloseCode.MESSAGE_TOO_BIG,
  CloseCode.HEARTBEAT_TIMEOUT,
  CloseCode.SLOW_CONSUMER,
  CloseCode.UNAUTHORIZED,
  CloseCode.AUTH_TIMEOUT,
  CloseCode.RATE_LIMITED,
] as const;

/** Every code Herald itself closes a connection with: §7's, 1011 and 4010. */
export const HERALD_CLOSE_CODES = [...PROTOCOL_CLOSE_CODES, CloseCode.INTERNAL_ERROR, CloseCode.INSUFFICIENT_STATE] as const;

// ---- REST (§6, §10): bodies and answers ----

export interface PublishToUsersBody<P = NotificationPayload> {
  userIds: string[];
  event: string;
  payload?: P;
  idempotencyKey?: string;
}

export interface PublishBroadcastBody<P = NotificationPayload> {
  event: string;
  payload?: P;
  idempotencyKey?: string;
}

export interface PublishToChannelsBody<P = NotificationPayload> {
  /** 1..100 channel names. */
  channels: string[];
  event: string;
  payload?: P;
  idempotencyKey?: string;
}

/** 202 of every publish. */
export interface PublishAccepted {
  id: string;
}

/** `GET /presence/:userId`. */
export interface UserPresence {
  userId: string;
  online: boolean;
  connections: number;
}

/** `GET /channels/:channel/presence`. */
export interface ChannelPresence {
  channel: string;
  /** Connections holding the channel, across the cluster. */
  subscribers: number;
  /** The distinct user ids among them, at most 1000. */
  users: string[];
}

export interface ChannelHistoryEntry<P = NotificationPayload> {
  id: string;
  event: string;
  payload: P;
  offset: number;
  ts: number;
}

/** `GET /channels/:channel/history?since&limit`. */
export interface ChannelHistory<P = NotificationPayload> {
  channel: string;
  epoch: string;
  /** The channel's last offset. */
  offset: number;
  /** Oldest first. */
  notifications: ChannelHistoryEntry<P>[];
}

/** `POST /auth/ticket`. */
export interface TicketAnswer {
  ticket: string;
  expiresIn: number;
}
