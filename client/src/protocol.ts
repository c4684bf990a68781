/**
 * Herald's wire contract (PROTOCOL.md) as TypeScript types. The AsyncAPI
 * document served at /asyncapi.json is checked against the name lists below
 * by a test, so a message added here and not there (or back) fails CI.
 */

export type GatewayPath = '/demo' | '/notification';
export type StreamName = 'user' | 'broadcast';

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

export type ErrorCode =
  | 'bad_json'
  | 'binary_unsupported'
  | 'invalid'
  | 'unknown_type'
  | 'unauthenticated'
  | 'unauthorized'
  | 'rate_limited'
  | 'internal';

export interface FieldError {
  field: string;
  messages: string[];
}

export interface ErrorData {
  code: ErrorCode;
  message: string;
  errors?: FieldError[];
}

export interface AuthData {
  token: string;
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

export interface ChatData {
  from: string;
  text: string;
}

export interface NotificationData {
  id: string;
  event: string;
  payload: Record<string, unknown>;
  stream: StreamName;
  offset: number;
  epoch: string;
  ts: number;
}

/** Frames a client sends, by gateway. */
export type DemoClientMessage =
  | Envelope<'auth', AuthData>
  | Envelope<'ping', undefined>
  | Envelope<'echo', unknown>
  | Envelope<'broadcast', { text: string }>
  | Envelope<'direct', { to: string; text: string }>;
export type NotificationClientMessage = Envelope<'auth', AuthData> | Envelope<'ping', undefined>;
export type ClientMessage = DemoClientMessage | NotificationClientMessage;

/** Frames Herald sends, by gateway. */
export type DemoServerMessage =
  | Envelope<'auth_ok', AuthOkData>
  | Envelope<'pong', undefined>
  | Envelope<'echo', unknown>
  | Envelope<'ack', undefined>
  | Envelope<'broadcast', ChatData>
  | Envelope<'direct', ChatData>
  | Envelope<'error', ErrorData>;
export type NotificationServerMessage =
  | Envelope<'auth_ok', AuthOkData>
  | Envelope<'pong', undefined>
  | Envelope<'notification', NotificationData>
  | Envelope<'error', ErrorData>;
export type ServerMessage = DemoServerMessage | NotificationServerMessage;

/** The type names of the unions above, as values (checked both ways at compile time below). */
export const MESSAGE_TYPES = {
  demo: {
    client: ['auth', 'ping', 'echo', 'broadcast', 'direct'],
    server: ['auth_ok', 'pong', 'echo', 'ack', 'broadcast', 'direct', 'error'],
  },
  notification: {
    client: ['auth', 'ping'],
    server: ['auth_ok', 'pong', 'notification', 'error'],
  },
} as const satisfies {
  demo: { client: readonly DemoClientMessage['type'][]; server: readonly DemoServerMessage['type'][] };
  notification: { client: readonly NotificationClientMessage['type'][]; server: readonly NotificationServerMessage['type'][] };
};

type Missing<Union extends string, Listed extends string> = Exclude<Union, Listed> extends never ? true : Exclude<Union, Listed>;
const listsAreComplete: [
  Missing<DemoClientMessage['type'], (typeof MESSAGE_TYPES.demo.client)[number]>,
  Missing<DemoServerMessage['type'], (typeof MESSAGE_TYPES.demo.server)[number]>,
  Missing<NotificationClientMessage['type'], (typeof MESSAGE_TYPES.notification.client)[number]>,
  Missing<NotificationServerMessage['type'], (typeof MESSAGE_TYPES.notification.server)[number]>,
] = [true, true, true, true];
void listsAreComplete;

/** PROTOCOL §7. */
export const CloseCode = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  ABNORMAL: 1006,
  MESSAGE_TOO_BIG: 1009,
  INTERNAL_ERROR: 1011,
  HEARTBEAT_TIMEOUT: 4000,
  SLOW_CONSUMER: 4001,
  UNAUTHORIZED: 4401,
  AUTH_TIMEOUT: 4408,
  RATE_LIMITED: 4429,
} as const;
