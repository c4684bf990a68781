import { request } from 'node:http';
import { ConnectionRegistry } from '../src/realtime/connection.registry.js';
import { ClientPool, eventually } from './support/e2e.js';
import { getTicket, mintToken, openSocket, startHerald, upgradeStatus, type Herald, type TestClient } from './support/harness.js';

/** PROTOCOL §2.2: every refusal is an HTTP status with a short plain-text body, in the contract's order. */
describe('upgrade', () => {
  let h: Herald;
  const open = new ClientPool();
  const ticket = () => getTicket(h, mintToken('alice'));
  const status = async (pathAndQuery: string, headers: Record<string, string> = {}) =>
    upgradeStatus(`${h.wsUrl}${pathAndQuery}`, headers);

  beforeAll(async () => {
    h = await startHerald();
  });
  afterEach(async () => {
    await open.closeAll();
  });
  afterAll(() => h.close());

  describe('404: the path is not a gateway', () => {
    it.each(['/', '/nope', '/demox', '/demo/extra', '/notifications', '/docs', '/health/live'])('refuses %s with 404', async (path) => {
      const res = await status(`${path}?ticket=${await ticket()}`);
      expect(res.status).toBe(404);
      expect(res.body.length).toBeGreaterThan(0);
    });

    it('ignores the query string when matching', async () => {
      expect((await status(`/nope?path=/demo&ticket=${await ticket()}`)).status).toBe(404);
      expect((await status(`/demo?foo=bar&ticket=${await ticket()}&x=/nope`)).status).toBe(101);
      expect((await status(`/notification?ticket=${await ticket()}&a=1`)).status).toBe(101);
    });

    it('tolerates a trailing slash', async () => {
      expect((await status(`/demo/?ticket=${await ticket()}`)).status).toBe(101);
      expect((await status(`/notification/?ticket=${await ticket()}`)).status).toBe(101);
    });

    it('does not use the ticket up', async () => {
      const t = await ticket();
      expect((await status(`/nope?ticket=${t}`)).status).toBe(404);
      expect((await status(`/demo?ticket=${t}`)).status).toBe(101);
    });
  });

  describe('401: the ticket is missing, unknown or used', () => {
    it('refuses a missing ticket, on both gateways', async () => {
      for (const path of ['/demo', '/notification', '/demo?ticket=']) {
        const res = await status(path);
        expect(res.status).toBe(401);
        expect(res.body.length).toBeGreaterThan(0);
      }
    });

    it('refuses an unknown ticket', async () => {
      expect((await status('/demo?ticket=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')).status).toBe(401);
    });

    it('is single use: a ticket that opened a connection is refused afterwards', async () => {
      const t = await ticket();
      open.push(await openSocket(h, '/demo', t));
      expect((await status(`/demo?ticket=${t}`)).status).toBe(401);
      expect((await status(`/notification?ticket=${t}`)).status).toBe(401);
    });

    it('opens exactly one connection when the same ticket is tried concurrently', async () => {
      const t = await ticket();
      const results = await Promise.all(Array.from({ length: 5 }, () => status(`/demo?ticket=${t}`)));
      expect(results.map((r) => r.status).sort()).toEqual([101, 401, 401, 401, 401]);
    });

    it('issues a different ticket every time', async () => {
      const token = mintToken('alice');
      const tickets = await Promise.all([getTicket(h, token), getTicket(h, token), getTicket(h, token)]);
      expect(new Set(tickets).size).toBe(3);
    });
  });

  it('answers a malformed handshake 400 and leaves its ticket usable', async () => {
    const t = await ticket();
    const { port } = new URL(h.url);
    const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({
        host: '127.0.0.1',
        port,
        path: `/demo?ticket=${t}`,
        headers: { Connection: 'Upgrade', Upgrade: 'websocket', 'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'not-a-key' },
      });
      req.on('response', (r) => {
        let body = '';
        r.on('data', (c: Buffer) => (body += c.toString()));
        r.on('end', () => resolve({ status: r.statusCode ?? 0, body }));
      });
      req.on('upgrade', () => reject(new Error('upgraded')));
      req.on('error', reject);
      req.end();
    });
    expect(res.status).toBe(400);
    expect(res.body).toMatch(/handshake/);
    expect((await status(`/demo?ticket=${t}`)).status).toBe(101);
  });

  it('refuses an expired ticket with 401 (TICKET_TTL_MS)', async () => {
    // 2 s: the "still valid" upgrade lands well inside it on a loaded machine
    const ttl = 2000;
    const short = await startHerald({ TICKET_TTL_MS: String(ttl) });
    try {
      const t = await getTicket(short, mintToken('alice'));
      // `t` was issued before this moment: it has certainly expired `ttl` after it
      const issuedBy = Date.now();
      const freshFrom = Date.now();
      const fresh = await getTicket(short, mintToken('alice'));
      expect((await upgradeStatus(`${short.wsUrl}/demo?ticket=${fresh}`)).status).toBe(101);
      expect(Date.now() - freshFrom).toBeLessThan(ttl);
      await new Promise((r) => setTimeout(r, issuedBy + ttl + 100 - Date.now()));
      expect((await upgradeStatus(`${short.wsUrl}/demo?ticket=${t}`)).status).toBe(401);
    } finally {
      await short.close();
    }
  });

  describe('403, 429, 503 and the order of checks', () => {
    let limited: Herald;
    const held: TestClient[] = [];
    const ticketFor = (user: string) => getTicket(limited, mintToken(user));
    const at = (pathAndQuery: string, headers: Record<string, string> = {}) =>
      upgradeStatus(`${limited.wsUrl}${pathAndQuery}`, headers);

    beforeAll(async () => {
      limited = await startHerald({ ALLOWED_ORIGINS: 'https://app.example,https://other.example', MAX_CONNECTIONS_PER_USER: '2', MAX_CONNECTIONS: '3' });
    });
    afterEach(async () => {
      await Promise.all(held.splice(0).map((c) => c.dispose()));
      // the server sees a close a little after the client: start every test from an empty instance
      await eventually(() => expect(limited.app.get(ConnectionRegistry).size).toBe(0));
    });
    afterAll(() => limited.close());

    it('403 for an Origin not in ALLOWED_ORIGINS; the ticket still works afterwards', async () => {
      const t = await ticketFor('alice');
      const res = await at(`/demo?ticket=${t}`, { origin: 'https://evil.example' });
      expect(res.status).toBe(403);
      expect(res.type).toMatch(/^text\/plain/);
      expect(res.body.trim().length).toBeGreaterThan(0);
      expect((await at(`/demo?ticket=${t}`, { origin: 'https://other.example' })).status).toBe(101);
    });

    it('lets a request without Origin through the origin check', async () => {
      expect((await at(`/demo?ticket=${await ticketFor('alice')}`)).status).toBe(101);
    });

    it('429 when the user holds MAX_CONNECTIONS_PER_USER connections, authenticated or not; the ticket survives', async () => {
      held.push(await openSocket(limited, '/demo', await ticketFor('bob')));
      held.push(await openSocket(limited, '/notification', await ticketFor('bob')));
      const t = await ticketFor('bob');
      const res = await at(`/demo?ticket=${t}`);
      expect(res.status).toBe(429);
      expect(res.type).toMatch(/^text\/plain/);
      expect(res.body.trim().length).toBeGreaterThan(0);
      // another user is not affected
      expect((await at(`/demo?ticket=${await ticketFor('carol')}`)).status).toBe(101);
      await held.shift()!.close();
      held.push(await eventually(() => openSocket(limited, '/demo', t)));
    });

    it('503 when the instance holds MAX_CONNECTIONS; the ticket survives', async () => {
      for (const user of ['u1', 'u2', 'u3']) held.push(await openSocket(limited, '/demo', await ticketFor(user)));
      const t = await ticketFor('u4');
      const res = await at(`/demo?ticket=${t}`);
      expect(res.status).toBe(503);
      expect(res.type).toMatch(/^text\/plain/);
      expect(res.body.trim().length).toBeGreaterThan(0);
      await held.shift()!.close();
      held.push(await eventually(() => openSocket(limited, '/demo', t)));
    });

    it('checks path, then instance, then origin, then ticket', async () => {
      const evil = { origin: 'https://evil.example' };
      for (const user of ['o1', 'o2', 'o3']) held.push(await openSocket(limited, '/demo', await ticketFor(user)));
      expect((await at('/nope', evil)).status).toBe(404);
      expect((await at('/demo?ticket=unknown', evil)).status).toBe(503);
      await held.pop()!.close();
      await eventually(async () => expect((await at('/demo?ticket=unknown', evil)).status).toBe(403));
      expect((await at('/demo?ticket=unknown')).status).toBe(401);
    });

    it('checks the origin (403) before the user limit (429), and the user limit last', async () => {
      held.push(await openSocket(limited, '/demo', await ticketFor('full')));
      held.push(await openSocket(limited, '/demo', await ticketFor('full')));
      const t = await ticketFor('full');
      expect((await at(`/demo?ticket=${t}`, { origin: 'https://evil.example' })).status).toBe(403);
      // the same ticket, from an allowed origin: now the user limit answers, and the ticket is still not used up
      expect((await at(`/demo?ticket=${t}`, { origin: 'https://app.example' })).status).toBe(429);
      expect((await at('/demo?ticket=unknown', { origin: 'https://app.example' })).status).toBe(401);
    });
  });
});
