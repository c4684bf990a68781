import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { Redis } from 'ioredis';
import { connectUser, getTicket, type Herald, mintToken, postJson, startHerald, upgradeStatus } from './support/harness.js';
import { ClientPool, presenceCount, until } from './support/e2e.js';
import { requireRedis, ThrowawayRedis } from './support/redis.js';

const readyStatus = async (h: Herald) => (await fetch(`${h.url}/health/ready`)).status;
/** Resolves with the response and how long it took. */
async function timed<T>(call: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = Date.now();
  const result = await call();
  return { result, ms: Date.now() - started };
}

/**
 * PROTOCOL §9 through Redis failures, each test on its own throwaway
 * `redis-server` so that it can be killed, paused and restarted.
 */
describe('cluster mode through Redis outages', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  const clients = new ClientPool();

  async function cluster(extraArgs?: string[]) {
    const redis = await ThrowawayRedis.start(extraArgs);
    cleanup.push(() => redis.stop());
    const env = { REDIS_URL: redis.url, PRESENCE_TTL_MS: '2000' };
    const [a, b] = await Promise.all([startHerald(env), startHerald(env)]);
    cleanup.push(() => a.close(), () => b.close());
    return { redis, a, b };
  }
  const connect = async (...args: Parameters<typeof connectUser>) => {
    const result = await connectUser(...args);
    clients.push(result.client);
    return result;
  };

  beforeAll(() => requireRedis());

  afterEach(async () => {
    await clients.closeAll();
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  it('answers 503 while Redis is down, keeps sockets open, and works again after a data-less restart', async () => {
    const { redis, a, b } = await cluster();
    const watcher = await connect(b, '/notification', 'outage-user');
    const demo = await connect(b, '/demo', 'outage-demo');
    const before = await postJson(a, '/notifications', { userIds: ['outage-user'], event: 'before' });
    const seen = (await watcher.client.nextOfType('notification')).data;
    expect(seen).toMatchObject({ id: before.body.id, offset: 1 });
    expect(await presenceCount(a, 'outage-user')).toBe(1);

    await redis.stop('SIGKILL');
    const notReady = await until(() => readyStatus(a), 503);
    expect(await readyStatus(b)).toBe(503);

    const publish = await timed(() => postJson(a, '/notifications', { userIds: ['outage-user'], event: 'lost' }));
    expect(publish.result.status).toBe(503);
    expect(publish.ms).toBeLessThan(5000);
    expect((await postJson(b, '/notifications/broadcast', { event: 'lost' })).status).toBe(503);
    const ticket = await fetch(`${a.url}/auth/ticket`, { method: 'POST', headers: { authorization: `Bearer ${watcher.token}` } });
    expect(ticket.status).toBe(503);
    const upgrade = await timed(() => upgradeStatus(`${b.wsUrl}/notification?ticket=${'x'.repeat(32)}`));
    expect(upgrade.result.status).toBe(503);
    expect(upgrade.ms).toBeLessThan(5000);
    expect(await presenceCount(a, 'outage-user')).toBe(-503);
    // A /demo message that cannot reach Redis is refused, never acknowledged; the socket stays.
    const refused = await demo.client.request({ type: 'broadcast', id: 'during', data: { text: 'lost' } });
    expect(refused).toMatchObject({ type: 'error', id: 'during', data: { code: 'internal' } });

    await redis.start();
    const backIn = await until(() => readyStatus(a), 200);
    await until(() => readyStatus(b), 200);
    // Presence went with the data; B writes its live connections back on its next refresh (TTL / 5).
    const presenceBack = await until(() => presenceCount(a, 'outage-user'), 1, 2000);

    // The socket opened before the outage is still there and receives again, in a new epoch.
    expect(watcher.client.ws.readyState).toBe(WebSocket.OPEN);
    const after = await postJson(a, '/notifications', { userIds: ['outage-user'], event: 'after' });
    expect(after.status).toBe(202);
    const next = (await watcher.client.nextOfType('notification')).data;
    expect(next).toMatchObject({ id: after.body.id, offset: 1 });
    expect(next.epoch).not.toBe(seen.epoch);
    const sender = await connect(a, '/demo', 'outage-sender');
    sender.client.send({ type: 'broadcast', data: { text: 'back' } });
    expect((await demo.client.nextOfType('broadcast')).data).toEqual({ from: 'outage-sender', text: 'back' });

    // History went with Redis's data: recovery says so rather than leaving a silent gap.
    const again = await connect(a, '/notification', 'outage-user', { recover: { user: { offset: seen.offset, epoch: seen.epoch } } });
    expect(again.authOk.data).toMatchObject({ recovered: false, streams: { user: { offset: 1, epoch: next.epoch } } });
    expect(watcher.client.frames.filter((f) => f.type === 'error')).toEqual([]);
    process.stdout.write(
      `  outage: ready 503 after ${notReady} ms, REST 503 in ${publish.ms} ms, upgrade 503 in ${upgrade.ms} ms, ` +
        `ready 200 ${backIn} ms after restart, presence back ${presenceBack} ms later\n`,
    );
  }, 30_000);

  it('answers 503 within 5 s while Redis hangs (REST, tickets, upgrades, presence), and recovers when it resumes', async () => {
    const { redis, a, b } = await cluster();
    const watcher = await connect(b, '/notification', 'hang-user');
    const token = mintToken('hang-user');
    const ticketBefore = await getTicket(a, token);
    redis.pause(true);
    const took: Record<string, number> = {};
    try {
      const checks: Array<[string, () => Promise<number>]> = [
        ['notification', async () => (await postJson(a, '/notifications', { userIds: ['hang-user'], event: 'hung' })).status],
        ['broadcast', async () => (await postJson(b, '/notifications/broadcast', { event: 'hung' })).status],
        ['ticket', async () => (await fetch(`${a.url}/auth/ticket`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })).status],
        ['upgrade', async () => (await upgradeStatus(`${b.wsUrl}/notification?ticket=${ticketBefore}`)).status],
        ['presence', async () => -(await presenceCount(a, 'hang-user'))],
      ];
      // all at once: each must answer 503 within 5 s of being asked
      const results = await Promise.all(checks.map(async ([name, call]) => ({ name, ...(await timed(call)) })));
      for (const { name, result, ms } of results) {
        took[name] = ms;
        expect({ name, status: result }).toEqual({ name, status: 503 });
        expect(ms).toBeLessThan(5000);
      }
      await until(() => readyStatus(a), 503);
      // the socket opened before the hang is still open
      expect(watcher.client.ws.readyState).toBe(WebSocket.OPEN);
    } finally {
      redis.pause(false);
    }
    await until(() => readyStatus(a), 200);
    await until(() => readyStatus(b), 200);
    const res = await postJson(a, '/notifications', { userIds: ['hang-user'], event: 'resumed' });
    expect(res.status).toBe(202);
    const arrived = await watcher.client.next((f) => f.type === 'notification' && f.data.id === res.body.id);
    expect(arrived.data.event).toBe('resumed');
    // Known (reported, not settled here): a publish answered 503 during the hang had already been written to
    // Redis's socket, and is delivered once Redis resumes. At most once each, and nothing else.
    const earlier = watcher.client.frames.filter((f) => f.type === 'notification').map((f) => f.data.event as string);
    expect(earlier.filter((e) => e !== 'hung')).toEqual([]);
    expect(earlier.length).toBeLessThanOrEqual(2);
    // the ticket refused during the hang was not used up
    expect((await upgradeStatus(`${b.wsUrl}/notification?ticket=${ticketBefore}`)).status).toBe(101);
    process.stdout.write(`  hang: 503 in ${Object.entries(took).map(([k, v]) => `${k} ${v} ms`).join(', ')}\n`);
  }, 40_000);

  it('keeps every key and pub/sub channel it uses under REDIS_KEY_PREFIX, /demo traffic included', async () => {
    // a Redis of its own: every key in it was written by this deployment, so "outside the prefix" is exact
    const redis = await ThrowawayRedis.start();
    cleanup.push(() => redis.stop());
    const prefix = 'tenant-a:';
    const env = { REDIS_URL: redis.url, REDIS_KEY_PREFIX: prefix };
    const [a, b] = await Promise.all([startHerald(env), startHerald(env)]);
    cleanup.push(() => a.close(), () => b.close());
    const admin = new Redis(redis.url);
    cleanup.push(() => void admin.disconnect());

    // everything that writes: tickets, presence, history, idempotency, /demo fan-out, recovery
    const user = await connect(a, '/notification', 'keys-user');
    const demo = await connect(b, '/demo', 'keys-demo');
    await connect(a, '/demo', 'keys-demo');
    await getTicket(b, mintToken('unused-ticket'));
    expect((await postJson(b, '/notifications', { userIds: ['keys-user'], event: 'k', idempotencyKey: 'idem-1' })).status).toBe(202);
    expect((await postJson(a, '/notifications/broadcast', { event: 'k', idempotencyKey: 'idem-2' })).status).toBe(202);
    await user.client.nextOfType('notification');
    await user.client.nextOfType('notification');
    expect(await demo.client.request({ type: 'broadcast', id: 'b', data: { text: 'hi' } })).toEqual({ type: 'ack', id: 'b' });
    expect(await demo.client.request({ type: 'direct', id: 'd', data: { to: 'keys-demo', text: 'hi' } })).toEqual({ type: 'ack', id: 'd' });
    await demo.client.nextOfType('direct');
    const pos = (await connect(b, '/notification', 'keys-user')).authOk.data.streams;
    await connect(a, '/notification', 'keys-user', { recover: pos });
    expect(await presenceCount(b, 'keys-demo')).toBe(2);

    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await admin.scan(cursor, 'COUNT', 1000);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    expect(keys.length).toBeGreaterThan(5);
    expect(keys.filter((k) => !k.startsWith(prefix))).toEqual([]);
    const channels = (await admin.pubsub('CHANNELS')) as string[];
    expect(channels.length).toBeGreaterThan(0);
    expect(channels.filter((c) => !c.startsWith(prefix))).toEqual([]);
  }, 30_000);

  it('starts without Redis, answers 503, and becomes ready once Redis appears', async () => {
    const redis = await ThrowawayRedis.reserve();
    cleanup.push(() => redis.stop());
    const h = await startHerald({ REDIS_URL: redis.url });
    cleanup.push(() => h.close());
    expect(await readyStatus(h)).toBe(503);
    expect((await postJson(h, '/notifications/broadcast', { event: 'nowhere' })).status).toBe(503);
    await redis.start();
    await until(() => readyStatus(h), 200);
    const { client } = await connect(h, '/notification', 'early-bird');
    const res = await postJson(h, '/notifications', { userIds: ['early-bird'], event: 'first' });
    expect((await client.nextOfType('notification')).data).toMatchObject({ id: res.body.id, offset: 1 });
  }, 30_000);

  it('recovers across a Redis restart that kept its data (append-only file)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'herald-redis-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const { redis, a, b } = await cluster(['--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir]);
    const first = await connect(b, '/notification', 'durable');
    await postJson(a, '/notifications', { userIds: ['durable'], event: 'one' });
    const seen = (await first.client.nextOfType('notification')).data;
    await first.client.close();
    const missed = await postJson(a, '/notifications', { userIds: ['durable'], event: 'two' });

    await redis.stop('SIGKILL');
    await until(() => readyStatus(a), 503);
    await redis.start();
    await until(() => readyStatus(a), 200);

    const again = await connect(a, '/notification', 'durable', { recover: { user: { offset: seen.offset, epoch: seen.epoch } } });
    expect(again.authOk.data.recovered).toBe(true);
    expect((await again.client.nextOfType('notification')).data).toMatchObject({ id: missed.body.id, offset: 2, epoch: seen.epoch });
  }, 30_000);
});
