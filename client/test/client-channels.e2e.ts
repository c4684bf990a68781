import { API_KEY, mintToken, postJson, startHerald, type Herald } from '../../test/support/harness.js';
import type { ChannelNotificationData, ChannelSubscription, HeraldClient, HeraldError } from '../src/index.js';
import { closeClients, FetchGate, nextEvent, nodeClient, serverConnections } from './support.js';

type Payload = { n: number };

async function publish(h: Herald, channels: string[], n: number): Promise<string> {
  const res = await postJson(h, '/notifications/channels', { channels, event: 'room.msg', payload: { n } });
  expect(res.status).toBe(202);
  return res.body.id;
}

async function presence(h: Herald, channel: string): Promise<{ subscribers: number; users: string[] }> {
  const res = await fetch(`${h.url}/channels/${encodeURIComponent(channel)}/presence`, { headers: { 'x-api-key': API_KEY } });
  expect(res.status).toBe(200);
  return (await res.json()) as { subscribers: number; users: string[] };
}

/** Every notification of a subscription, in arrival order. */
function collectSub<P>(sub: ChannelSubscription<P>): ChannelNotificationData<P>[] {
  const seen: ChannelNotificationData<P>[] = [];
  sub.on('notification', (n) => seen.push(n));
  return seen;
}

/** Resolves once `cond()` holds, checked after each notification of `sub` (no sleeps). */
function untilSub<P>(sub: ChannelSubscription<P>, cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  if (cond()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out waiting for ${what}`));
    }, timeoutMs);
    const off = sub.on('notification', () =>
      queueMicrotask(() => {
        if (!cond()) return;
        clearTimeout(timer);
        off();
        resolve();
      }),
    );
  });
}

const offsets = (list: ChannelNotificationData<unknown>[]) => list.map((n) => n.offset);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Kills the user's /notification sockets server-side, without a close frame (the client sees 1006). */
function dropServerSide(h: Herald, userId: string): number {
  const conns = serverConnections(h, userId, 'notification');
  for (const conn of conns) conn.socket.terminate();
  return conns.length;
}

describe('HeraldClient channels against a real Herald', () => {
  let h: Herald;
  beforeAll(async () => {
    h = await startHerald({ PUBLIC_CHANNEL_PREFIXES: 'public:' });
  });
  afterEach(closeClients);
  afterAll(() => h.close());

  it('subscribes before connect, gets each notification of the channel once, in order, with stream "channel"', async () => {
    const client = nodeClient(h, '/notification', 'ann');
    const room = client.subscribe<Payload>('public:room-1');
    const got = collectSub(room);
    const all: unknown[] = [];
    client.on('notification', (n) => all.push(n));
    expect(room.state).toBe('subscribing');
    client.connect();
    expect(await room.ready()).toEqual({ channel: 'public:room-1', offset: 0, epoch: expect.any(String) });
    expect(room.state).toBe('subscribed');
    const ids = [await publish(h, ['public:room-1'], 1), await publish(h, ['public:room-1', 'public:other'], 2)];
    await untilSub(room, () => got.length === 2, 'two notifications');
    expect(got.map((n) => [n.id, n.stream, n.channel, n.offset, n.payload.n])).toEqual([
      [ids[0], 'channel', 'public:room-1', 1, 1],
      [ids[1], 'channel', 'public:room-1', 2, 2],
    ]);
    expect(all).toHaveLength(2);
    expect(room.position).toEqual({ offset: 2, epoch: got[0].epoch });
    expect(client.channelPositions()).toEqual({ 'public:room-1': { offset: 2, epoch: got[0].epoch } });
  });

  it('re-subscribes with recovery after a dropped connection: what was published meanwhile arrives once, in order, before live ones', async () => {
    const gate = new FetchGate();
    const client = nodeClient(h, '/notification', 'bea', { fetch: gate.fetch, backoff: { baseMs: 20 } });
    const room = client.subscribe<Payload>('public:room-2');
    const got = collectSub(room);
    const recoveries: boolean[] = [];
    room.on('recovered', (r) => recoveries.push(r.recovered));
    client.connect();
    await room.ready();
    for (let i = 1; i <= 3; i++) await publish(h, ['public:room-2'], i);
    await untilSub(room, () => got.length === 3, 'the first three');

    gate.close();
    const down = nextEvent(client, 'state', (s) => s.state === 'reconnecting');
    expect(dropServerSide(h, 'bea')).toBe(1);
    await down;
    expect(room.state).toBe('subscribing');
    for (let i = 4; i <= 7; i++) await publish(h, ['public:room-2'], i);

    const back = nextEvent(client, 'open');
    const resubscribed = room.ready();
    gate.open();
    await back;
    const racing = [publish(h, ['public:room-2'], 8), publish(h, ['public:room-2'], 9)];
    expect(await resubscribed).toMatchObject({ channel: 'public:room-2', recovered: true });
    await Promise.all(racing);
    await untilSub(room, () => got.length === 9, 'all nine');
    await client.request('ping');
    expect(offsets(got)).toEqual(range(1, 9));
    expect(recoveries).toEqual([true]);
    expect(client.reconnects).toBe(1);
  });

  it('resumes from a saved channel position in a new client (a page reload)', async () => {
    const first = nodeClient(h, '/notification', 'cid');
    const sub = first.subscribe('public:room-3');
    first.connect();
    await sub.ready();
    const seen = nextEvent(first, 'notification');
    await publish(h, ['public:room-3'], 1);
    await seen;
    const saved = first.channelPositions();
    first.close();
    const missed = [await publish(h, ['public:room-3'], 2), await publish(h, ['public:room-3'], 3)];

    const second = nodeClient(h, '/notification', 'cid');
    const again = second.subscribe<Payload>('public:room-3', { recover: saved['public:room-3'] });
    const got = collectSub(again);
    second.connect();
    expect(await again.ready()).toMatchObject({ recovered: true, offset: 3 });
    await untilSub(again, () => got.length === 2, 'the two missed');
    expect(got.map((n) => n.id)).toEqual(missed);
  });

  it('refuses a channel the user may not read (forbidden, not retried), and admits it with a JWT claim or a subscription token', async () => {
    const plain = nodeClient(h, '/notification', 'dan');
    const secret = plain.subscribe('team:7');
    const errors: HeraldError[] = [];
    secret.on('error', (e) => errors.push(e));
    plain.connect();
    await expect(secret.ready()).rejects.toMatchObject({ code: 'forbidden' });
    expect(secret.state).toBe('failed');
    expect(plain.state).toBe('open');

    // the JWT's channels claim, with a prefix
    const claimed = nodeClient(h, '/notification', 'dan', { getToken: () => mintToken('dan', { claims: { channels: ['team:7:*'] } }) });
    const doc = claimed.subscribe('team:7:doc-1');
    claimed.connect();
    await expect(doc.ready()).resolves.toMatchObject({ channel: 'team:7:doc-1' });

    // a subscription token, asked for before each subscribe
    const asked: string[] = [];
    const tokened = plain.subscribe('team:7', {
      getToken: (channel) => (asked.push(channel), mintToken('dan', { claims: { channel } })),
    });
    await expect(tokened.ready()).resolves.toMatchObject({ channel: 'team:7' });
    expect(asked).toEqual(['team:7']);
    expect(errors.map((e) => e.code)).toEqual(['forbidden']);
    expect((await presence(h, 'team:7')).users).toEqual(['dan']);
  });

  it('shares one subscription between handles; the last unsubscribe ends it on the server', async () => {
    const client = nodeClient(h, '/notification', 'eve');
    const a = client.subscribe<Payload>('public:room-4');
    const b = client.subscribe<Payload>('public:room-4');
    client.connect();
    await Promise.all([a.ready(), b.ready()]);
    expect(await presence(h, 'public:room-4')).toMatchObject({ subscribers: 1, users: ['eve'] });
    const gotB = collectSub(b);
    a.unsubscribe();
    await publish(h, ['public:room-4'], 1);
    await untilSub(b, () => gotB.length === 1, 'b still subscribed');

    const unsubscribed = nextEvent(client, 'message', (f) => f.type === 'unsubscribed');
    b.unsubscribe();
    expect((await unsubscribed).data).toEqual({ channel: 'public:room-4' });
    expect(await presence(h, 'public:room-4')).toMatchObject({ subscribers: 0, users: [] });
    const after: unknown[] = [];
    client.on('notification', (n) => after.push(n));
    await publish(h, ['public:room-4'], 2);
    await client.request('ping');
    expect(after).toEqual([]);
  });

  it('refuses a bad channel name locally, and subscribe on /demo', () => {
    const client = nodeClient(h, '/notification', 'fay');
    expect(() => client.subscribe('bad name')).toThrow(expect.objectContaining({ code: 'invalid' }));
    const chat = nodeClient(h, '/demo', 'fay') as HeraldClient;
    expect(() => chat.subscribe('public:x')).toThrow(/\/notification only/);
  });
});
