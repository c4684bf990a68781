import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import type { Publication } from '../src/broker/broker.js';
import { recoverStream } from '../src/streams/recovery.js';
import { RedisBroker } from '../src/broker/redis/redis.broker.js';
import { RedisConnection } from '../src/redis/redis.connection.js';
import { STREAM_META_TTL_MS } from '../src/broker/stream-history.js';
import { eventually } from './support/e2e.js';
import { deletePrefix, REDIS_URL, requireRedis, uniquePrefix } from './support/redis.js';

/** The Redis broker on its own: history, offsets, epochs and fan-out against a real Redis. */
describe('RedisBroker', () => {
  const prefix = uniquePrefix('broker');
  const opened: Array<{ broker: RedisBroker; conn: RedisConnection }> = [];
  let admin: Redis;

  async function broker(historySize = 100, historyTtlMs = 300_000) {
    const conn = new RedisConnection(REDIS_URL, prefix);
    const b = new RedisBroker(conn, historySize, historyTtlMs);
    opened.push({ broker: b, conn });
    expect(await b.whenReady(5000)).toBe(true);
    return b;
  }

  /** Collects what a broker's handler receives; `until(n)` resolves once n have arrived. */
  function collect(b: RedisBroker) {
    const got: Publication[] = [];
    let waiter: { n: number; resolve: () => void } | undefined;
    b.onPublication((pub) => {
      got.push(pub);
      if (waiter && got.length >= waiter.n) waiter.resolve();
    });
    const until = (n: number, timeoutMs = 5000) =>
      new Promise<void>((resolve, reject) => {
        if (got.length >= n) return resolve();
        const timer = setTimeout(() => reject(new Error(`got ${got.length} of ${n} publications`)), timeoutMs);
        waiter = { n, resolve: () => (clearTimeout(timer), resolve()) };
      });
    return { got, until };
  }

  beforeAll(async () => {
    Logger.overrideLogger(false);
    await requireRedis();
    admin = new Redis(REDIS_URL);
  });

  afterAll(async () => {
    for (const { broker: b, conn } of opened) {
      await b.close();
      await conn.close();
    }
    if (admin) {
      admin.disconnect();
      await deletePrefix(prefix);
    }
  });

  it('fixes the epoch of a never-published stream when its history is read', async () => {
    const b = await broker();
    const before = await b.history('n:user:fresh', { since: 0 });
    expect(before).toEqual({ position: { offset: 0, epoch: expect.any(String) }, publications: [] });
    const [pub] = await b.publish(['n:user:fresh'], '{"n":1}', { history: true });
    expect(pub).toMatchObject({ offset: 1, epoch: before.position.epoch });
    const after = await b.history('n:user:fresh', { since: 0 });
    expect(recoverStream({ offset: 0, epoch: before.position.epoch }, after)).toEqual({
      recovered: true,
      publications: [{ stream: 'n:user:fresh', data: '{"n":1}', offset: 1, epoch: before.position.epoch }],
    });
  });

  it('keeps the last HISTORY_SIZE publications, and stream meta for a day of inactivity', async () => {
    const b = await broker(3);
    for (let i = 1; i <= 5; i++) await b.publish(['n:user:trim'], `"${i}"`, { history: true });
    const history = await b.history('n:user:trim', { since: 0 });
    expect(history.position.offset).toBe(5);
    expect(history.publications.map((p) => p.offset)).toEqual([3, 4, 5]);
    expect(recoverStream({ offset: 1, epoch: history.position.epoch }, history).recovered).toBe(false);
    expect(recoverStream({ offset: 2, epoch: history.position.epoch }, history).publications.map((p) => p.data)).toEqual([
      '"3"',
      '"4"',
      '"5"',
    ]);
    const metaTtl = await admin.pttl(`${prefix}meta:n:user:trim`);
    expect(metaTtl).toBeGreaterThan(STREAM_META_TTL_MS - 60_000);
    expect(metaTtl).toBeLessThanOrEqual(STREAM_META_TTL_MS);
  });

  it('does not replay entries older than HISTORY_TTL_MS, but keeps the offset and epoch', async () => {
    const b = await broker(100, 300);
    const [first] = await b.publish(['n:user:old'], '"old"', { history: true });
    await new Promise((resolve) => setTimeout(resolve, 400));
    const history = await b.history('n:user:old', { since: 0 });
    expect(history.position).toEqual({ offset: 1, epoch: first.epoch });
    expect(history.publications).toEqual([]);
    expect(recoverStream({ offset: 0, epoch: first.epoch! }, history).recovered).toBe(false);
    expect((await b.publish(['n:user:old'], '"new"', { history: true }))[0]).toMatchObject({ offset: 2, epoch: first.epoch });
  });

  it('gives concurrent publishers on two connections distinct, gap-free offsets, seen in one order everywhere', async () => {
    const [p1, p2, watcher] = [await broker(), await broker(), await broker()];
    const seen = [collect(p1), collect(p2), collect(watcher)];
    await Promise.all([p1, p2, watcher].map((b) => b.subscribe('n:broadcast')));
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => (i % 2 ? p1 : p2).publish(['n:broadcast'], `${i}`, { history: true })),
    );
    expect(results.map(([r]) => r.offset).sort((x, y) => x! - y!)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    await Promise.all(seen.map((s) => s.until(200)));
    for (const { got } of seen) {
      const mine = got.filter((p) => p.stream === 'n:broadcast');
      // Each instance, the publishers included, gets each publication once, in offset order.
      expect(mine.map((p) => p.offset)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    }
  });

  it('publishes without history to every subscribed instance, with no offset', async () => {
    const [p, watcher] = [await broker(), await broker()];
    const seen = collect(watcher);
    await watcher.subscribe('gw:demo');
    expect(await p.publish(['gw:demo'], '{"type":"broadcast"}', { history: false })).toEqual([{ offset: 0, epoch: '' }]);
    await seen.until(1);
    expect(seen.got[0]).toEqual({ stream: 'gw:demo', data: '{"type":"broadcast"}', offset: 0, epoch: '' });
  });

  it('reports a stream without history for resync after its subscription dropped (nothing to replay it from)', async () => {
    const [p, watcher] = [await broker(), await broker()];
    const seen = collect(watcher);
    const resyncs: string[][] = [];
    watcher.onResync((streams) => resyncs.push([...streams]));
    await watcher.subscribe('to:demo:ghost');
    await p.publish(['to:demo:ghost'], 'before', { history: false });
    await seen.until(1);
    // Every broker here names its subscriber the same; the watcher's is the newest (highest id).
    const ids = ((await admin.client('LIST')) as string)
      .split('\n')
      .filter((line) => line.includes(` name=${prefix}sub `))
      .map((line) => Number(/(?:^|\s)id=(\d+)/.exec(line)![1]));
    expect(ids.length).toBeGreaterThanOrEqual(2);
    await admin.client('KILL', 'ID', String(Math.max(...ids)));
    await eventually(() => expect(watcher.isReady()).toBe(false), 5000, 5);
    await p.publish(['to:demo:ghost'], 'while away', { history: false });
    expect(await watcher.whenReady(5000)).toBe(true);
    expect(resyncs).toEqual([['to:demo:ghost']]);
    await p.publish(['to:demo:ghost'], 'after', { history: false });
    await seen.until(2);
    expect(seen.got.map((g) => g.data)).toEqual(['before', 'after']);
  });
});
