import { metricValue, scrapeMetrics } from './support/metrics.js';
import { TICKETS, type TicketStore } from '../src/tickets/ticket.store.js';
import { ConnectionRegistry } from '../src/connections/connection.registry.js';
import { ClientPool, eventually, recordFrames } from './support/e2e.js';
import { connectUser, getTicket, mintToken, openSocket, startHerald, upgradeStatus, type Frame, type Herald } from './support/harness.js';


/** Upgrade limits under concurrency, and the per-connection rate limit with its 4429 rule (PROTOCOL §2.2, §3, §7). */
describe('limits', () => {
  describe('connection limits under concurrent upgrades', () => {
    let h: Herald;
    beforeAll(async () => {
      h = await startHerald({ MAX_CONNECTIONS_PER_USER: '2', MAX_CONNECTIONS: '4' });
      // a networked ticket store (Redis) answers in milliseconds: upgrades interleave while they wait
      const store = h.app.get<TicketStore>(TICKETS);
      for (const method of ['peek', 'consume'] as const) {
        const original = store[method].bind(store);
        store[method] = async (ticket: string) => {
          await new Promise((r) => setTimeout(r, 10));
          return original(ticket);
        };
      }
    });
    afterAll(() => h.close());

    const closeAll = async () => {
      for (const conn of h.app.get(ConnectionRegistry).all) conn.close(1000, 'test over');
      await eventually(() => expect(h.app.get(ConnectionRegistry).size).toBe(0));
    };

    it('admits exactly MAX_CONNECTIONS_PER_USER of many simultaneous upgrades; the refused tickets stay usable', async () => {
      // no more than MAX_CONNECTIONS at once: pending upgrades count against it too (issue 11 §5)
      const tickets = await Promise.all(Array.from({ length: 4 }, () => getTicket(h, mintToken('alice'))));
      const results = await Promise.allSettled(tickets.map((t) => openSocket(h, '/demo', t)));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
      const refused = tickets.filter((_, i) => results[i].status === 'rejected');
      expect(results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason))).toEqual(
        Array(2).fill('Error: upgrade refused: 429'),
      );
      await closeAll();
      const reopened = await Promise.all(refused.slice(0, 2).map((t) => upgradeStatus(`${h.wsUrl}/demo?ticket=${t}`)));
      expect(reopened.map((r) => r.status)).toEqual([101, 101]);
      await closeAll();
    });

    it('admits exactly MAX_CONNECTIONS of many simultaneous upgrades from different users', async () => {
      const users = ['u1', 'u2', 'u3', 'u4', 'u5', 'u6', 'u7'];
      const tickets = await Promise.all(users.map((u) => getTicket(h, mintToken(u))));
      const clients = await Promise.allSettled(tickets.map((t) => openSocket(h, '/notification', t)));
      const opened = clients.filter((c) => c.status === 'fulfilled');
      expect(opened).toHaveLength(4);
      expect(clients.filter((c) => c.status === 'rejected').map((c) => String((c as PromiseRejectedResult).reason))).toEqual(
        Array(3).fill('Error: upgrade refused: 503'),
      );
      await closeAll();
    });
  });

  describe('rate limit', () => {
    const RATE = 5; // burst 10; 4429 after more than 20 drops within 10 s
    let h: Herald;
    const open = new ClientPool();
    beforeAll(async () => {
      h = await startHerald({ RATE_LIMIT_PER_SEC: String(RATE) });
    });
    afterEach(async () => {
      await open.closeAll();
    });
    afterAll(() => h.close());

    const errorsOf = (frames: Frame[], code: string) => frames.filter((f) => f.type === 'error' && f.data.code === code);

    it('drops messages over the bucket with rate_limited; then refills', async () => {
      const { client } = await connectUser(h, '/demo', 'alice');
      open.push(client);
      const seen = recordFrames(client);
      // auth took one of the 2x burst tokens, and the bucket may have refilled one since (how auth counts: next test)
      for (let i = 0; i < 14; i++) client.send({ type: 'echo', id: `e${i}`, data: i });
      await eventually(() => expect(seen).toHaveLength(14));
      const echoes = seen.filter((f) => f.type === 'echo');
      expect(echoes.length).toBeGreaterThanOrEqual(2 * RATE - 1);
      expect(echoes.length).toBeLessThanOrEqual(2 * RATE);
      expect(echoes.map((f) => f.data)).toEqual(echoes.map((_, i) => i));
      expect(errorsOf(seen, 'rate_limited')).toHaveLength(14 - echoes.length);
      // refill at RATE per second: one token after 1/RATE s
      await new Promise((r) => setTimeout(r, 1000 / RATE + 50));
      expect(await client.request({ type: 'echo', id: 'later', data: 'ok' })).toEqual({ type: 'echo', id: 'later', data: 'ok' });
    });

    it('counts `auth` itself: of a burst sent with it, one fewer message gets through', async () => {
      // RATE_LIMIT_PER_SEC=1: a burst of 2 tokens, one more a second. auth and 4 pings leave in one write,
      // so no refill lands in between; if auth took no token, two pings would get through instead of one.
      const slow = await startHerald({ RATE_LIMIT_PER_SEC: '1' });
      try {
        const token = mintToken('counted');
        const client = open.push(await openSocket(slow, '/demo', await getTicket(slow, token)));
        const seen = recordFrames(client);
        client.send({ type: 'auth', id: 'a', data: { token } });
        for (let i = 1; i <= 4; i++) client.send({ type: 'ping', id: `p${i}` });
        await eventually(() => expect(seen).toHaveLength(5));
        expect(seen.filter((f) => f.type === 'auth_ok')).toHaveLength(1);
        expect(errorsOf(seen, 'rate_limited')).toHaveLength(3);
        // the one ping admitted with auth is answered (unauthenticated or pong, depending on when auth completed)
        expect(seen.filter((f) => f.id === 'p1' && (f.type === 'pong' || f.data?.code === 'unauthenticated'))).toHaveLength(1);
      } finally {
        await open.closeAll();
        await slow.close();
      }
    });

    it('counts messages before auth_ok too: unauthenticated first, rate_limited over the burst', async () => {
      const client = await openSocket(h, '/demo', await getTicket(h, mintToken('bob')));
      open.push(client);
      const seen = recordFrames(client);
      for (let i = 0; i < 2 * RATE + 3; i++) client.send({ type: 'ping' });
      await eventually(() => expect(seen).toHaveLength(2 * RATE + 3));
      expect(errorsOf(seen, 'unauthenticated').length).toBeGreaterThanOrEqual(2 * RATE);
      expect(errorsOf(seen, 'rate_limited').length).toBeGreaterThanOrEqual(2);
    });

    it('closes with 4429 at the first drop beyond 4x RATE_LIMIT_PER_SEC within 10 s; other connections are unaffected', async () => {
      const { client } = await connectUser(h, '/demo', 'carol');
      const { client: sibling } = await connectUser(h, '/demo', 'carol');
      open.push(client, sibling);
      const seen = recordFrames(client);
      const before = await scrapeMetrics(h);
      for (let i = 0; i < 60; i++) client.send({ type: 'echo', data: i });
      expect((await client.closed).code).toBe(4429);
      // exactly 4x RATE drops were answered; the next one closed the connection, the rest were ignored
      expect(errorsOf(seen, 'rate_limited')).toHaveLength(4 * RATE);
      // echoes of the admitted messages answered before the close went out (how many depends on how the burst
      // was split into TCP reads: the 4429 may cut replies still being prepared), never more than the bucket held
      const echoes = seen.filter((f) => f.type === 'echo').map((f) => f.data);
      expect(echoes.length).toBeLessThanOrEqual(2 * RATE + 1);
      expect(echoes).toEqual(echoes.map((_, i) => i));
      expect(await sibling.request({ type: 'echo', id: 's', data: 1 })).toMatchObject({ type: 'echo', data: 1 });
      const after = await scrapeMetrics(h);
      expect(metricValue(after, 'herald_connections_killed_total', 'reason="rate_limit"') - metricValue(before, 'herald_connections_killed_total', 'reason="rate_limit"')).toBe(1);
      expect(metricValue(after, 'herald_connection_closes_total', 'gateway="demo",code="4429"')).toBeGreaterThanOrEqual(1);
    });

    it('does not close a connection that stays at 4x RATE_LIMIT_PER_SEC drops', async () => {
      const { client } = await connectUser(h, '/demo', 'dave');
      open.push(client);
      const seen = recordFrames(client);
      // drain the bucket, then exactly 4x RATE drops
      let sent = 0;
      while (errorsOf(seen, 'rate_limited').length < 4 * RATE) {
        if (sent > 20 * RATE) throw new Error(`only ${errorsOf(seen, 'rate_limited').length} drops after ${sent} messages`);
        client.send({ type: 'echo', data: sent++ });
        await eventually(() => expect(seen).toHaveLength(sent));
      }
      await new Promise((r) => setTimeout(r, 1000 / RATE + 50));
      expect((await client.request({ type: 'ping', id: 'still' })).type).toBe('pong');
    });
  });
});
