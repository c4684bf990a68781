import { connectUser, getTicket, mintToken, startHerald, type Herald } from './support/harness.js';
import { halfSent, rawRequest, statusOf } from './support/raw-http.js';
import { ThrowawayRedis } from './support/redis.js';

const KEY = 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n';

/** Issue 11 §5: half-sent requests are cut at the header/request timeouts; pending upgrades count against the limits. */
describe('slowloris', () => {
  describe('timeouts (HTTP_HEADERS_TIMEOUT_MS=400, HTTP_REQUEST_TIMEOUT_MS=600)', () => {
    let h: Herald;
    beforeAll(async () => {
      h = await startHerald({ HTTP_HEADERS_TIMEOUT_MS: '400', HTTP_REQUEST_TIMEOUT_MS: '600' });
    });
    afterAll(() => h.close());

    it('closes half-sent upgrade requests, silent sockets and trickled bodies within the timeouts', async () => {
      const upgrades = await Promise.all(
        Array.from({ length: 50 }, (_, i) => halfSent(h.url, `GET /demo?ticket=t${i} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n`)),
      );
      const silent = await Promise.all(Array.from({ length: 5 }, () => halfSent(h.url, '')));
      const body = await halfSent(h.url, 'POST /notifications HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"us');
      const held = await Promise.all([...upgrades, ...silent, body].map((s) => s.closed));
      // each is cut after its deadline plus at most the check interval (a tenth), with room for a loaded machine
      for (const ms of held) expect(ms).toBeLessThan(3000);
      expect(Math.min(...held)).toBeGreaterThanOrEqual(350);
      // and the server still serves
      expect(statusOf(await rawRequest(h.url, 'GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'))).toBe(200);
    });

    it('sends no X-Powered-By, on any route or answer', async () => {
      const answers = await Promise.all([
        fetch(`${h.url}/health/live`),
        fetch(`${h.url}/docs-json`),
        fetch(`${h.url}/no-such-route`),
        fetch(`${h.url}/notifications`, { method: 'POST', body: '{}' }),
      ]);
      expect(answers.map((r) => r.status)).toEqual([200, 200, 404, 401]);
      for (const r of answers) expect(r.headers.get('x-powered-by')).toBeNull();
    });

    it('leaves an open WebSocket alone past the timeouts', async () => {
      const { client } = await connectUser(h, '/demo', 'idle-user');
      await new Promise((resolve) => setTimeout(resolve, 1500)); // idle well past both timeouts: nothing to await
      expect(await client.request({ type: 'echo', id: 'e', data: 1 })).toMatchObject({ type: 'echo', data: 1 });
      await client.close();
    });
  });

  describe('pending upgrades against MAX_CONNECTIONS (Redis paused: the ticket store hangs)', () => {
    let redis: ThrowawayRedis;
    let h: Herald;
    beforeAll(async () => {
      redis = await ThrowawayRedis.start();
      h = await startHerald({ REDIS_URL: redis.url, MAX_CONNECTIONS: '2' });
    }, 20_000);
    afterAll(async () => {
      redis.pause(false);
      await h.close();
      await redis.stop();
    });

    it('refuses the upgrade beyond the limit at once, while the first two still wait on the ticket store', async () => {
      const tickets = await Promise.all(['p1', 'p2', 'p3'].map((u) => getTicket(h, mintToken(u))));
      redis.pause(true);
      try {
        const request = (t: string) => `GET /demo?ticket=${t} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n${KEY}\r\n`;
        const started = Date.now();
        const waiting = [rawRequest(h.url, request(tickets[0]), 8000), rawRequest(h.url, request(tickets[1]), 8000)];
        await new Promise((resolve) => setTimeout(resolve, 100)); // the two are in the ticket store's hands
        const third = await rawRequest(h.url, request(tickets[2]), 8000);
        const thirdMs = Date.now() - started;
        expect(statusOf(third)).toBe(503);
        expect(third).toMatch(/instance at capacity/);
        const first = await Promise.all(waiting);
        // the command timeout (2 s) answered the two; the third did not wait for it
        expect(Date.now() - started).toBeGreaterThan(1500);
        expect(thirdMs).toBeLessThan(1000);
        for (const a of first) expect(statusOf(a)).toBe(503);
      } finally {
        redis.pause(false);
      }
    }, 20_000);
  });
});
