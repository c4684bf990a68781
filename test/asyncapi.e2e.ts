import { MESSAGE_MAPPING_METADATA, MESSAGE_METADATA } from '@nestjs/websockets/constants.js';
import { Ajv } from 'ajv';
import WebSocket from 'ws';
import { HERALD_CLOSE_CODES, HeraldClient, MESSAGE_TYPES } from '../client/src/index.js';
import { DemoGateway } from '../src/gateways/demo.gateway.js';
import { NotificationGateway } from '../src/gateways/notification.gateway.js';
import { connectUser, mintToken, postJson, startHerald, type Frame, type Herald } from './support/harness.js';
import { recordFrames } from './support/e2e.js';

type Doc = Record<string, any>;
type Gateway = 'demo' | 'notification';
type Direction = 'client' | 'server';
const GATEWAYS: Gateway[] = ['demo', 'notification'];

/** The message type names per gateway and direction, read from the document's channels. */
function documentedTypes(doc: Doc): Record<Gateway, Record<Direction, string[]>> {
  const out = { demo: { client: [], server: [] }, notification: { client: [], server: [] } } as Record<Gateway, Record<Direction, string[]>>;
  for (const gateway of GATEWAYS) {
    for (const [key, { $ref }] of Object.entries<{ $ref: string }>(doc.channels[gateway].messages)) {
      const message = resolve(doc, $ref);
      out[gateway][key.startsWith('client_') ? 'client' : 'server'].push(message.payload.properties.type.const);
    }
  }
  return out;
}

function resolve(doc: Doc, ref: string): any {
  expect(ref.startsWith('#/')).toBe(true);
  return ref.slice(2).split('/').reduce((node, part) => node?.[part], doc);
}

function refsIn(node: unknown, found: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => refsIn(n, found));
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) k === '$ref' ? found.push(v as string) : refsIn(v, found);
  }
  return found;
}

/** The message names a gateway class handles, from Nest's @SubscribeMessage metadata. */
function handledTypes(gateway: new (...args: never[]) => unknown): string[] {
  const proto = gateway.prototype as Record<string, unknown>;
  return Object.getOwnPropertyNames(proto)
    .filter((name) => typeof proto[name] === 'function' && Reflect.getMetadata(MESSAGE_MAPPING_METADATA, proto[name] as object))
    .map((name) => Reflect.getMetadata(MESSAGE_METADATA, proto[name] as object) as string);
}

const sorted = (xs: readonly string[]) => [...xs].sort();

/** Subscribes the SDK to a channel; `delivered` settles with its first notification. */
async function subscribedSdk(client: HeraldClient, channel: string) {
  const sub = client.subscribe(channel);
  const delivered = new Promise((resolve) => sub.once('notification', resolve));
  await sub.ready();
  return { sub, delivered };
}

describe('AsyncAPI document at /asyncapi.json', () => {
  let h: Herald;
  let doc: Doc;
  beforeAll(async () => {
    h = await startHerald({ PUBLIC_CHANNEL_PREFIXES: 'public:' });
    const res = await fetch(`${h.url}/asyncapi.json`);
    expect(res.status).toBe(200);
    doc = (await res.json()) as Doc;
  });
  const cleanup: Array<() => unknown> = [];
  afterEach(() => Promise.all(cleanup.splice(0).map((f) => f())));
  afterAll(() => h.close());

  it('is AsyncAPI 3 with one channel per gateway, and every $ref resolves', () => {
    expect(doc.asyncapi).toBe('3.0.0');
    expect(doc.servers.herald.host).toBe(new URL(h.url).host);
    expect(doc.channels.demo.address).toBe('/demo');
    expect(doc.channels.notification.address).toBe('/notification');
    const refs = refsIn(doc);
    expect(refs.length).toBeGreaterThan(40);
    for (const ref of refs) expect([ref, resolve(doc, ref) !== undefined]).toEqual([ref, true]);
  });

  it("lists exactly the gateways' @SubscribeMessage handlers as client messages", () => {
    const documented = documentedTypes(doc);
    expect(sorted(handledTypes(DemoGateway))).toEqual(sorted(documented.demo.client));
    expect(sorted(handledTypes(NotificationGateway))).toEqual(sorted(documented.notification.client));
  });

  it('has an operation for every message, and the close codes Herald uses', () => {
    const ops = Object.values<any>(doc.operations);
    for (const gateway of GATEWAYS) {
      for (const key of Object.keys(doc.channels[gateway].messages)) {
        const action = key.startsWith('client_') ? 'receive' : 'send';
        const ref = `#/channels/${gateway}/messages/${key}`;
        expect([key, ops.some((op) => op.action === action && op.messages.some((m: { $ref: string }) => m.$ref === ref))]).toEqual([key, true]);
      }
      // §7's table, plus 1011 and 4010, which Herald also closes with
      const codes = doc.channels[gateway]['x-close-codes'].map((c: { code: number }) => c.code);
      expect(sorted(codes.map(String))).toEqual(sorted(HERALD_CLOSE_CODES.map(String)));
    }
  });

  it('describes the frames a live Herald and the SDK actually exchange', async () => {
    const ajv = new Ajv({ strict: false, validateFormats: false });
    ajv.addSchema(doc, 'asyncapi');
    const check = (gateway: Gateway, dir: Direction, frame: Frame) => {
      const validate = ajv.getSchema(`asyncapi#/components/messages/${gateway}_${dir}_${frame.type}/payload`);
      expect([gateway, dir, frame.type, validate !== undefined]).toEqual([gateway, dir, frame.type, true]);
      expect([frame, validate!(frame), validate!.errors ?? null]).toEqual([frame, true, null]);
    };
    const notification = ajv.getSchema('asyncapi#/components/messages/notification_server_notification/payload')!;
    expect(notification({ type: 'notification', data: { id: 'x', event: 'e', payload: {}, stream: 'user', offset: 0, epoch: 'e', ts: 1 } })).toBe(false);
    expect(notification({ type: 'pong' })).toBe(false);
    const base = { id: 'x', event: 'e', payload: {}, offset: 1, epoch: 'e', ts: 1 };
    expect(notification({ type: 'notification', data: { ...base, stream: 'channel' } })).toBe(false);
    expect(notification({ type: 'notification', data: { ...base, stream: 'user', channel: 'doc:1' } })).toBe(false);
    expect(notification({ type: 'notification', data: { ...base, stream: 'channel', channel: 'doc:1' } })).toBe(true);

    // Client side: every frame the SDK writes, captured at its WebSocket.
    const sent: Array<{ path: string; frame: Frame }> = [];
    class Recording extends WebSocket {
      constructor(url: string) {
        super(url);
      }
      override send(data: any, ...rest: any[]): void {
        sent.push({ path: new URL(this.url).pathname, frame: JSON.parse(String(data)) });
        (super.send as (...a: unknown[]) => void)(data, ...rest);
      }
    }
    const sdk = (path: '/demo' | '/notification') =>
      new HeraldClient({ url: h.url, path, getToken: () => mintToken('sam'), WebSocket: Recording });
    const chat = sdk('/demo');
    const push = sdk('/notification');
    const opened = (c: HeraldClient) => new Promise((resolve) => c.once('open', resolve));
    cleanup.push(() => chat.close(), () => push.close());
    chat.connect();
    push.connect();
    await Promise.all([opened(chat), opened(push)]);

    // Server side: every frame Herald sends, recorded on plain sockets.
    const demo = await connectUser(h, '/demo', 'tess');
    const demoSeen = recordFrames(demo.client);
    const note = await connectUser(h, '/notification', 'tess');
    cleanup.push(() => demo.client.close(), () => note.client.close());
    const noteSeen = recordFrames(note.client);
    await chat.request('echo', { any: ['json'] });
    await chat.request('broadcast', { text: 'hi all' });
    await chat.request('direct', { to: 'tess', text: 'hi tess' });
    await chat.request('ping');
    await demo.client.request({ type: 'echo', id: 'e1', data: 'x' });
    await demo.client.request({ type: 'ping', id: 'p1' });
    await demo.client.request({ type: 'broadcast', id: 'b1', data: { text: 'from tess' } });
    await demo.client.request({ type: 'nope', id: 'n1' });
    await postJson(h, '/notifications', { userIds: ['tess'], event: 'order.shipped', payload: { n: 1 } });
    await note.client.nextOfType('notification');
    await note.client.request({ type: 'auth', id: 'r1', data: { token: mintToken('tess') } });
    await note.client.request({ type: 'ping', id: 'p2' });
    await note.client.request({ type: 'auth', id: 'r2', data: { token: mintToken('someone-else') } });
    // Channels: a raw subscribe, a refused one, a channel notification, an unsubscribe.
    await note.client.request({ type: 'subscribe', id: 's1', data: { channel: 'public:lobby' } });
    await note.client.request({ type: 'subscribe', id: 's2', data: { channel: 'private:x' } });
    const lobby = await subscribedSdk(push, 'public:lobby');
    await postJson(h, '/notifications/channels', { channels: ['public:lobby'], event: 'lobby.msg', payload: { text: 'hi' } });
    await note.client.nextOfType('notification');
    await lobby.delivered;
    await note.client.request({ type: 'unsubscribe', id: 'u1', data: { channel: 'public:lobby' } });
    // The SDK re-subscribes with recover after a reconnect, then unsubscribes.
    push.close();
    push.connect();
    await opened(push);
    await lobby.sub.ready();
    await push.request('ping');
    lobby.sub.unsubscribe();
    await new Promise((resolve) => setTimeout(resolve, 0)); // the wire unsubscribe goes out on the next task
    await push.request('ping');

    const types = (frames: Frame[]) => new Set(frames.map((f) => f.type));
    expect(types([demo.authOk, ...demoSeen])).toEqual(new Set(MESSAGE_TYPES.demo.server));
    expect(types([note.authOk, ...noteSeen])).toEqual(new Set(MESSAGE_TYPES.notification.server));
    for (const f of [demo.authOk, ...demoSeen]) check('demo', 'server', f);
    for (const f of [note.authOk, ...noteSeen]) check('notification', 'server', f);
    expect(types(sent.filter((s) => s.path === '/demo').map((s) => s.frame))).toEqual(new Set(MESSAGE_TYPES.demo.client));
    expect(types(sent.filter((s) => s.path === '/notification').map((s) => s.frame))).toEqual(new Set(MESSAGE_TYPES.notification.client));
    expect(sent.some((s) => s.path === '/notification' && s.frame.type === 'auth' && s.frame.data.recover)).toBe(true);
    expect(sent.some((s) => s.path === '/notification' && s.frame.type === 'subscribe' && s.frame.data.recover)).toBe(true);
    expect(noteSeen.some((f) => f.type === 'error' && f.id === 's2' && f.data.code === 'forbidden')).toBe(true);
    expect(noteSeen.some((f) => f.type === 'notification' && f.data.stream === 'channel' && f.data.channel === 'public:lobby')).toBe(true);
    for (const { path, frame } of sent) check(path.slice(1) as Gateway, 'client', frame);
  });
});
