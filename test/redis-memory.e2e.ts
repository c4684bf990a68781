import { Redis } from 'ioredis';
import { type Herald, postJson, startHerald } from './support/harness.js';
import { requireRedis, ThrowawayRedis } from './support/redis.js';
import { REDIS_BYTES_PER_RECIPIENT, redisBytesBound } from '../src/broker/redis/redis.memory.js';

const usedMemory = async (redis: Redis) => Number(/used_memory:(\d+)/.exec(await redis.info('memory'))![1]);

/**
 * Issue 11 #2: one request's Redis cost is bounded by the formula of docs/deployment.md
 * (its data once, plus a fixed amount per recipient), measured as Redis
 * `used_memory` on a throwaway redis-server (nothing else writes to it).
 */
describe('Redis memory per publication', () => {
  let redis: ThrowawayRedis;
  let h: Herald;
  let admin: Redis;

  beforeAll(async () => {
    await requireRedis();
    redis = await ThrowawayRedis.start();
    h = await startHerald({ REDIS_URL: redis.url });
    admin = new Redis(redis.url);
  });

  afterAll(async () => {
    admin?.disconnect();
    await h?.close();
    await redis?.stop();
  });

  it('stays within the documented bound for a ~30 KB notification to 1000 users (was ~42 MB)', async () => {
    const userIds = Array.from({ length: 1000 }, (_, i) => `mem-user-${i}`);
    const payload = { blob: 'x'.repeat(30_000) };
    // Warm-up: scripts loaded, allocator settled, the streams' keys created (a later request adds entries only).
    expect((await postJson(h, '/notifications', { userIds: ['warm-up'], event: 'warm', payload: {} })).status).toBe(202);
    const before = await usedMemory(admin);
    const res = await postJson(h, '/notifications', { userIds, event: 'mem.test', payload });
    expect(res.status).toBe(202);
    const grown = (await usedMemory(admin)) - before;
    const dataBytes = JSON.stringify({ id: res.body.id, event: 'mem.test', payload, ts: Date.now() }).length;
    const bound = redisBytesBound(dataBytes, userIds.length);
    process.stdout.write(
      `  one ${dataBytes} B notification to ${userIds.length} new users: Redis used_memory +${grown} B ` +
        `(${(grown / userIds.length).toFixed(0)} B per recipient beyond the data); documented bound ${bound} B\n`,
    );
    expect(grown).toBeLessThanOrEqual(bound);
    // The data is there once, not once per recipient: far below recipients × data.
    expect(grown).toBeLessThan(userIds.length * dataBytes * 0.05);

    // A second one to the same users adds entries to existing streams: also within the bound.
    const again = await usedMemory(admin);
    expect((await postJson(h, '/notifications', { userIds, event: 'mem.test', payload })).status).toBe(202);
    const second = (await usedMemory(admin)) - again;
    process.stdout.write(`  the same to the same users again: +${second} B\n`);
    expect(second).toBeLessThanOrEqual(bound);
    expect(REDIS_BYTES_PER_RECIPIENT).toBeGreaterThan(0);
  });
});
