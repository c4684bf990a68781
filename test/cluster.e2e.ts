import { Redis } from 'ioredis';
import { REDIS, type RedisConnection } from '../src/redis/redis.connection.js';
import {
  connectUser,
  type Frame,
  getTicket,
  type Herald,
  mintToken,
  openSocket,
  postJson,
  startHerald,
  upgradeStatus,
} from './support/harness.js';
import { ClientPool, notify, presenceCount, until } from './support/e2e.js';
import { deletePrefix, REDIS_URL, requireRedis, uniquePrefix } from './support/redis.js';

/** PROTOCOL §9: three instances on one Redis behave as one. */
describe('cluster mode (REDIS_URL)', () => {
  const prefix = uniquePrefix('cluster');
  const env = { REDIS_URL, REDIS_KEY_PREFIX: prefix };
  let a: Herald, b: Herald, c: Herald;
  const extra: Herald[] = [];
  const clients = new ClientPool();

  const start = async (overrides: Record<string, string> = {}) => {
    const h = await startHerald({ ...env, ...overrides });
    extra.push(h);
    return h;
  };
  const connect = async (...args: Parameters<typeof connectUser>) => {
    const result = await connectUser(...args);
    clients.push(result.client);
    return result;
  };
  const presence = async (h: Herald, userId: string): Promise<number> => {
    const count = await presenceCount(h, userId);
    expect(count).toBeGreaterThanOrEqual(0);
    return count;
  };
  beforeAll(async () => {
    await requireRedis();
    // every instance that did start is closed in afterAll, even when another failed to
    const started = await Promise.allSettled([startHerald(env), startHerald(env), startHerald(env)]);
    for (const r of started) if (r.status === 'fulfilled') extra.push(r.value);
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    [a, b, c] = extra.splice(0, 3);
  });

  afterEach(async () => {
    await clients.closeAll();
  });

  afterAll(async () => {
    await Promise.allSettled([a, b, c, ...extra].filter(Boolean).map((h) => h.close()));
    await deletePrefix(prefix);
  });

  it('reports ready once connected to Redis', async () => {
    for (const h of [a, b, c]) expect((await fetch(`${h.url}/health/ready`)).status).toBe(200);
  });

  it('opens a connection on B with a ticket from A, and only once in the whole cluster', async () => {
    const token = mintToken('ticket-user');
    const ticket = await getTicket(a, token);
    const client = await openSocket(b, '/demo', ticket);
    clients.push(client);
    expect((await client.request({ type: 'auth', id: 'a1', data: { token } })).type).toBe('auth_ok');
    for (const h of [a, b, c]) expect((await upgradeStatus(`${h.wsUrl}/demo?ticket=${ticket}`)).status).toBe(401);

    // Three instances racing for one fresh ticket: exactly one wins.
    const contested = await getTicket(c, token);
    const statuses = await Promise.all([a, b, c].map((h) => upgradeStatus(`${h.wsUrl}/demo?ticket=${contested}`)));
    expect(statuses.map((s) => s.status).sort()).toEqual([101, 401, 401]);
  });

  it('delivers a REST notification on A to the user on B and C, with one offset sequence', async () => {
    const onB = await connect(b, '/notification', 'rest-user');
    const onC = await connect(c, '/notification', 'rest-user');
    const epoch = onB.authOk.data.streams.user.epoch;
    expect(onC.authOk.data.streams.user).toEqual({ offset: 0, epoch });

    const first = await notify(a, 'rest-user', { n: 1 });
    const second = await notify(c, 'rest-user', { n: 2 });
    for (const { client } of [onB, onC]) {
      expect((await client.nextOfType('notification')).data).toMatchObject({ id: first, payload: { n: 1 }, stream: 'user', offset: 1, epoch });
      expect((await client.nextOfType('notification')).data).toMatchObject({ id: second, offset: 2, epoch });
    }
  });

  it('delivers a REST broadcast to every instance once', async () => {
    const conns = await Promise.all([a, b, c].map((h, i) => connect(h, '/notification', `bc-${i}`)));
    const res = await postJson(b, '/notifications/broadcast', { event: 'all.hands' });
    const again = await postJson(c, '/notifications/broadcast', { event: 'all.hands.2' });
    expect([res.status, again.status]).toEqual([202, 202]);
    const offsets = new Set<number>();
    for (const { client } of conns) {
      const one = await client.nextOfType('notification');
      const two = await client.nextOfType('notification');
      expect([one.data.id, two.data.id]).toEqual([res.body.id, again.body.id]);
      expect(two.data.offset).toBe(one.data.offset + 1);
      offsets.add(one.data.offset);
    }
    expect(offsets.size).toBe(1);
  });

  it('carries /demo broadcast and direct across instances, once to each connection', async () => {
    const alice = await connect(a, '/demo', 'alice');
    const bob = await connect(b, '/demo', 'bob');
    const bobAgain = await connect(a, '/demo', 'bob');
    const carol = await connect(c, '/demo', 'carol');
    const everyone = [alice, bob, bobAgain, carol].map((x) => x.client);

    expect(await alice.client.request({ type: 'broadcast', id: 'b1', data: { text: 'hello' } })).toEqual({ type: 'ack', id: 'b1' });
    alice.client.send({ type: 'broadcast', data: { text: 'sentinel' } });
    for (const client of everyone) {
      expect((await client.nextOfType('broadcast')).data).toEqual({ from: 'alice', text: 'hello' });
      // Delivery is ordered per instance: a duplicate 'hello' would come before the sentinel.
      expect((await client.nextOfType('broadcast')).data).toEqual({ from: 'alice', text: 'sentinel' });
    }

    expect(await carol.client.request({ type: 'direct', id: 'd1', data: { to: 'bob', text: 'psst' } })).toEqual({ type: 'ack', id: 'd1' });
    carol.client.send({ type: 'direct', data: { to: 'bob', text: 'end' } });
    carol.client.send({ type: 'direct', data: { to: 'alice', text: 'for alice' } });
    // a direct to herself, sent last, comes back through Redis after anything the others could have leaked to her
    carol.client.send({ type: 'direct', data: { to: 'carol', text: 'sentinel' } });
    for (const client of [bob.client, bobAgain.client]) {
      expect((await client.nextOfType('direct')).data).toEqual({ from: 'carol', text: 'psst' });
      expect((await client.nextOfType('direct')).data).toEqual({ from: 'carol', text: 'end' });
    }
    expect((await alice.client.nextOfType('direct')).data).toEqual({ from: 'carol', text: 'for alice' });
    expect((await carol.client.nextOfType('direct')).data).toEqual({ from: 'carol', text: 'sentinel' });
    expect(carol.client.frames.filter((f: Frame) => f.type === 'direct')).toEqual([]);
  });

  it('counts the authenticated connections of every instance in presence', async () => {
    const user = 'present';
    const first = await connect(a, '/demo', user);
    await connect(b, '/notification', user);
    const unauthenticated = await openSocket(c, '/demo', await getTicket(c, mintToken(user)));
    clients.push(unauthenticated);
    for (const h of [a, b, c]) expect(await presence(h, user)).toBe(2);
    await first.client.close();
    await until(() => presence(c, user), 1);
    expect(await presence(a, 'nobody-at-all')).toBe(0);
  });

  it("stops counting a dead instance's connections within PRESENCE_TTL_MS", async () => {
    const ttl = 1000;
    const d = await start({ PRESENCE_TTL_MS: String(ttl) });
    await connect(d, '/demo', 'mortal');
    await connect(a, '/demo', 'mortal');
    expect(await presence(b, 'mortal')).toBe(2);
    // Refreshed while the instance lives, well past its TTL.
    await new Promise((resolve) => setTimeout(resolve, 3 * ttl));
    expect(await presence(b, 'mortal')).toBe(2);
    // "Crash" D: it loses Redis without removing anything; its entries must expire on their own.
    await d.app.get<RedisConnection>(REDIS).close();
    const counts: number[] = [];
    const took = await until(async () => counts[counts.push(await presence(b, 'mortal')) - 1], 1, 20 * ttl);
    // the TTL plus a loaded machine's margin (Redis expiry, the poll, a busy event loop): far below the contract's 30 s
    expect(took).toBeLessThanOrEqual(10 * ttl);
    // The live instance's connection (longer TTL) never stopped counting meanwhile.
    expect(Math.min(...counts)).toBe(1);
    process.stdout.write(`  presence: a dead instance's connection stopped counting after ${took} ms (PRESENCE_TTL_MS=${ttl})\n`);
  });

  it('holds an idempotencyKey across instances', async () => {
    const { client } = await connect(c, '/notification', 'idem-user');
    const body = { idempotencyKey: `key-${prefix}` };
    const first = await notify(a, 'idem-user', { n: 1 }, body);
    const retry = await notify(b, 'idem-user', { n: 1 }, body);
    expect(retry).toBe(first);
    const otherEndpoint = await postJson(b, '/notifications/broadcast', { event: 'x', ...body });
    expect(otherEndpoint.body.id).not.toBe(first);
    const next = await notify(c, 'idem-user', { n: 2 });
    const user = (f: Frame) => f.type === 'notification' && f.data.stream === 'user';
    expect((await client.next(user)).data).toMatchObject({ id: first, offset: 1 });
    expect((await client.next(user)).data).toMatchObject({ id: next, offset: 2 });
  });

  it('holds an idempotencyKey sent concurrently to every instance: one id, one delivery', async () => {
    const { client } = await connect(b, '/notification', 'idem-race');
    const body = { idempotencyKey: `race-${prefix}` };
    const ids = await Promise.all(Array.from({ length: 9 }, (_, i) => notify([a, b, c][i % 3], 'idem-race', { n: 1 }, body)));
    expect(new Set(ids)).toEqual(new Set([ids[0]]));
    const marker = await notify(c, 'idem-race', { n: 'marker' });
    expect((await client.nextOfType('notification')).data).toMatchObject({ id: ids[0], offset: 1 });
    // the next one is the marker: nothing was delivered twice
    expect((await client.nextOfType('notification')).data).toMatchObject({ id: marker, offset: 2 });
  });

  it('keeps an idempotencyKey 5 minutes by default (IDEMPOTENCY_TTL_MS unset): its Redis key expires in 300 s', async () => {
    const key = `five-minutes-${prefix}`;
    const first = await notify(a, 'idem-default', {}, { idempotencyKey: key });
    const redis = new Redis(REDIS_URL);
    try {
      const found: string[] = [];
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*${key}*`, 'COUNT', 1000);
        cursor = next;
        found.push(...keys);
      } while (cursor !== '0');
      expect(found).toHaveLength(1);
      const ttl = await redis.pttl(found[0]);
      expect(ttl).toBeGreaterThan(290_000);
      expect(ttl).toBeLessThanOrEqual(300_000);
    } finally {
      redis.disconnect();
    }
    expect(await notify(b, 'idem-default', {}, { idempotencyKey: key })).toBe(first);
  });

  it('limits connections per user per instance, not across the cluster (MAX_CONNECTIONS_PER_USER)', async () => {
    const [d, e] = await Promise.all([start({ MAX_CONNECTIONS_PER_USER: '1' }), start({ MAX_CONNECTIONS_PER_USER: '1' })]);
    await connect(d, '/demo', 'limited');
    const token = mintToken('limited');
    // the user's one connection on D does not count on E
    const onE = await openSocket(e, '/demo', await getTicket(d, token));
    clients.push(onE);
    expect((await onE.request({ type: 'auth', id: 'a', data: { token } })).type).toBe('auth_ok');
    const refused = await upgradeStatus(`${d.wsUrl}/demo?ticket=${await getTicket(e, token)}`);
    expect(refused.status).toBe(429);
    expect((await upgradeStatus(`${e.wsUrl}/notification?ticket=${await getTicket(a, token)}`)).status).toBe(429);
    expect(await presence(a, 'limited')).toBe(2);
  });

  it('recovers on another instance, even one started later, after the instance the client was on is gone', async () => {
    const e = await start();
    const { client, authOk } = await connect(e, '/notification', 'survivor');
    const seen = await notify(a, 'survivor', { n: 1 });
    const last = (await client.nextOfType('notification')).data;
    expect(last).toMatchObject({ id: seen, offset: 1, epoch: authOk.data.streams.user.epoch });

    await e.close();
    expect((await client.closed).code).toBe(1001);
    const missed = [await notify(b, 'survivor', { n: 2 }), await notify(a, 'survivor', { n: 3 })];

    const recover = { recover: { user: { offset: last.offset, epoch: last.epoch } } };
    const f = await start();
    for (const h of [f, a]) {
      const again = await connect(h, '/notification', 'survivor', recover);
      expect(again.authOk.data).toMatchObject({ recovered: true, streams: { user: { offset: 3, epoch: last.epoch } } });
      const replay = [await again.client.nextOfType('notification'), await again.client.nextOfType('notification')];
      expect(replay.map((n) => [n.data.id, n.data.offset])).toEqual(missed.map((m, i) => [m, i + 2]));
    }
  });

  it('recovers a stream first seen empty: reading history fixed its epoch', async () => {
    const early = await connect(a, '/notification', 'late-bloomer');
    const position = early.authOk.data.streams.user;
    expect(position.offset).toBe(0);
    await early.client.close();
    const res = await notify(b, 'late-bloomer');
    const again = await connect(c, '/notification', 'late-bloomer', { recover: { user: position } });
    expect(again.authOk.data.recovered).toBe(true);
    expect((await again.client.nextOfType('notification')).data).toMatchObject({ id: res, offset: 1, epoch: position.epoch });
  });

  it('keeps offsets gap-free and unique when two instances publish to one user at once', async () => {
    const watchers = [await connect(a, '/notification', 'busy'), await connect(b, '/notification', 'busy')];
    const n = 40;
    const responses = await Promise.all(Array.from({ length: 2 * n }, (_, i) => notify(i % 2 ? a : b, 'busy', { i })));
    const orders: string[][] = [];
    for (const { client } of watchers) {
      const got: Frame[] = [];
      for (let i = 0; i < 2 * n; i++) got.push(await client.nextOfType('notification'));
      expect(got.map((f) => f.data.offset)).toEqual(Array.from({ length: 2 * n }, (_, i) => i + 1));
      expect(new Set(got.map((f) => f.data.id))).toEqual(new Set(responses));
      orders.push(got.map((f) => f.data.id));
    }
    expect(orders[0]).toEqual(orders[1]);
  });

  it('keeps deployments with different REDIS_KEY_PREFIX apart on one Redis, /demo traffic included', async () => {
    const otherPrefix = uniquePrefix('other');
    const other = await start({ REDIS_KEY_PREFIX: otherPrefix });
    try {
      const { client } = await connect(other, '/notification', 'shared-name');
      const otherDemo = await connect(other, '/demo', 'shared-name');
      const mainDemo = await connect(a, '/demo', 'shared-name');
      await notify(a, 'shared-name', { from: 'main' });
      const own = await notify(other, 'shared-name', { from: 'other' });
      // Its own deployment's notification is its first, at offset 1: nothing leaked across.
      expect((await client.nextOfType('notification')).data).toMatchObject({ id: own, offset: 1 });
      const ticket = await getTicket(a, mintToken('shared-name'));
      expect((await upgradeStatus(`${other.wsUrl}/demo?ticket=${ticket}`)).status).toBe(401);

      // /demo broadcast and direct from the main deployment, then the other's own: only its own arrive there
      expect(await mainDemo.client.request({ type: 'broadcast', id: 'm1', data: { text: 'main says hi' } })).toEqual({ type: 'ack', id: 'm1' });
      expect(await mainDemo.client.request({ type: 'direct', id: 'm2', data: { to: 'shared-name', text: 'main direct' } })).toEqual({ type: 'ack', id: 'm2' });
      expect((await mainDemo.client.nextOfType('broadcast')).data.text).toBe('main says hi');
      expect((await mainDemo.client.nextOfType('direct')).data.text).toBe('main direct');
      otherDemo.client.send({ type: 'broadcast', data: { text: 'other says hi' } });
      otherDemo.client.send({ type: 'direct', data: { to: 'shared-name', text: 'other direct' } });
      expect((await otherDemo.client.nextOfType('broadcast')).data.text).toBe('other says hi');
      expect((await otherDemo.client.nextOfType('direct')).data.text).toBe('other direct');
      expect(otherDemo.client.frames).toEqual([]);
    } finally {
      await clients.closeAll();
      await other.close();
      extra.splice(extra.indexOf(other), 1);
    }
    expect(await deletePrefix(otherPrefix)).toBeGreaterThan(0);
  });
});
