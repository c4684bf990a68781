import { jest } from '@jest/globals';
import type { ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import type { Socket } from 'node:net';
import { DrainService } from '../src/ops/drain.service.js';
import { ConnectionRegistry } from '../src/connections/connection.registry.js';
import { ClientPool, eventually } from './support/e2e.js';
import { scrapeMetrics } from './support/metrics.js';
import { ensureBuilt, runMain } from './support/process.js';
import { API_KEY, connectUser, getTicket, mintToken, startHerald, upgradeStatus, type Herald } from './support/harness.js';

// each test starts `node dist/main.js`: a Nest boot takes seconds on a loaded 2-core machine
jest.setTimeout(120_000);

/**
 * A POST /notifications whose body arrives in two parts: in flight from the
 * first write until `finish()`. `inFlight` resolves once Herald has taken the
 * request: it sends `Expect: 100-continue`, and Node answers 100 Continue in
 * the same turn in which it hands the request to its listeners (the drain's
 * counter among them). Resolves `done` with the status.
 */
const pending = new Set<{ abort: () => void }>();
function slowNotification(baseUrl: string, userId: string) {
  const body = JSON.stringify({ userIds: [userId], event: 'drain.test' });
  const half = Math.floor(body.length / 2);
  const req = request(`${baseUrl}/notifications`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-api-key': API_KEY, expect: '100-continue' },
  });
  const inFlight = new Promise<void>((resolve, reject) => {
    req.once('continue', () => {
      req.write(body.slice(0, half));
      resolve();
    });
    req.once('error', reject);
  });
  inFlight.catch(() => undefined);
  const done = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.on('response', (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
  });
  const handle = { inFlight, done, finish: () => req.end(body.slice(half)), abort: () => req.destroy() };
  pending.add(handle);
  req.flushHeaders();
  return handle;
}
// a failed test leaves no request hanging
afterEach(() => {
  for (const p of pending) p.abort();
  pending.clear();
});

const readiness = async (baseUrl: string) => (await fetch(`${baseUrl}/health/ready`)).status;

/** PROTOCOL §8: SIGTERM/SIGINT drain. */
describe('drain', () => {
  describe('in process (DrainService)', () => {
    let h: Herald;
    const clients = new ClientPool();
    beforeAll(async () => {
      // socket grace 2.5 s, requests cut at 4 s: a loaded machine has 1.5 s between the two
      h = await startHerald({ SHUTDOWN_TIMEOUT_MS: '5000' });
    });
    afterEach(() => clients.closeAll());
    afterAll(() => h.close());

    it('turns readiness and upgrades 503, closes every socket with 1001, lets in-flight REST finish', async () => {
      const drain = h.app.get(DrainService);
      const registry = h.app.get(ConnectionRegistry);
      const reader = await clients.connect(h, '/notification', 'alice');
      const demo = await clients.connect(h, '/demo', 'bob');
      const stuck = await clients.connect(h, '/demo', 'carol');
      // carol's client stops reading: it will never answer the close frame, so the drain cuts it after its grace
      (stuck.client.ws as unknown as { _socket: Socket })._socket.pause();
      const ticket = await getTicket(h, mintToken('dave'));
      expect(await readiness(h.url)).toBe(200);

      const slow = slowNotification(h.url, 'alice');
      await slow.inFlight;
      expect(drain.requestsInFlight).toBe(1);
      let drained = false;
      const draining = drain.drain().then(() => (drained = true));

      expect(await reader.client.closed).toEqual({ code: 1001, reason: 'shutting down' });
      expect(await demo.client.closed).toEqual({ code: 1001, reason: 'shutting down' });
      expect(await readiness(h.url)).toBe(503);
      const refused = await upgradeStatus(`${h.wsUrl}/demo?ticket=${ticket}`);
      expect(refused.status).toBe(503);
      expect(refused.body).toMatch(/shutting down/);
      // the stuck socket is cut once its grace (half of SHUTDOWN_TIMEOUT_MS at most) is over
      await eventually(() => expect(registry.size).toBe(0), 5000);
      expect(drained).toBe(false);

      slow.finish();
      expect((await slow.done).status).toBe(202);
      await draining;
      expect(drained).toBe(true);
      const metrics = await scrapeMetrics(h);
      expect(metrics).toMatch(/^herald_connection_closes_total\{gateway="notification",code="1001"\} 1$/m);
      expect(metrics).toMatch(/^herald_connection_closes_total\{gateway="demo",code="1001"\} 2$/m);
      expect(metrics).toMatch(/^herald_connections\{gateway="demo"\} 0$/m);
    });
  });

  describe('in process (app.close)', () => {
    it('closes open sockets with 1001 when the app is closed without a signal', async () => {
      const h = await startHerald({ SHUTDOWN_TIMEOUT_MS: '2000' });
      let closing: Promise<void> | undefined;
      try {
        const { client } = await connectUser(h, '/demo', 'erin');
        closing = h.close();
        expect(await client.closed).toEqual({ code: 1001, reason: 'shutting down' });
      } finally {
        await (closing ?? h.close());
      }
    });
  });

  describe('a real process (node dist/main.js)', () => {
    beforeAll(() => ensureBuilt(), 120_000);

    /** Starts Herald on a free port; resolves once it logged its URL. */
    async function spawnHerald(env: Record<string, string>) {
      const main = runMain({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env });
      const exited = main.exited.then((exit) => ({ ...exit, at: Date.now() }));
      const url = /Herald listening on (http:\/\/[^\s"]+)/.exec(await main.line(/Herald listening on/))![1];
      const herald = { url, wsUrl: url.replace('http', 'ws'), logs: main.stdout } as unknown as Herald;
      return { child: main.child, url, herald, exited, lines: main.stdout };
    }

    const children: ChildProcess[] = [];
    const pool = new ClientPool();
    afterEach(() => pool.closeAll());
    afterAll(() => children.forEach((c) => c.exitCode === null && c.signalCode === null && c.kill('SIGKILL')));

    it('on SIGTERM: 503s, 1001 for every socket, in-flight REST finishes, exit 0 within SHUTDOWN_TIMEOUT_MS', async () => {
      const timeout = 8000;
      const { child, url, herald, exited, lines } = await spawnHerald({ SHUTDOWN_TIMEOUT_MS: String(timeout) });
      children.push(child);
      const clients = await Promise.all(['a', 'b', 'a'].map((u, i) => pool.connect(herald, i === 1 ? '/notification' : '/demo', u)));
      const ticket = await getTicket(herald, mintToken('late'));
      const slow = slowNotification(url, 'b');
      await slow.inFlight;
      expect(await readiness(url)).toBe(200);

      const signalled = Date.now();
      child.kill('SIGTERM');
      for (const { client } of clients) expect(await client.closed).toEqual({ code: 1001, reason: 'shutting down' });
      expect(await readiness(url)).toBe(503);
      expect((await upgradeStatus(`${herald.wsUrl}/demo?ticket=${ticket}`)).status).toBe(503);
      slow.finish();
      expect((await slow.done).status).toBe(202);

      const exit = await exited;
      expect(exit.code).toBe(0);
      expect(exit.at - signalled).toBeLessThan(timeout);
      const events = lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { event?: string; msg?: string });
      expect(events.map((e) => e.event)).toEqual(expect.arrayContaining(['drain.start', 'drain.done']));
    });

    it('on SIGINT with a request that never finishes: still exits within SHUTDOWN_TIMEOUT_MS', async () => {
      // the drain cuts the request at 4 s and the process exits soon after: 1 s of margin for a loaded machine
      const timeout = 5000;
      const { child, url, exited } = await spawnHerald({ SHUTDOWN_TIMEOUT_MS: String(timeout) });
      children.push(child);
      const hanging = slowNotification(url, 'nobody');
      const outcome = hanging.done.then(() => 'answered', () => 'cut');
      await hanging.inFlight;
      expect(await readiness(url)).toBe(200);
      const signalled = Date.now();
      child.kill('SIGINT');
      const exit = await exited;
      // the drain gives up on the request shortly before the deadline and cuts it, so the exit is still clean
      expect(exit.code).toBe(0);
      expect(exit.at - signalled).toBeLessThan(timeout);
      expect(await outcome).toBe('cut');
    });
  });
});
