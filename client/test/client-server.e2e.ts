import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { DrainService } from '../../src/ops/drain.service.js';
import { ConnectionRegistry } from '../../src/connections/connection.registry.js';
import { notify } from '../../test/support/e2e.js';
import { connectUser, startHerald, type Herald, type TestClient } from '../../test/support/harness.js';
import { metric } from '../../test/support/metrics.js';
import { deletePrefix, REDIS_URL, requireRedis, uniquePrefix } from '../../test/support/redis.js';
import type { FetchLike, HeraldClient, NotificationData, StateChange, WebSocketConstructor } from '../src/index.js';
import { RATE_LIMIT_PAUSE_MS } from '../src/close-policy.js';
import { closeClients, collect, nextEvent, nodeClient, opened, until } from './support.js';

/**
 * A load balancer in the client's transport: every ticket call and upgrade goes
 * to `target`, which the test moves from instance to instance. The client only
 * ever knows one URL, as behind a real one.
 */
class Balancer {
  readonly sockets: WebSocket[] = [];
  private held?: Promise<void>;
  private release?: () => void;
  constructor(public target: Herald) {}

  /** Ticket calls wait until `open()`: the client stays away while the test publishes into the gap. */
  hold(): void {
    this.held ??= new Promise((resolve) => (this.release = resolve));
  }

  open(): void {
    this.release?.();
    this.held = undefined;
  }

  private rewrite(url: string): string {
    const u = new URL(url);
    u.host = new URL(this.target.url).host;
    return u.toString();
  }

  readonly fetch: FetchLike = async (url, init) => {
    await this.held;
    return fetch(this.rewrite(url), init);
  };

  readonly WebSocket: WebSocketConstructor = (() => {
    const lb = this;
    return class extends WebSocket {
      constructor(url: string) {
        super(lb.rewrite(url));
        lb.sockets.push(this);
      }
    } as unknown as WebSocketConstructor;
  })();
}

const reconnecting = (client: HeraldClient, pred: (s: StateChange) => boolean = () => true, timeoutMs?: number) =>
  nextEvent(client, 'state', (s) => s.state === 'reconnecting' && pred(s), timeoutMs);
const offsets = (list: NotificationData[]) => list.map((n) => n.offset);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** PROTOCOL §7 and §9 as the SDK meets them from a real server: each close code and refusal, drain, restart, failover. */
describe('HeraldClient against real server behaviour', () => {
  afterEach(closeClients);

  describe('one instance', () => {
    let h: Herald;
    const held: TestClient[] = [];
    beforeAll(async () => {
      h = await startHerald({ RATE_LIMIT_PER_SEC: '2', MAX_CONNECTIONS_PER_USER: '1', AUTH_TIMEOUT_MS: '4000' });
    });
    afterEach(async () => {
      await Promise.all(held.splice(0).map((c) => c.dispose()));
    });
    afterAll(() => h.close());

    it('4429: pauses at least RATE_LIMIT_PAUSE_MS before reconnecting', async () => {
      const client = nodeClient(h, '/demo', 'flooder', { backoff: { baseMs: 10 } });
      client.connect();
      await opened(client);
      const closed = reconnecting(client);
      // burst 4, then more than 4 x 2 drops: 4429
      for (let i = 0; i < 20; i++) client.send('echo', i);
      const change = await closed;
      const at = Date.now();
      expect(change.disconnect).toMatchObject({ kind: 'closed', code: 4429 });
      expect(change.delayMs).toBeGreaterThanOrEqual(RATE_LIMIT_PAUSE_MS);
      await opened(client, RATE_LIMIT_PAUSE_MS + 10_000);
      expect(Date.now() - at).toBeGreaterThanOrEqual(RATE_LIMIT_PAUSE_MS - 50);
    }, 30_000);

    it('4408: a socket that sent no auth in time is closed 4408; the client reconnects and authenticates', async () => {
      // the first socket holds back its frames (the auth) until the server has given up on it
      let first = true;
      class SlowFirstAuth extends WebSocket {
        private hold = first;
        constructor(url: string) {
          super(url);
          first = false;
        }
        override send(data: unknown, ...rest: unknown[]): void {
          if (this.hold) return; // dropped: the auth deadline passes
          (super.send as (...a: unknown[]) => void)(data, ...rest);
        }
      }
      const client = nodeClient(h, '/demo', 'late-auth', { WebSocket: SlowFirstAuth as unknown as WebSocketConstructor, backoff: { baseMs: 10 } });
      const closed = reconnecting(client);
      client.connect();
      expect((await closed).disconnect).toMatchObject({ kind: 'closed', code: 4408 });
      expect(await opened(client)).toMatchObject({ userId: 'late-auth' });
    });

    it('429 on the upgrade (user limit): backs off and gets in once a connection is freed', async () => {
      held.push((await connectUser(h, '/demo', 'crowded')).client);
      const client = nodeClient(h, '/demo', 'crowded', { backoff: { baseMs: 50, maxMs: 200 } });
      const refused = reconnecting(client);
      client.connect();
      expect((await refused).disconnect).toEqual({ kind: 'refused', status: 429 });
      await held.pop()!.close();
      expect(await opened(client)).toMatchObject({ userId: 'crowded' });
    });

    it('4001: a client that stops reading is cut as a slow consumer, then recovers everything in order', async () => {
      const tight = await startHerald({ SEND_BUFFER_MAX_BYTES: String(32 * 1024), HISTORY_SIZE: '1000' });
      try {
        const lb = new Balancer(tight);
        const client = nodeClient(tight, '/notification', 'sluggish', { WebSocket: lb.WebSocket, fetch: lb.fetch, backoff: { baseMs: 20 } });
        const got = collect(client, 'notification');
        client.connect();
        await opened(client);
        const socket = (lb.sockets[0] as unknown as { _socket: Socket })._socket;
        socket.pause();
        const registry = tight.app.get(ConnectionRegistry);
        const payload = { blob: 'x'.repeat(64 * 1024) };
        const sent: string[] = [];
        const down = reconnecting(client, () => true, 15_000);
        // the kernel's loopback buffers fill first (a few MB), then Herald's: it cuts the connection with 4001
        while (registry.openCount('sluggish') > 0) {
          if (sent.length >= 900) throw new Error(`still connected after ${sent.length} notifications`);
          sent.push(await notify(tight, 'sluggish', { i: sent.length, ...payload }));
        }
        expect(await metric(tight, 'herald_connections_killed_total', 'reason="slow_consumer"')).toBe(1);
        expect(await metric(tight, 'herald_connection_closes_total', 'gateway="notification",code="4001"')).toBe(1);
        socket.resume();
        // a client that stopped reading sees the cut as 1006 (or the 4001 if the close frame made it through)
        expect([1006, 4001]).toContain(((await down).disconnect as { code: number }).code);
        expect((await opened(client)).recovered).toBe(true);
        sent.push(await notify(tight, 'sluggish', { i: 'after' }));
        await until(client, () => got.length === sent.length, `all ${sent.length} notifications`, 10_000);
        expect(got.map((n) => n.id)).toEqual(sent);
        expect(offsets(got)).toEqual(range(1, sent.length));
      } finally {
        closeClients();
        await tight.close();
      }
    });
  });

  it('503 on the upgrade (instance full): backs off and gets in once a connection is freed', async () => {
    const full = await startHerald({ MAX_CONNECTIONS: '1' });
    try {
      const holder = (await connectUser(full, '/demo', 'first')).client;
      const client = nodeClient(full, '/demo', 'second', { backoff: { baseMs: 50, maxMs: 200 } });
      const refused = reconnecting(client);
      client.connect();
      expect((await refused).disconnect).toEqual({ kind: 'refused', status: 503 });
      await holder.close();
      expect(await opened(client)).toMatchObject({ userId: 'second' });
    } finally {
      closeClients();
      await full.close();
    }
  });

  it('a restart without Redis: the client reconnects to a new epoch, learns recovered: false, and goes on', async () => {
    const before = await startHerald();
    let after: Herald | undefined;
    try {
      const lb = new Balancer(before);
      const client = nodeClient(before, '/notification', 'restarted', { WebSocket: lb.WebSocket, fetch: lb.fetch, backoff: { baseMs: 20 } });
      const got = collect(client, 'notification');
      client.connect();
      await opened(client);
      const first = nextEvent(client, 'notification');
      await notify(before, 'restarted', { n: 1 });
      const oldEpoch = (await first).epoch;

      // the instance goes away (1001) and comes back as a fresh process: nothing of its memory survives
      after = await startHerald();
      lb.target = after;
      const recovered = nextEvent(client, 'recovered');
      await before.close();
      expect(await recovered).toMatchObject({ recovered: false });
      const positions = client.positions();
      expect(positions.user?.epoch).not.toBe(oldEpoch);
      expect(positions.user?.offset).toBe(0);

      const live = nextEvent(client, 'notification');
      await notify(after, 'restarted', { n: 2 });
      expect(await live).toMatchObject({ offset: 1, payload: { n: 2 } });
      expect((await live).epoch).not.toBe(oldEpoch);
      expect(got).toHaveLength(2);
    } finally {
      closeClients();
      await Promise.allSettled([before.close(), after?.close()]);
    }
  });

  describe('a cluster (REDIS_URL)', () => {
    const prefix = uniquePrefix('sdk');
    const instances: Herald[] = [];
    let a: Herald, b: Herald;
    beforeAll(async () => {
      await requireRedis();
      const started = await Promise.allSettled([0, 1].map(() => startHerald({ REDIS_URL, REDIS_KEY_PREFIX: prefix })));
      for (const r of started) if (r.status === 'fulfilled') instances.push(r.value);
      const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
      [a, b] = instances;
    });
    afterAll(async () => {
      await Promise.allSettled(instances.map((h) => h.close()));
      await deletePrefix(prefix);
    });

    it('a real drain: 1001, a 503 on the reconnect to the draining instance, recovery on another', async () => {
      const draining = await startHerald({ REDIS_URL, REDIS_KEY_PREFIX: prefix, SHUTDOWN_TIMEOUT_MS: '10000' });
      instances.push(draining);
      const lb = new Balancer(draining);
      const client = nodeClient(draining, '/notification', 'drained', {
        WebSocket: lb.WebSocket,
        fetch: lb.fetch,
        random: () => 0.5,
        backoff: { baseMs: 200 },
      });
      const got = collect(client, 'notification');
      const states = collect(client, 'state');
      client.connect();
      await opened(client);
      const sent = [await notify(a, 'drained', { n: 1 })];
      await until(client, () => got.length === 1, 'the first notification');

      // the balancer keeps sending the client to the draining instance until that one refuses it
      const refused = reconnecting(client, (s) => s.disconnect?.kind === 'refused');
      // on the refusal the balancer moves on to B, holding the next ticket call until a notification went out meanwhile
      const off = client.on('state', (s) => {
        if (s.state !== 'reconnecting' || s.disconnect?.kind !== 'refused') return;
        lb.target = b;
        lb.hold();
        off();
      });
      const back = nextEvent(client, 'recovered');
      void draining.app.get(DrainService).drain();
      const change = await refused;
      expect(change.disconnect).toEqual({ kind: 'refused', status: 503 });
      sent.push(await notify(b, 'drained', { n: 2 }));
      lb.open();
      expect(await back).toMatchObject({ recovered: true });
      sent.push(await notify(a, 'drained', { n: 3 }));
      await until(client, () => got.length === 3, 'all three notifications');
      expect(got.map((n) => n.id)).toEqual(sent);
      expect(offsets(got)).toEqual([1, 2, 3]);
      const transitions = states.filter((s) => s.state === 'reconnecting').map((s) => [s.disconnect, s.delayMs]);
      // 1001 reconnects at once; the refusal waits out the backoff (random 0.5 of 200 x 2^1)
      expect(transitions).toEqual([
        [{ kind: 'closed', code: 1001, reason: 'shutting down' }, 0],
        [{ kind: 'refused', status: 503 }, 200],
      ]);
    });

    it('failover: the instance dies under the client, which recovers on another with nothing lost or repeated', async () => {
      const doomed = await startHerald({ REDIS_URL, REDIS_KEY_PREFIX: prefix });
      instances.push(doomed);
      const lb = new Balancer(doomed);
      const client = nodeClient(doomed, '/notification', 'failover', { WebSocket: lb.WebSocket, fetch: lb.fetch, backoff: { baseMs: 20 } });
      const got = collect(client, 'notification');
      client.connect();
      await opened(client);
      const sent = [await notify(b, 'failover', { n: 1 })];
      await until(client, () => got.length === 1, 'the first notification');

      // the instance vanishes without a close frame; the balancer now knows only A
      lb.target = a;
      lb.hold();
      const down = reconnecting(client);
      for (const conn of doomed.app.get(ConnectionRegistry).all) conn.socket.terminate();
      expect((await down).disconnect).toMatchObject({ kind: 'closed', code: 1006 });
      const back = nextEvent(client, 'recovered');
      sent.push(await notify(b, 'failover', { n: 2 }), await notify(a, 'failover', { n: 3 }));
      lb.open();
      expect(await back).toMatchObject({ recovered: true });
      sent.push(await notify(b, 'failover', { n: 4 }));
      await until(client, () => got.length === 4, 'all four notifications');
      expect(got.map((n) => n.id)).toEqual(sent);
      expect(offsets(got)).toEqual([1, 2, 3, 4]);
    });
  });
});
