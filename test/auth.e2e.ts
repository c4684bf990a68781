import { ClientPool, nowSec, roundTrip, signJwt, unsignedJwt } from './support/e2e.js';
import { API_KEY, connectUser, getTicket, mintToken, openSocket, postJson, startHerald, type Herald } from './support/harness.js';

const issue = (h: Herald, authorization?: string) =>
  fetch(`${h.url}/auth/ticket`, { method: 'POST', headers: authorization === undefined ? {} : { authorization } });

/** Tokens that must never authenticate anyone (PROTOCOL §1). */
const badTokens = (): Array<[string, string]> => [
  ['garbage', 'not-a-jwt'],
  ['alg none', unsignedJwt({ sub: 'alice', exp: nowSec() + 3600 })],
  ['a wrong signature', mintToken('alice', { secret: 'some-other-secret-of-enough-length' })],
  ['a tampered payload', (() => {
    const [head, , sig] = mintToken('alice').split('.');
    return `${head}.${Buffer.from(JSON.stringify({ sub: 'alice', exp: nowSec() + 3600 })).toString('base64url')}x.${sig}`;
  })()],
  ['an algorithm other than HS256', signJwt({ sub: 'alice', exp: nowSec() + 3600 }, { algorithm: 'HS512' })],
  ['an expired token (beyond the 5 s tolerance)', signJwt({ sub: 'alice', exp: nowSec() - 60 })],
  ['a token not valid yet (nbf)', signJwt({ sub: 'alice', exp: nowSec() + 3600, nbf: nowSec() + 600 })],
  ['a missing sub', signJwt({ exp: nowSec() + 3600 })],
  ['an empty sub', signJwt({ sub: '', exp: nowSec() + 3600 })],
  ['a non-string sub', signJwt({ sub: 42, exp: nowSec() + 3600 })],
  ['a missing exp', signJwt({ sub: 'alice' })],
  ['the API key', API_KEY],
];

describe('auth', () => {
  let h: Herald;
  const clients = new ClientPool();
  beforeAll(async () => {
    h = await startHerald({ HEARTBEAT_INTERVAL_MS: '25000' });
  });
  afterEach(async () => {
    await clients.closeAll();
  });
  afterAll(() => h.close());

  describe('POST /auth/ticket', () => {
    it('answers 201 {ticket, expiresIn} for a valid user JWT', async () => {
      const res = await issue(h, `Bearer ${mintToken('alice')}`);
      expect(res.status).toBe(201);
      const body = (await res.json()) as { ticket: string; expiresIn: number };
      expect(Object.keys(body).sort()).toEqual(['expiresIn', 'ticket']);
      expect(typeof body.ticket).toBe('string');
      expect(body.ticket.length).toBeGreaterThanOrEqual(22);
      expect(body.expiresIn).toBe(30);
    });

    it('accepts exp within the clock tolerance', async () => {
      expect((await issue(h, `Bearer ${signJwt({ sub: 'alice', exp: nowSec() - 1 })}`)).status).toBe(201);
    });

    it.each([
      ['no Authorization header', undefined],
      ['an empty bearer', 'Bearer '],
      ['a non-bearer scheme', `Basic ${Buffer.from('alice:pw').toString('base64')}`],
    ])('answers 401 for %s', async (_name, header) => {
      expect((await issue(h, header)).status).toBe(401);
    });

    it.each(badTokens())('answers 401 for %s', async (_name, token) => {
      expect((await issue(h, `Bearer ${token}`)).status).toBe(401);
    });

    it('rounds expiresIn up to whole seconds', async () => {
      const other = await startHerald({ TICKET_TTL_MS: '1500' });
      try {
        const res = await issue(other, `Bearer ${mintToken('alice')}`);
        expect(((await res.json()) as { expiresIn: number }).expiresIn).toBe(2);
      } finally {
        await other.close();
      }
    });
  });

  describe('keys do not cross', () => {
    it('never accepts a user JWT as an API key, by either header', async () => {
      const jwt = mintToken('alice');
      const body = { userIds: ['alice'], event: 'x' };
      expect((await postJson(h, '/notifications', body, { 'x-api-key': jwt })).status).toBe(401);
      const res = await fetch(`${h.url}/notifications`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${jwt}` },
        body: JSON.stringify(body),
      });
      expect(res.status).toBe(401);
      expect((await fetch(`${h.url}/presence/alice`, { headers: { authorization: `Bearer ${jwt}` } })).status).toBe(401);
    });

    it('never accepts an API key as a user JWT, over REST or in `auth`', async () => {
      expect((await issue(h, `Bearer ${API_KEY}`)).status).toBe(401);
      const client = await openSocket(h, '/demo', await getTicket(h, mintToken('alice')));
      const reply = await client.request({ type: 'auth', id: 'a', data: { token: API_KEY } });
      expect(reply).toMatchObject({ type: 'error', id: 'a', data: { code: 'unauthorized' } });
      expect((await client.closed).code).toBe(4401);
    });
  });

  describe('iss and aud, when configured', () => {
    let strict: Herald;
    beforeAll(async () => {
      strict = await startHerald({ JWT_ISSUER: 'https://id.example', JWT_AUDIENCE: 'herald' });
    });
    afterAll(() => strict.close());

    it('accepts the configured issuer and audience only', async () => {
      const exp = nowSec() + 600;
      const ok = signJwt({ sub: 'alice', exp, iss: 'https://id.example', aud: 'herald' });
      expect((await issue(strict, `Bearer ${ok}`)).status).toBe(201);
      for (const claims of [{}, { iss: 'https://id.example' }, { aud: 'herald' }, { iss: 'https://evil.example', aud: 'herald' }, { iss: 'https://id.example', aud: 'other' }]) {
        expect((await issue(strict, `Bearer ${signJwt({ sub: 'alice', exp, ...claims })}`)).status).toBe(401);
      }
    });
  });

  describe('ws `auth`', () => {
    it.each(['/demo', '/notification'] as const)('answers auth_ok on %s with the §2.3 fields and the request id', async (path) => {
      const exp = nowSec() + 1234;
      const token = signJwt({ sub: 'alice', exp });
      const client = await openSocket(h, path, await getTicket(h, token));
      clients.push(client);
      const ok = await client.request({ type: 'auth', id: 'hello-1', data: { token } });
      expect(ok.type).toBe('auth_ok');
      expect(ok.id).toBe('hello-1');
      expect(ok.data).toMatchObject({ userId: 'alice', expiresAt: exp * 1000, heartbeatMs: 25000 });
      expect(ok.data.connectionId).toEqual(expect.any(String));
      expect(ok.data.connectionId.length).toBeGreaterThan(0);
      expect((await roundTrip(client)).type).toBe('pong');
    });

    it('gives every connection its own connectionId', async () => {
      const a = await connectUser(h, '/demo', 'alice');
      const b = await connectUser(h, '/demo', 'alice');
      clients.push(a.client, b.client);
      expect(a.authOk.data.connectionId).not.toBe(b.authOk.data.connectionId);
    });

    it.each(badTokens())('answers unauthorized and closes 4401 for %s', async (_name, token) => {
      const client = await openSocket(h, '/demo', await getTicket(h, mintToken('alice')));
      const reply = await client.request({ type: 'auth', id: 'bad', data: { token } });
      expect(reply).toMatchObject({ type: 'error', id: 'bad', data: { code: 'unauthorized', message: expect.any(String) } });
      expect((await client.closed).code).toBe(4401);
    });

    it.each([
      ['no data', undefined],
      ['no token', {}],
      ['a non-string token', { token: 42 }],
      ['an empty token', { token: '' }],
    ])('answers unauthorized and closes 4401 for %s', async (_name, data) => {
      const client = await openSocket(h, '/notification', await getTicket(h, mintToken('alice')));
      const reply = await client.request({ type: 'auth', id: 'm', data });
      expect(reply).toMatchObject({ type: 'error', id: 'm', data: { code: 'unauthorized' } });
      expect((await client.closed).code).toBe(4401);
    });

    it('refuses a valid JWT whose sub is not the ticket user: unauthorized, 4401', async () => {
      const client = await openSocket(h, '/demo', await getTicket(h, mintToken('alice')));
      const reply = await client.request({ type: 'auth', id: 'x', data: { token: mintToken('mallory') } });
      expect(reply).toMatchObject({ type: 'error', id: 'x', data: { code: 'unauthorized' } });
      expect((await client.closed).code).toBe(4401);
    });

    it.each([
      ['echo', { type: 'echo', data: 'hi' }],
      ['broadcast', { type: 'broadcast', data: { text: 'hi' } }],
      ['direct', { type: 'direct', data: { to: 'alice', text: 'hi' } }],
      ['ping', { type: 'ping' }],
      ['an unknown type', { type: 'no.such.type' }],
    ])('answers unauthenticated to %s before auth_ok, without processing it', async (_name, frame) => {
      const watcher = await connectUser(h, '/demo', 'alice');
      clients.push(watcher.client);
      const client = await openSocket(h, '/demo', await getTicket(h, mintToken('bob')));
      clients.push(client);
      const reply = await client.request({ ...frame, id: 'early' });
      expect(reply).toMatchObject({ type: 'error', id: 'early', data: { code: 'unauthenticated' } });
      // still open, and nothing was processed: the watcher saw no broadcast or direct
      const token = mintToken('bob');
      expect((await client.request({ type: 'auth', id: 'late', data: { token } })).type).toBe('auth_ok');
      expect((await roundTrip(watcher.client)).type).toBe('pong');
      expect(watcher.client.frames).toEqual([]);
      expect(client.frames).toEqual([]);
    });

    it('answers unauthenticated on /notification too', async () => {
      const client = await openSocket(h, '/notification', await getTicket(h, mintToken('bob')));
      clients.push(client);
      expect(await client.request({ type: 'ping', id: 'p' })).toMatchObject({ type: 'error', id: 'p', data: { code: 'unauthenticated' } });
      expect(await client.request({ type: 'echo', id: 'e' })).toMatchObject({ type: 'error', id: 'e', data: { code: 'unauthenticated' } });
    });

    describe('refresh (§2.5)', () => {
      it('answers auth_ok with the new expiresAt for a fresh JWT of the same sub', async () => {
        const { client, authOk } = await connectUser(h, '/demo', 'alice');
        clients.push(client);
        const exp = nowSec() + 7200;
        const ok = await client.request({ type: 'auth', id: 'r', data: { token: signJwt({ sub: 'alice', exp }) } });
        expect(ok).toMatchObject({ type: 'auth_ok', id: 'r', data: { userId: 'alice', expiresAt: exp * 1000, connectionId: authOk.data.connectionId } });
      });

      it('refuses another sub or a bad JWT with unauthorized and keeps the connection and its identity', async () => {
        const { client, authOk } = await connectUser(h, '/demo', 'alice');
        clients.push(client);
        for (const token of [mintToken('mallory'), 'garbage', mintToken('alice', { secret: 'wrong-secret-wrong-secret' })]) {
          const reply = await client.request({ type: 'auth', id: 'r', data: { token } });
          expect(reply).toMatchObject({ type: 'error', id: 'r', data: { code: 'unauthorized' } });
        }
        expect((await roundTrip(client)).type).toBe('pong');
        const direct = await client.request({ type: 'direct', id: 'd', data: { to: 'alice', text: 'still me' } });
        expect(direct).toEqual({ type: 'ack', id: 'd' });
        expect((await client.nextOfType('direct')).data).toEqual({ from: 'alice', text: 'still me' });
        const again = await client.request({ type: 'auth', id: 'r2', data: { token: mintToken('alice') } });
        expect(again.data).toMatchObject({ userId: 'alice', connectionId: authOk.data.connectionId });
      });
    });
  });

  describe('timers', () => {
    let fast: Herald;
    let tight: Herald;
    const open = new ClientPool();
    beforeAll(async () => {
      // only the 4408 test runs against a short AUTH_TIMEOUT_MS: nothing else must race it on a loaded machine
      fast = await startHerald({ AUTH_TIMEOUT_MS: '150' });
      tight = await startHerald({ AUTH_TIMEOUT_MS: '1000', JWT_CLOCK_TOLERANCE_SEC: '0' });
    });
    afterEach(() => open.closeAll());
    afterAll(async () => {
      await Promise.allSettled([fast?.close(), tight?.close()]);
    });

    it('closes 4408 when no auth arrives within AUTH_TIMEOUT_MS', async () => {
      const started = Date.now();
      const client = await open.openSocket(fast, '/demo', await getTicket(fast, mintToken('alice')));
      expect((await client.closed).code).toBe(4408);
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    });

    it('does not close an authenticated connection at the auth deadline', async () => {
      const { client } = await open.connect(tight, '/notification', 'alice');
      // past the 1 s deadline (an absence has no event to await)
      await new Promise((r) => setTimeout(r, 1300));
      expect((await roundTrip(client)).type).toBe('pong');
    });

    it('closes 4401 "token expired" when the JWT expires without a refresh, and a refresh postpones it', async () => {
      // lives 3 to 4 s (zero clock tolerance): room for 3 ticket calls and 4 auths on a loaded machine
      const exp = nowSec() + 4;
      const token = signJwt({ sub: 'alice', exp });
      const expiring = await open.openSocket(tight, '/demo', await getTicket(tight, token));
      expect((await expiring.request({ type: 'auth', id: 'a', data: { token } })).type).toBe('auth_ok');

      const refreshed = await open.openSocket(tight, '/demo', await getTicket(tight, token));
      expect((await refreshed.request({ type: 'auth', id: 'a', data: { token } })).type).toBe('auth_ok');
      expect((await refreshed.request({ type: 'auth', id: 'b', data: { token: mintToken('alice') } })).type).toBe('auth_ok');

      // a refused refresh (another sub) leaves the old expiry in force
      const refused = await open.openSocket(tight, '/demo', await getTicket(tight, token));
      expect((await refused.request({ type: 'auth', id: 'a', data: { token } })).type).toBe('auth_ok');
      expect((await refused.request({ type: 'auth', id: 'b', data: { token: mintToken('mallory') } })).data.code).toBe('unauthorized');
      expect(Date.now()).toBeLessThan(exp * 1000);

      const closed = await expiring.closed;
      expect(closed).toEqual({ code: 4401, reason: 'token expired' });
      expect(await refused.closed).toEqual({ code: 4401, reason: 'token expired' });
      expect(Date.now()).toBeGreaterThanOrEqual(exp * 1000);
      expect((await roundTrip(refreshed)).type).toBe('pong');
    });
  });
});
