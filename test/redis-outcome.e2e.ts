import { Logger } from '@nestjs/common';
import { RedisBroker } from '../src/broker/redis/redis.broker.js';
import { RedisConnection } from '../src/redis/redis.connection.js';
import { connectUser, type Herald, postJson, startHerald, type TestClient } from './support/harness.js';
import { until } from './support/e2e.js';
import { requireRedis, ThrowawayRedis } from './support/redis.js';

const USERS = Array.from({ length: 1000 }, (_, i) => `out-${i}`);
/** Users with a live /notification socket: deliveries are checked on the wire for them, in Redis history for all. */
const LIVE = [0, 1, 2, 250, 500, 750, 998, 999].map((i) => USERS[i]);

const readyStatus = async (h: Herald) => (await fetch(`${h.url}/health/ready`)).status;

/**
 * Issue 11 #1: a multi-user notification is one atomic step in Redis, and
 * its answer tells the truth when Redis stops answering in the middle of the
 * call: 202 delivered, 503 not delivered (key free), 503 with outcome unknown (key held
 * exactly when it was delivered). A throwaway redis-server is SIGSTOPped at
 * random points of each call.
 */
describe('publish outcomes with Redis paused mid-call', () => {
  let redis: ThrowawayRedis;
  let h: Herald;
  let reader: { conn: RedisConnection; broker: RedisBroker };
  const clients: TestClient[] = [];

  /** How many times each user's history holds the notification of `event`, and with which ids. */
  async function holders(event: string): Promise<{ counts: number[]; ids: Set<string> }> {
    const ids = new Set<string>();
    const counts = await Promise.all(
      USERS.map(async (userId) => {
        const { publications } = await reader.broker.history(`n:user:${userId}`, { since: 0 });
        const mine = publications.map((p) => JSON.parse(p.data) as { id: string; event: string }).filter((b) => b.event === event);
        mine.forEach((b) => ids.add(b.id));
        return mine.length;
      }),
    );
    return { counts, ids };
  }

  beforeAll(async () => {
    Logger.overrideLogger(false);
    await requireRedis();
    redis = await ThrowawayRedis.start();
    h = await startHerald({ REDIS_URL: redis.url });
    const conn = new RedisConnection(redis.url, 'herald:');
    reader = { conn, broker: new RedisBroker(conn, 100, 300_000) };
    await reader.broker.whenReady(5000);
    for (const userId of LIVE) clients.push((await connectUser(h, '/notification', userId)).client);
  });

  afterAll(async () => {
    redis?.pause(false);
    await Promise.all(clients.map((c) => c.close()));
    await h?.close();
    await reader?.broker.close();
    await reader?.conn.close();
    await redis?.stop();
  });

  it('delivers to every user once or to none, and the answer says which', async () => {
    const seen: Record<string, number> = {};
    const trials = 10;
    for (let t = 0; t < trials; t++) {
      const event = `trial.${t}`;
      const idempotencyKey = `outcome-${t}`;
      const body = { userIds: USERS, event, idempotencyKey, payload: { t } };
      // Spread over the call: before the script is sent, while Redis runs it, after it answered.
      const delayMs = Math.floor(Math.random() * 30);
      const answer = postJson(h, '/notifications', body);
      const pause = setTimeout(() => redis.pause(true), delayMs);
      const res = await answer;
      clearTimeout(pause);
      redis.pause(false);
      expect([202, 503]).toContain(res.status);
      const unknown = res.status === 503 && res.body.outcome === 'unknown';
      await until(() => readyStatus(h), 200, 15_000);

      const after = await holders(event);
      const delivered = after.counts.filter((n) => n > 0).length;
      const label = unknown ? `503 unknown (${delivered ? 'had run' : 'had not run'})` : String(res.status);
      seen[label] = (seen[label] ?? 0) + 1;
      // Atomic: all or nothing, and never twice.
      expect(after.counts.every((n) => n <= 1)).toBe(true);
      expect([0, USERS.length]).toContain(delivered);
      if (res.status === 202) {
        expect(delivered).toBe(USERS.length);
        expect([...after.ids]).toEqual([res.body.id]);
      } else if (!unknown) {
        expect(delivered).toBe(0);
        expect(res.body).toMatchObject({ outcome: 'not_delivered' });
      } else {
        expect(res.body).toMatchObject({ outcome: 'unknown', id: expect.any(String) });
        if (delivered > 0) expect([...after.ids]).toEqual([res.body.id]);
      }

      // The retry with the same key: the first id when it was delivered, a delivery now when not; never twice.
      const retry = await postJson(h, '/notifications', body);
      expect(retry.status).toBe(202);
      if (delivered > 0) expect(retry.body.id).toBe([...after.ids][0]);
      const final = await holders(event);
      expect(final.counts.every((n) => n === 1)).toBe(true);
      expect([...final.ids]).toEqual([retry.body.id]);
    }
    // The live sockets saw each trial's notification exactly once.
    for (const client of clients) {
      await until(async () => client.frames.filter((f) => f.type === 'notification').length, trials, 10_000);
      const events = client.frames.filter((f) => f.type === 'notification').map((f) => f.data.event);
      expect(events.sort()).toEqual(Array.from({ length: trials }, (_, t) => `trial.${t}`).sort());
    }
    process.stdout.write(`  outcomes over ${trials} paused calls to ${USERS.length} users: ${JSON.stringify(seen)}\n`);
  }, 120_000);

  it('answers 503 without sending anything once Redis is known to hang, and the key stays free', async () => {
    redis.pause(true);
    try {
      await until(() => readyStatus(h), 503, 10_000);
      const body = { userIds: USERS, event: 'known.not.sent', idempotencyKey: 'outcome-refused' };
      const started = Date.now();
      const res = await postJson(h, '/notifications', body);
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({ outcome: 'not_delivered' });
      expect(Date.now() - started).toBeLessThan(1000);
    } finally {
      redis.pause(false);
    }
    await until(() => readyStatus(h), 200, 15_000);
    expect((await holders('known.not.sent')).counts.every((n) => n === 0)).toBe(true);
    const retry = await postJson(h, '/notifications', { userIds: USERS, event: 'known.not.sent', idempotencyKey: 'outcome-refused' });
    expect(retry.status).toBe(202);
    expect((await holders('known.not.sent')).counts.every((n) => n === 1)).toBe(true);
  }, 60_000);
});
