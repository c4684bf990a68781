import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { DuplicatePublicationError, type Publication, PublishOutcomeUnknownError } from '../src/broker/broker.js';
import { RedisBroker } from '../src/broker/redis/redis.broker.js';
import { RedisConnection, RedisUnavailableError } from '../src/redis/redis.connection.js';
import { RedisPresence } from '../src/presence/redis.presence.js';
import { deletePrefix, REDIS_URL, requireRedis, ThrowawayRedis, uniquePrefix } from './support/redis.js';

/** Collects what a broker hands on and which streams it reports for resync. */
function watch(b: RedisBroker) {
  const got: Publication[] = [];
  const resyncs: string[][] = [];
  const waiters: Array<() => void> = [];
  const wake = () => waiters.splice(0).forEach((w) => w());
  b.onPublication((pub) => (got.push(pub), wake()));
  b.onResync((streams) => (resyncs.push([...streams]), wake()));
  const until = (check: () => boolean, what: string, timeoutMs = 5000) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(got.map((p) => [p.stream, p.offset]))}`)), timeoutMs);
      const poll = () => (check() ? (clearTimeout(timer), resolve()) : waiters.push(poll));
      poll();
    });
  const offsets = (stream: string) => got.filter((p) => p.stream === stream).map((p) => p.offset);
  return { got, resyncs, until, offsets };
}

/** Interest routing, atomic multi-stream publishing, gaps and outcomes of the Redis broker, against real Redis servers. */
describe('RedisBroker: interest routing and publish outcomes', () => {
  const prefix = uniquePrefix('interest');
  const opened: Array<{ broker: RedisBroker; conn: RedisConnection }> = [];
  const cleanup: Array<() => Promise<void> | void> = [];
  let admin: Redis;

  async function broker(opts: { url?: string; historySize?: number; ready?: boolean } = {}) {
    const conn = new RedisConnection(opts.url ?? REDIS_URL, prefix);
    const b = new RedisBroker(conn, opts.historySize ?? 100, 300_000);
    opened.push({ broker: b, conn });
    if (opts.ready !== false) expect(await b.whenReady(5000)).toBe(true);
    return b;
  }

  /** Kills the pub/sub connections of this test's brokers (they share one name; no one else's) and returns how many. */
  async function killSubscribers(redis: Redis): Promise<number> {
    const ids = ((await redis.client('LIST')) as string)
      .split('\n')
      .filter((line) => line.includes(` name=${prefix}sub `))
      .map((line) => /(?:^|\s)id=(\d+)/.exec(line)![1]);
    for (const id of ids) await redis.client('KILL', 'ID', id);
    return ids.length;
  }

  beforeAll(async () => {
    Logger.overrideLogger(false);
    await requireRedis();
    admin = new Redis(REDIS_URL);
  });

  afterEach(async () => {
    for (const { broker: b, conn } of opened.splice(0)) {
      await b.close();
      await conn.close();
    }
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  afterAll(async () => {
    admin?.disconnect();
    await deletePrefix(prefix);
  });

  it('delivers to an instance only the streams it subscribed to, and only from then on', async () => {
    const [a, b, publisher] = [await broker(), await broker(), await broker()];
    const [seenA, seenB, seenP] = [watch(a), watch(b), watch(publisher)];
    await publisher.publish(['ir:x'], '"before"', { history: true });
    await a.subscribe('ir:x');
    await b.subscribe('ir:y');
    const positions = await publisher.publish(['ir:x', 'ir:y', 'ir:z'], '"one"', { history: true });
    expect(positions.map((p) => p.offset)).toEqual([2, 1, 1]);
    await seenA.until(() => seenA.got.length >= 1, 'A');
    await seenB.until(() => seenB.got.length >= 1, 'B');
    await publisher.publish(['ir:x'], '"two"', { history: true });
    await seenA.until(() => seenA.got.length >= 2, 'A second');
    expect(seenA.got).toEqual([
      { stream: 'ir:x', data: '"one"', offset: 2, epoch: positions[0].epoch },
      { stream: 'ir:x', data: '"two"', offset: 3, epoch: positions[0].epoch },
    ]);
    expect(seenB.got).toEqual([{ stream: 'ir:y', data: '"one"', offset: 1, epoch: positions[1].epoch }]);
    expect(seenP.got).toEqual([]);
    // Redis itself routes: only A's connection is subscribed to x's channel.
    expect(await admin.pubsub('NUMSUB', `${prefix}s:ir:x`)).toEqual([`${prefix}s:ir:x`, 1]);
    await a.unsubscribe('ir:x');
    const deadline = Date.now() + 2000;
    while (Number((await admin.pubsub('NUMSUB', `${prefix}s:ir:x`))[1]) !== 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(await admin.pubsub('NUMSUB', `${prefix}s:ir:x`)).toEqual([`${prefix}s:ir:x`, 0]);
    await publisher.publish(['ir:x'], '"after"', { history: true });
    await publisher.publish(['ir:y'], '"marker"', { history: true });
    await seenB.until(() => seenB.got.length >= 2, 'marker');
    expect(seenA.got).toHaveLength(2);
  });

  it('subscribes many streams in few SUBSCRIBE commands', async () => {
    const b = await broker();
    const before = Number(/cmdstat_subscribe:calls=(\d+)/.exec(await admin.info('commandstats'))?.[1] ?? 0);
    await Promise.all(Array.from({ length: 1500 }, (_, i) => b.subscribe(`ir:many:${i}`)));
    const after = Number(/cmdstat_subscribe:calls=(\d+)/.exec(await admin.info('commandstats'))?.[1] ?? 0);
    expect(b.subscribedCount()).toBe(1500);
    // 1500 streams in batches of 512: 3 commands (others' tests on the shared Redis may add a few).
    expect(after - before).toBeLessThan(20);
  });

  it('stores a multi-stream publication once; history entries and pub/sub messages refer to it; each instance reads it once', async () => {
    const [b, watcher] = [await broker(), await broker()];
    const seen = watch(watcher);
    const raw = new Redis(REDIS_URL);
    cleanup.push(() => raw.disconnect());
    const messages: string[] = [];
    raw.on('message', (_channel: string, message: string) => messages.push(message));
    await raw.subscribe(`${prefix}s:ir:shared:3`);
    const data = JSON.stringify({ big: 'x'.repeat(5000) });
    const streams = Array.from({ length: 50 }, (_, i) => `ir:shared:${i}`);
    await Promise.all(streams.slice(0, 10).map((s) => watcher.subscribe(s)));
    const gets = async () => Number(/cmdstat_get:calls=(\d+)/.exec(await admin.info('commandstats'))?.[1] ?? 0);
    const getsBefore = await gets();
    await b.publish(streams, data, { history: true });
    await seen.until(() => seen.got.length >= 10, 'the ten held streams');
    expect(seen.got.map((p) => [p.stream, p.offset, p.data === data])).toEqual(streams.slice(0, 10).map((s) => [s, 1, true]));
    // One GET for the ten streams of this instance (the shared Redis may serve a few of other tests').
    expect((await gets()) - getsBefore).toBeLessThan(5);
    await seen.until(() => messages.length > 0 || true, 'raw');
    while (messages.length === 0) await new Promise((r) => setTimeout(r, 5));
    expect(messages[0]).toMatch(/^1 \S+ @\S+\n$/);
    const payloads = await admin.keys(`${prefix}pl:*`);
    expect(payloads.length).toBeGreaterThanOrEqual(1);
    const [entry] = await admin.zrange(`${prefix}hist:ir:shared:7`, "0", "-1");
    expect(entry.length).toBeLessThan(100);
    expect(entry).toMatch(/^1 \d+ @/);
    const history = await b.history('ir:shared:7', { since: 0 });
    expect(history.publications).toEqual([{ stream: 'ir:shared:7', data, offset: 1, epoch: history.position.epoch }]);
  });

  it('publishes once per idempotency key, atomically with the publication', async () => {
    const b = await broker();
    const seen = watch(b);
    await b.subscribe('ir:idem');
    const idempotency = { key: 'idem:test:k1', id: 'first-id', ttlMs: 60_000 };
    await b.publish(['ir:idem', 'ir:idem2'], '"once"', { history: true, idempotency });
    const again = b.publish(['ir:idem', 'ir:idem2'], '"twice"', { history: true, idempotency: { ...idempotency, id: 'second-id' } });
    await expect(again).rejects.toBeInstanceOf(DuplicatePublicationError);
    await expect(again).rejects.toMatchObject({ id: 'first-id' });
    expect((await b.history('ir:idem', { since: 0 })).publications.map((p) => p.data)).toEqual(['"once"']);
    await seen.until(() => seen.got.length >= 1, 'the publication');
    expect(seen.got.map((p) => p.data)).toEqual(['"once"']);
  });

  it('catches up in order, once, what was published while its pub/sub connection was away', async () => {
    const [publisher, watcher] = [await broker(), await broker()];
    const seen = watch(watcher);
    await watcher.subscribe('ir:away');
    await publisher.publish(['ir:away'], '"1"', { history: true });
    await seen.until(() => seen.got.length === 1, 'first');
    expect(await killSubscribers(admin)).toBeGreaterThanOrEqual(1);
    // The subscriber redials after ≥ 100 ms; these land while it is away.
    for (let i = 2; i <= 6; i++) await publisher.publish(['ir:away'], `"${i}"`, { history: true });
    await seen.until(() => seen.got.length >= 6, 'caught up');
    await publisher.publish(['ir:away'], '"7"', { history: true });
    await seen.until(() => seen.got.length >= 7, 'live again');
    expect(seen.offsets('ir:away')).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(seen.resyncs).toEqual([]);
  });

  it('reports a resync, never a silent gap, when history no longer covers what it missed', async () => {
    const [publisher, watcher] = [await broker({ historySize: 3 }), await broker({ historySize: 3 })];
    const seen = watch(watcher);
    await watcher.subscribe('ir:gone');
    await publisher.publish(['ir:gone'], '"1"', { history: true });
    await seen.until(() => seen.got.length === 1, 'first');
    await killSubscribers(admin);
    for (let i = 2; i <= 10; i++) await publisher.publish(['ir:gone'], `"${i}"`, { history: true });
    await seen.until(() => seen.resyncs.length > 0, 'resync');
    expect(seen.resyncs.flat()).toContain('ir:gone');
    await publisher.publish(['ir:gone'], '"11"', { history: true });
    await seen.until(() => seen.offsets('ir:gone').includes(11), 'live after resync');
    // Nothing out of order or twice: 1, then (after the resync) 11.
    expect(seen.offsets('ir:gone')).toEqual([1, 11]);
  });

  it('catches up a publication that skips ahead on a live connection from history', async () => {
    const b = await broker();
    const seen = watch(b);
    await b.subscribe('ir:skip');
    const [p1] = await b.publish(['ir:skip'], '"1"', { history: true });
    await seen.until(() => seen.got.length === 1, 'first');
    // Offsets 2 and 3 go to history without reaching pub/sub; 4 arrives live: 2 and 3 must come from history first.
    await b.publish(['ir:skip:other'], '"x"', { history: true });
    await admin.hincrby(`${prefix}meta:ir:skip`, 'offset', 2);
    const now = Date.now();
    await admin.zadd(`${prefix}hist:ir:skip`, '2', `2 ${now} ="2"`, '3', `3 ${now} ="3"`);
    await b.publish(['ir:skip'], '"4"', { history: true });
    await seen.until(() => seen.got.length >= 4, 'caught up');
    expect(seen.got.map((p) => [p.offset, p.data, p.epoch])).toEqual([
      [1, '"1"', p1.epoch],
      [2, '"2"', p1.epoch],
      [3, '"3"', p1.epoch],
      [4, '"4"', p1.epoch],
    ]);
    expect(seen.resyncs).toEqual([]);
  });

  it('reports a resync after Redis comes back without its data, then delivers the new epoch', async () => {
    const redis = await ThrowawayRedis.start();
    cleanup.push(() => redis.stop());
    const [publisher, watcher] = [await broker({ url: redis.url }), await broker({ url: redis.url })];
    const seen = watch(watcher);
    await watcher.subscribe('ir:restart');
    const [before] = await publisher.publish(['ir:restart'], '"1"', { history: true });
    await seen.until(() => seen.got.length === 1, 'first');
    await redis.stop('SIGKILL');
    await redis.start();
    await seen.until(() => seen.resyncs.flat().includes('ir:restart'), 'resync', 10_000);
    expect(await watcher.whenReady(5000)).toBe(true);
    await publisher.whenReady(5000);
    const [after] = await publisher.publish(['ir:restart'], '"new"', { history: true });
    expect(after.epoch).not.toBe(before.epoch);
    await seen.until(() => seen.got.length === 2, 'new epoch');
    expect(seen.got[1]).toMatchObject({ offset: 1, epoch: after.epoch, data: '"new"' });
  }, 30_000);

  it('tells "not sent" (unavailable) from "sent, outcome unknown" (Redis hung mid-call)', async () => {
    const redis = await ThrowawayRedis.start();
    cleanup.push(() => redis.stop());
    cleanup.push(() => redis.pause(false));
    const b = await broker({ url: redis.url });
    const idempotency = { key: 'idem:test:hung', id: 'hung-id', ttlMs: 60_000 };
    redis.pause(true);
    const started = Date.now();
    const hung = b.publish(['ir:hung:1', 'ir:hung:2'], '"maybe"', { history: true, idempotency });
    await expect(hung).rejects.toBeInstanceOf(PublishOutcomeUnknownError);
    expect(Date.now() - started).toBeLessThan(5000);
    // Redis is now known not to answer: the next publish is not sent at all.
    await expect(b.publish(['ir:hung:1'], '"refused"', { history: true })).rejects.toBeInstanceOf(RedisUnavailableError);
    redis.pause(false);
    expect(await b.whenReady(5000)).toBe(true);
    // The hung call did run once Redis resumed: the retry with its key answers its id and publishes nothing.
    await expect(b.publish(['ir:hung:1', 'ir:hung:2'], '"maybe"', { history: true, idempotency: { ...idempotency, id: 'retry-id' } })).rejects.toMatchObject({
      id: 'hung-id',
    });
    for (const stream of ['ir:hung:1', 'ir:hung:2']) {
      expect((await b.history(stream, { since: 0 })).publications.map((p) => p.data)).toEqual(['"maybe"']);
    }
  }, 30_000);

  it("stops counting a dead instance's channel presence within PRESENCE_TTL_MS, like user presence", async () => {
    const [connA, connB] = [new RedisConnection(REDIS_URL, prefix), new RedisConnection(REDIS_URL, prefix)];
    const [a, b] = [new RedisPresence(connA, 600), new RedisPresence(connB, 600)];
    cleanup.push(() => b.close(), () => connB.close());
    await connA.waitReady(5000);
    await connB.waitReady(5000);
    await a.join('ir:room', 'alice', 'conn-a1');
    await a.join('ir:room', 'bob', 'conn-a2');
    await b.join('ir:room', 'alice', 'conn-b1');
    await a.add('chpresence:ir:room', 'conn-a3');
    expect(await b.channel('ir:room', 1000)).toEqual({ subscribers: 3, users: expect.arrayContaining(['alice', 'bob']) });
    expect((await b.channel('ir:room', 1)).users).toHaveLength(1);
    // Refreshed past several TTLs while A lives.
    await new Promise((r) => setTimeout(r, 1000));
    expect((await b.channel('ir:room', 1000)).subscribers).toBe(3);
    // A dies without cleaning up: its entries stop counting within the TTL; B's stay.
    await connA.close();
    const died = Date.now();
    while ((await b.channel('ir:room', 1000)).subscribers !== 1) {
      expect(Date.now() - died).toBeLessThan(1500);
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(await b.channel('ir:room', 1000)).toEqual({ subscribers: 1, users: ['alice'] });
  });

  it('refuses a publish while Redis is down, having sent nothing', async () => {
    const redis = await ThrowawayRedis.start();
    cleanup.push(() => redis.stop());
    const b = await broker({ url: redis.url });
    await redis.stop('SIGKILL');
    const deadline = Date.now() + 5000;
    while (b.isReady() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await expect(b.publish(['ir:down'], '"x"', { history: true })).rejects.toBeInstanceOf(RedisUnavailableError);
  }, 30_000);
});
