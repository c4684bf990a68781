import { API_KEY, authenticate, getTicket, mintToken, openSocket, postJson, startHerald, type Frame, type Herald, type TestClient } from './support/harness.js';
import { eventually, roundTrip } from './support/e2e.js';
import { deletePrefix, REDIS_URL, requireRedis, uniquePrefix } from './support/redis.js';

/** PROTOCOL §10 across a cluster (§9): three instances on one real Redis behave as one for channels. */
describe('channels across instances (REDIS_URL)', () => {
  const prefix = uniquePrefix('channels');
  const env = { REDIS_URL, REDIS_KEY_PREFIX: prefix, PUBLIC_CHANNEL_PREFIXES: 'public:', HISTORY_SIZE: '5' };
  let a: Herald, b: Herald, c: Herald;
  const clients: TestClient[] = [];
  let seq = 0;

  beforeAll(async () => {
    await requireRedis();
    [a, b, c] = await Promise.all([startHerald(env), startHerald(env), startHerald(env)]);
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((cl) => cl.close()));
  });
  afterAll(async () => {
    await Promise.allSettled([a, b, c].filter(Boolean).map((h) => h.close()));
    if (a) await deletePrefix(prefix);
  });

  async function connect(h: Herald, userId: string, claims: Record<string, unknown> = {}) {
    const token = mintToken(userId, { claims });
    const client = await openSocket(h, '/notification', await getTicket(h, token));
    clients.push(client);
    await authenticate(client, token);
    return client;
  }
  const subscribe = (client: TestClient, data: Record<string, unknown>) => client.request({ type: 'subscribe', id: `s-${++seq}`, data });
  const publish = async (h: Herald, channels: string[], extra: Record<string, unknown> = {}) => {
    const res = await postJson(h, '/notifications/channels', { channels, event: 'doc.edited', ...extra });
    expect(res.status).toBe(202);
    return res.body.id as string;
  };
  const get = async (h: Herald, path: string) => {
    const res = await fetch(`${h.url}${path}`, { headers: { 'x-api-key': API_KEY } });
    return { status: res.status, body: (await res.json()) as any };
  };
  const drained = async (client: TestClient): Promise<Frame['data'][]> => {
    await roundTrip(client);
    const got = client.frames.filter((f) => f.type === 'notification').map((f) => f.data);
    client.frames.splice(0);
    return got;
  };

  it('delivers a channel notification published on one instance to its subscribers on every instance, once, in offset order', async () => {
    const [onA, onB, onC] = [await connect(a, 'x1'), await connect(b, 'x2'), await connect(c, 'x3')];
    for (const cl of [onA, onB, onC]) expect((await subscribe(cl, { channel: 'public:x' })).type).toBe('subscribed');
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(await publish([a, b, c][i % 3], ['public:x'], { payload: { i } }));
    for (const cl of [onA, onB, onC]) {
      const got = [];
      for (let i = 0; i < 5; i++) got.push((await cl.nextOfType('notification')).data);
      expect(got.map((d) => [d.id, d.offset, d.stream, d.channel])).toEqual(ids.map((id, i) => [id, i + 1, 'channel', 'public:x']));
      expect(await drained(cl)).toEqual([]);
    }
  });

  it('delivers a publication to several channels held on different instances, once per channel', async () => {
    const onA = await connect(a, 'm1', { channels: ['m:*'] });
    const onB = await connect(b, 'm2', { channels: ['m:*'] });
    await subscribe(onA, { channel: 'm:1' });
    await subscribe(onA, { channel: 'm:2' });
    await subscribe(onB, { channel: 'm:2' });
    const id = await publish(c, ['m:1', 'm:2', 'm:3']);
    const atA = [await onA.nextOfType('notification'), await onA.nextOfType('notification')].map((f) => f.data.channel).sort();
    expect(atA).toEqual(['m:1', 'm:2']);
    expect((await onB.nextOfType('notification')).data).toMatchObject({ id, channel: 'm:2', offset: 1 });
    expect(await drained(onA)).toEqual([]);
    expect(await drained(onB)).toEqual([]);
  });

  it('stops delivering to an instance once its last subscriber unsubscribes, and starts again on a new subscribe', async () => {
    const onB = await connect(b, 'u1');
    const first = await subscribe(onB, { channel: 'public:u' });
    await onB.request({ type: 'unsubscribe', id: 'u-1', data: { channel: 'public:u' } });
    await publish(a, ['public:u']);
    expect(await drained(onB)).toEqual([]);
    const again = await subscribe(onB, { channel: 'public:u', recover: { offset: 0, epoch: first.data.epoch } });
    expect(again.data).toMatchObject({ recovered: true, offset: 1 });
    expect((await drained(onB)).map((d) => d.offset)).toEqual([1]);
    await publish(c, ['public:u']);
    expect((await onB.nextOfType('notification')).data.offset).toBe(2);
  });

  it('recovers a channel on another instance than the one the client saw it on', async () => {
    const onA = await connect(a, 'r1');
    const sub = await subscribe(onA, { channel: 'public:r' });
    await publish(b, ['public:r']);
    const seen = (await onA.nextOfType('notification')).data;
    await onA.close();
    const missed = [await publish(c, ['public:r']), await publish(a, ['public:r'])];
    const onB = await connect(b, 'r1');
    const reply = await subscribe(onB, { channel: 'public:r', recover: { offset: seen.offset, epoch: sub.data.epoch } });
    expect(reply.data).toEqual({ channel: 'public:r', offset: 3, epoch: sub.data.epoch, recovered: true });
    expect((await drained(onB)).map((d) => d.id)).toEqual(missed);
  });

  it('counts channel presence across instances, with distinct users, and forgets closed connections', async () => {
    const [p1, p2, p3] = [await connect(a, 'alice'), await connect(b, 'alice'), await connect(c, 'bob')];
    for (const cl of [p1, p2, p3]) await subscribe(cl, { channel: 'public:room' });
    for (const h of [a, b, c]) {
      const p = await get(h, '/channels/public:room/presence');
      expect(p.body.subscribers).toBe(3);
      expect([...p.body.users].sort()).toEqual(['alice', 'bob']);
    }
    await p2.close();
    await p3.request({ type: 'unsubscribe', id: 'leave', data: { channel: 'public:room' } });
    await eventually(async () => expect((await get(a, '/channels/public:room/presence')).body).toEqual({ channel: 'public:room', subscribers: 1, users: ['alice'] }));
  });

  it('serves the same history from every instance, and holds an idempotencyKey across them', async () => {
    const body = { channels: ['public:h'], event: 'once', idempotencyKey: `k-${prefix}` };
    const first = await postJson(a, '/notifications/channels', body);
    const second = await postJson(b, '/notifications/channels', body);
    expect(second.body.id).toBe(first.body.id);
    await publish(c, ['public:h']);
    const histories = await Promise.all([a, b, c].map((h) => get(h, '/channels/public:h/history')));
    for (const hist of histories) {
      expect(hist.body.offset).toBe(2);
      expect(hist.body.notifications.map((n: any) => n.offset)).toEqual([1, 2]);
      expect(hist.body.notifications[0].id).toBe(first.body.id);
    }
    expect(new Set(histories.map((hh) => hh.body.epoch)).size).toBe(1);
  });
});
