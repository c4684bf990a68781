import { connectUser, type Herald, postJson, startHerald, type TestClient } from './support/harness.js';
import { until } from './support/e2e.js';
import { requireRedis, ThrowawayRedis } from './support/redis.js';
import { TcpProxy } from './support/tcp-proxy.js';

const readyStatus = async (h: Herald) => (await fetch(`${h.url}/health/ready`)).status;

/**
 * Issue 11 (the fan-out log gap) and issue 9 (no gap after a subscription
 * drops): instance A is cut off from its Redis (a TCP proxy drops its
 * connections) while instance B publishes. When A is back, its clients get
 * what they missed, in order and once, or, when history no longer holds it,
 * a close (4010) that makes them reconnect and recover; never a silent gap.
 */
describe('an instance away from Redis while others publish', () => {
  const cleanup: Array<() => Promise<void> | void> = [];
  const clients: TestClient[] = [];

  async function partitioned(historySize: number) {
    const redis = await ThrowawayRedis.start();
    cleanup.push(() => redis.stop());
    const proxy = await TcpProxy.start(redis.port);
    cleanup.push(() => proxy.cut());
    const env = { HISTORY_SIZE: String(historySize) };
    const a = await startHerald({ ...env, REDIS_URL: proxy.url });
    const b = await startHerald({ ...env, REDIS_URL: redis.url });
    cleanup.push(() => a.close(), () => b.close());
    return { proxy, a, b };
  }
  const connect = async (...args: Parameters<typeof connectUser>) => {
    const result = await connectUser(...args);
    clients.push(result.client);
    return result;
  };
  const notify = (h: Herald, userId: string, event: string) => postJson(h, '/notifications', { userIds: [userId], event });
  const notifications = (c: TestClient) => c.frames.filter((f) => f.type === 'notification').map((f) => f.data);

  beforeAll(() => requireRedis());

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  it('delivers what it missed, in order and once, when history still holds it', async () => {
    const { proxy, a, b } = await partitioned(100);
    const { client } = await connect(a, '/notification', 'gap-near');
    const first = await notify(b, 'gap-near', 'n.1');
    await until(async () => notifications(client).length, 1);
    await proxy.cut();
    await until(() => readyStatus(a), 503);
    const missed = [];
    for (let i = 2; i <= 5; i++) missed.push((await notify(b, 'gap-near', `n.${i}`)).body.id);
    await proxy.open();
    await until(() => readyStatus(a), 200, 10_000);
    const last = await notify(b, 'gap-near', 'n.6');
    await until(async () => notifications(client).length, 6, 10_000);
    expect(notifications(client).map((n) => [n.offset, n.id])).toEqual([
      [1, first.body.id],
      ...missed.map((id, i) => [i + 2, id]),
      [6, last.body.id],
    ]);
  }, 30_000);

  it('closes with 4010 (reconnect and recover) when history no longer holds what it missed, then recovery says so', async () => {
    const { proxy, a, b } = await partitioned(3);
    const { client } = await connect(a, '/notification', 'gap-far');
    await notify(b, 'gap-far', 'n.1');
    await until(async () => notifications(client).length, 1);
    const seen = notifications(client)[0];
    await proxy.cut();
    await until(() => readyStatus(a), 503);
    for (let i = 2; i <= 10; i++) expect((await notify(b, 'gap-far', `n.${i}`)).status).toBe(202);
    await proxy.open();
    const closed = await client.closed;
    expect(closed.code).toBe(4010);
    // Never a silent gap: nothing after offset 1 reached it before the close.
    expect(notifications(client).map((n) => n.offset)).toEqual([1]);
    await until(() => readyStatus(a), 200, 10_000);
    const again = await connect(a, '/notification', 'gap-far', { recover: { user: { offset: seen.offset, epoch: seen.epoch } } });
    expect(again.authOk.data).toMatchObject({ recovered: false, streams: { user: { offset: 10, epoch: seen.epoch } } });
    const next = await notify(b, 'gap-far', 'n.11');
    expect((await again.client.nextOfType('notification')).data).toMatchObject({ id: next.body.id, offset: 11 });
  }, 30_000);
});
