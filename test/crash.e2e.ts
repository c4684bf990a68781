import { jest } from '@jest/globals';
import { ClientPool, notify, presenceCount, until } from './support/e2e.js';
import { ensureBuilt, runMain, type MainProcess } from './support/process.js';
import { startHerald, type Herald } from './support/harness.js';
import { deletePrefix, REDIS_URL, requireRedis, uniquePrefix } from './support/redis.js';

// each test starts `node dist/main.js`: a Nest boot takes seconds on a loaded 2-core machine
jest.setTimeout(120_000);

const PRESENCE_TTL_MS = 2000;

/**
 * PROTOCOL §9: an instance that crashes (SIGKILL: no drain, no cleanup, its
 * sockets simply vanish) stops counting in presence within its TTL, and its
 * clients recover their history on another instance.
 */
describe('a crashed instance (SIGKILL)', () => {
  const prefix = uniquePrefix('crash');
  const env = { REDIS_URL, REDIS_KEY_PREFIX: prefix, PRESENCE_TTL_MS: String(PRESENCE_TTL_MS) };
  const children: MainProcess[] = [];
  const clients = new ClientPool();
  let survivor: Herald | undefined;

  beforeAll(async () => {
    await requireRedis();
    ensureBuilt();
    survivor = await startHerald(env);
  }, 120_000);
  afterEach(() => clients.closeAll());
  afterAll(async () => {
    for (const { child } of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await Promise.all(children.map((c) => c.exited));
    await survivor?.close();
    await deletePrefix(prefix);
  });

  /** `node dist/main.js` on a free port; resolves once it listens. */
  async function spawnHerald(): Promise<{ main: MainProcess; herald: Herald }> {
    const main = runMain({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env });
    children.push(main);
    const url = /Herald listening on (http:\/\/[^\s"]+)/.exec(await main.line(/Herald listening on/))![1];
    return { main, herald: { url, wsUrl: url.replace('http', 'ws'), logs: main.stdout } as unknown as Herald };
  }

  it('stops counting its connections in presence within PRESENCE_TTL_MS; the survivor’s keep counting', async () => {
    const { main, herald } = await spawnHerald();
    const onDoomed = await clients.connect(herald, '/demo', 'crash-presence');
    await clients.connect(survivor!, '/notification', 'crash-presence');
    expect(await presenceCount(survivor!, 'crash-presence')).toBe(2);

    main.child.kill('SIGKILL');
    const exit = await main.exited;
    expect(exit.signal).toBe('SIGKILL');
    expect((await onDoomed.client.closed).code).toBe(1006);
    const counts: number[] = [];
    const took = await until(async () => counts[counts.push(await presenceCount(survivor!, 'crash-presence')) - 1], 1, 10 * PRESENCE_TTL_MS);
    // its TTL plus a loaded machine's margin; the contract allows 30 s
    expect(took).toBeLessThan(5 * PRESENCE_TTL_MS);
    expect(Math.min(...counts)).toBe(1);
  });

  it('its clients recover on another instance: what they missed, once, in order', async () => {
    const { main, herald } = await spawnHerald();
    const first = await clients.connect(herald, '/notification', 'crash-history');
    const seenId = await notify(herald, 'crash-history', { n: 1 });
    const seen = (await first.client.nextOfType('notification')).data;
    expect(seen).toMatchObject({ id: seenId, offset: 1 });

    main.child.kill('SIGKILL');
    await main.exited;
    expect((await first.client.closed).code).toBe(1006);
    const missed = [await notify(survivor!, 'crash-history', { n: 2 }), await notify(survivor!, 'crash-history', { n: 3 })];

    const again = await clients.connectRecorded(survivor!, '/notification', 'crash-history', {
      recover: { user: { offset: seen.offset, epoch: seen.epoch } },
    });
    expect(again.authOk.data).toMatchObject({ recovered: true, streams: { user: { offset: 3, epoch: seen.epoch } } });
    await again.client.request({ type: 'ping', id: 'after-replay' });
    const replay = again.seen.filter((f) => f.type === 'notification').map((f) => [f.data.id, f.data.offset]);
    expect(replay).toEqual([
      [missed[0], 2],
      [missed[1], 3],
    ]);
  });
});
