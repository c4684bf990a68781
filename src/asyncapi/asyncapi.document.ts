import {
  CHANNEL_NAME_PATTERN,
  CloseCode,
  ERROR_CODES,
  REPLY_TYPES,
  TYPE_PATTERN,
  type DemoClientMessages,
  type DemoServerMessages,
  type NotificationClientMessages,
  type NotificationServerMessages,
} from '@herald/client/protocol';

/**
 * The AsyncAPI 3 description of Herald's two WebSocket gateways (protocol v1.1,
 * docs/protocol.md: connecting, the envelope, /demo, /notification with
 * channels, close codes), served at /asyncapi.json. Its message types, error codes
 * and channel-name rule come from @herald/client/protocol; a test compares the client
 * messages with the gateways' @SubscribeMessage handlers.
 */

type Schema = Record<string, unknown>;
type Direction = 'client' | 'server';

interface MessageSpec {
  summary: string;
  data?: Schema;
  /** Whether the envelope carries `id`: a client may set it; a direct reply repeats it. */
  id: 'optional' | 'reply' | 'none';
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const str = (extra: Schema = {}) => ({ type: 'string', ...extra });
const obj = (properties: Record<string, Schema>, required: string[] = Object.keys(properties)) => ({
  type: 'object',
  properties,
  required,
  additionalProperties: false,
});

const CHANNEL_NAME = str({ pattern: CHANNEL_NAME_PATTERN.source, description: 'channel name: 1 to 128 characters of [A-Za-z0-9_.:@-]' });

const notificationFields = {
  id: str({ format: 'uuid', description: 'the id the REST call answered' }),
  event: str({ pattern: TYPE_PATTERN.source }),
  payload: { type: 'object', description: '{} when the publisher gave none' },
  offset: { type: 'integer', minimum: 1, description: "the stream's (or channel's) offset: the previous one plus 1" },
  epoch: str({ description: 'changes when the history of the stream is lost' }),
  ts: { type: 'integer', description: 'ms epoch' },
};

const schemas: Record<string, Schema> = {
  ChannelName: CHANNEL_NAME,
  StreamPosition: obj({ offset: { type: 'integer', minimum: 0 }, epoch: str({ minLength: 1, maxLength: 128 }) }),
  StreamPositions: obj({ user: ref('StreamPosition'), broadcast: ref('StreamPosition') }, []),
  AuthOk: obj(
    {
      connectionId: str(),
      userId: str(),
      expiresAt: { type: 'integer', description: 'ms epoch of the JWT exp' },
      heartbeatMs: { type: 'integer', description: 'HEARTBEAT_INTERVAL_MS: derive the app-level ping interval from it' },
      streams: { ...ref('StreamPositions'), description: '/notification only: the last position of each stream' },
      recovered: { type: 'boolean', description: '/notification only, when auth carried recover' },
    },
    ['connectionId', 'userId', 'expiresAt', 'heartbeatMs'],
  ),
  Chat: obj({ from: str({ description: 'sender userId' }), text: str({ minLength: 1, maxLength: 4096 }) }),
  StreamNotification: obj({ ...notificationFields, stream: { enum: ['user', 'broadcast'] } }),
  ChannelNotification: obj({ ...notificationFields, stream: { const: 'channel' }, channel: ref('ChannelName') }),
  Notification: {
    oneOf: [ref('StreamNotification'), ref('ChannelNotification')],
    description: "A notification of the connection's user or broadcast stream, or of a channel it subscribed to",
  },
  Subscribe: obj(
    {
      channel: ref('ChannelName'),
      token: str({ description: 'a subscription token: a JWT signed like user JWTs, sub = the user, channel = this channel' }),
      recover: { ...ref('StreamPosition'), description: 'the last position seen in this channel: what was missed since is replayed' },
    },
    ['channel'],
  ),
  Subscribed: obj(
    {
      channel: ref('ChannelName'),
      offset: { type: 'integer', minimum: 0, description: "the channel's last offset (0 when none yet)" },
      epoch: str({ minLength: 1 }),
      recovered: { type: 'boolean', description: 'when subscribe carried recover; the missed notifications follow this reply' },
    },
    ['channel', 'offset', 'epoch'],
  ),
  ChannelRef: obj({ channel: ref('ChannelName') }),
  Error: obj(
    {
      code: {
        enum: [...ERROR_CODES],
      },
      message: str(),
      errors: { type: 'array', items: obj({ field: str(), messages: { type: 'array', items: str() } }) },
    },
    ['code', 'message'],
  ),
};

const auth: MessageSpec = {
  summary: 'Authenticate within AUTH_TIMEOUT_MS of opening (recover: /notification only); again later to refresh the token',
  data: obj({ token: str({ description: 'user JWT, same sub as the ticket' }), recover: ref('StreamPositions') }, ['token']),
  id: 'optional',
};
const ping: MessageSpec = { summary: 'App-level liveness check, answered with pong', id: 'optional' };
const authOk: MessageSpec = { summary: 'auth accepted (first auth or refresh)', data: ref('AuthOk'), id: 'reply' };
const pong: MessageSpec = { summary: 'Answer to ping', id: 'reply' };
const error: MessageSpec = { summary: 'A message was refused; carries the id of the message it answers', data: ref('Error'), id: 'reply' };

type Specs<M> = { [K in keyof M]: MessageSpec };
/** One description per message type of @herald/client/protocol: a type added there and not here fails to compile. */
const MESSAGES: {
  demo: { client: Specs<DemoClientMessages>; server: Specs<DemoServerMessages> };
  notification: { client: Specs<NotificationClientMessages>; server: Specs<NotificationServerMessages> };
} = {
  demo: {
    client: {
      auth,
      ping,
      echo: { summary: 'Sent back to the sender', data: {}, id: 'optional' },
      broadcast: { summary: 'To every authenticated /demo connection, sender included', data: obj({ text: str({ minLength: 1, maxLength: 4096 }) }), id: 'optional' },
      direct: {
        summary: 'To every /demo connection of user `to`',
        data: obj({ to: str({ minLength: 1, maxLength: 256 }), text: str({ minLength: 1, maxLength: 4096 }) }),
        id: 'optional',
      },
    },
    server: {
      auth_ok: authOk,
      pong,
      echo: { summary: 'The data of an echo, to its sender', data: {}, id: 'reply' },
      ack: { summary: 'A broadcast or direct with an id was accepted for delivery', id: 'reply' },
      broadcast: { summary: 'A broadcast from a user', data: ref('Chat'), id: 'none' },
      direct: { summary: 'A direct message to this user', data: ref('Chat'), id: 'none' },
      error,
    },
  },
  notification: {
    client: {
      auth,
      ping,
      subscribe: {
        summary: 'Subscribe to a channel (JWT channels claim, a public prefix, or a subscription token); with recover, replay what was missed',
        data: ref('Subscribe'),
        id: 'optional',
      },
      unsubscribe: { summary: 'Leave a channel (answered even when not held)', data: ref('ChannelRef'), id: 'optional' },
    },
    server: {
      auth_ok: authOk,
      pong,
      notification: {
        summary: 'A notification of the user stream, the broadcast stream or a subscribed channel, in offset order per stream',
        data: ref('Notification'),
        id: 'none',
      },
      subscribed: { summary: "The channel's position; with recover, the missed notifications follow, before any live one", data: ref('Subscribed'), id: 'reply' },
      unsubscribed: { summary: 'Nothing of the channel follows this reply', data: ref('ChannelRef'), id: 'reply' },
      error,
    },
  },
};

const CLOSE_CODES = [
  { code: CloseCode.GOING_AWAY, meaning: 'the instance is shutting down', client: 'reconnect at once, with recovery' },
  { code: CloseCode.MESSAGE_TOO_BIG, meaning: 'a frame over MAX_PAYLOAD_BYTES', client: 'do not send it again' },
  { code: CloseCode.HEARTBEAT_TIMEOUT, meaning: 'no pong since the last heartbeat ping (usually seen as 1006)', client: 'reconnect with backoff' },
  { code: CloseCode.SLOW_CONSUMER, meaning: 'more than SEND_BUFFER_MAX_BYTES unsent (usually seen as 1006)', client: 'reconnect, with recovery' },
  { code: CloseCode.UNAUTHORIZED, meaning: 'unauthorized, or the JWT expired', client: 'get a fresh JWT and ticket, then reconnect' },
  { code: CloseCode.AUTH_TIMEOUT, meaning: 'no auth within AUTH_TIMEOUT_MS', client: 'reconnect' },
  { code: CloseCode.RATE_LIMITED, meaning: 'far over the rate limit', client: 'reconnect after a pause' },
  { code: CloseCode.INTERNAL_ERROR, meaning: 'an unexpected failure on Herald, e.g. the streams of a /notification connection could not be attached', client: 'reconnect with backoff, with recovery' },
  {
    code: CloseCode.INSUFFICIENT_STATE,
    meaning: 'notifications of a stream or channel the connection holds were missed and are no longer in history (Herald’s addition to §7)',
    client: 'reconnect at once, with recovery; recovered: false then says to refetch',
  },
];

const UPGRADE_REFUSALS = [
  { status: 404, when: 'the path is not a gateway' },
  { status: 503, when: 'the instance is at MAX_CONNECTIONS or shutting down' },
  { status: 403, when: 'ALLOWED_ORIGINS is set and Origin is not in it' },
  { status: 401, when: 'the ticket is missing, unknown, expired or already used' },
  { status: 429, when: "the ticket's user holds MAX_CONNECTIONS_PER_USER connections on this instance" },
];

const key = (dir: Direction, type: string) => `${dir}_${type}`;

function message(type: string, spec: MessageSpec, dir: Direction): Schema {
  const properties: Record<string, Schema> = { type: { type: 'string', const: type } };
  if (spec.data) properties.data = spec.data;
  if (spec.id !== 'none') properties.id = str({ maxLength: 64, description: spec.id === 'reply' ? 'the id of the message answered' : 'chosen by the client' });
  return {
    name: type,
    title: `${type} (${dir === 'client' ? 'client → Herald' : 'Herald → client'})`,
    summary: spec.summary,
    contentType: 'application/json',
    payload: { type: 'object', properties, required: spec.data && type !== 'echo' ? ['type', 'data'] : ['type'] },
  };
}

/** Builds the document; `host` is what the client connected to (the Host header). */
export function asyncApiDocument(host = 'localhost:3000'): Record<string, unknown> {
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const messages: Record<string, Schema> = {};
  for (const gateway of ['demo', 'notification'] as const) {
    const channelMessages: Record<string, unknown> = {};
    for (const dir of ['client', 'server'] as const) {
      for (const [type, spec] of Object.entries<MessageSpec>(MESSAGES[gateway][dir])) {
        messages[`${gateway}_${key(dir, type)}`] = message(type, spec, dir);
        channelMessages[key(dir, type)] = { $ref: `#/components/messages/${gateway}_${key(dir, type)}` };
      }
    }
    const msgRef = (dir: Direction, type: string) => ({ $ref: `#/channels/${gateway}/messages/${key(dir, type)}` });
    channels[gateway] = {
      address: `/${gateway}`,
      title: `/${gateway}`,
      description:
        gateway === 'demo'
          ? 'Individual and broadcast messages between users (docs/protocol.md §4).'
          : 'Server push with per-stream offsets, epochs and recovery, and channels: named streams many users share (docs/protocol.md §5, §10).',
      messages: channelMessages,
      bindings: {
        ws: { method: 'GET', query: obj({ ticket: str({ minLength: 22, description: 'one-time ticket from POST /auth/ticket' }) }), bindingVersion: '0.1.0' },
      },
      'x-close-codes': CLOSE_CODES,
      'x-upgrade-refusals': UPGRADE_REFUSALS,
    };
    const replies: Record<string, string> = REPLY_TYPES[gateway];
    for (const [type, spec] of Object.entries<MessageSpec>(MESSAGES[gateway].client)) {
      operations[`${gateway}_receive_${type}`] = {
        action: 'receive',
        channel: { $ref: `#/channels/${gateway}` },
        summary: spec.summary,
        messages: [msgRef('client', type)],
        reply: { channel: { $ref: `#/channels/${gateway}` }, messages: [replies[type], 'error'].map((t) => msgRef('server', t)) },
      };
    }
    for (const [type, spec] of Object.entries<MessageSpec>(MESSAGES[gateway].server)) {
      operations[`${gateway}_send_${type}`] = {
        action: 'send',
        channel: { $ref: `#/channels/${gateway}` },
        summary: spec.summary,
        messages: [msgRef('server', type)],
      };
    }
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Herald WebSocket gateways',
      version: '1.1',
      description:
        'Every frame is one UTF-8 JSON object {type, data?, id?} in a text frame. Connect with a ticket from POST /auth/ticket, ' +
        'then send auth. REST endpoints are described at /docs-json.',
    },
    servers: { herald: { host, protocol: 'ws', description: 'wss behind TLS' } },
    defaultContentType: 'application/json',
    channels,
    operations,
    components: { schemas, messages },
  };
}
