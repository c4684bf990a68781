import http from 'node:http';
import WebSocket from 'ws';
import { ClientPool, nothingMore, roundTrip } from './support/e2e.js';
import { API_KEY, connectUser, getTicket, mintToken, openSocket, postJson, startHerald, type Frame, type Herald, type TestClient } from './support/harness.js';

/**
 * PROTOCOL.md read as an outside tester would: the edge cases the other e2e
 * files leave open, each checked over real HTTP and real `ws` clients.
 */
describe('contract edge cases', () => {
  let h: Herald;
  const clients = new ClientPool();
  const connect = async (path: '/demo' | '/notification', user: string, authData: Record<string, unknown> = {}) => {
    const c = await connectUser(h, path, user, authData);
    clients.push(c.client);
    return c;
  };

  beforeAll(async () => {
    h = await startHerald({ MAX_BODY_BYTES: '4096' });
  });
  afterEach(async () => {
    await clients.closeAll();
  });
  afterAll(() => h.close());

  /** Status, content-type and body of a refused upgrade (or 101). */
  const refusal = (pathAndQuery: string, headers: Record<string, string> = {}) =>
    new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
      const ws = new WebSocket(`${h.wsUrl}${pathAndQuery}`, { headers });
      ws.once('open', () => (ws.close(), resolve({ status: 101, type: '', body: '' })));
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body }));
      });
      ws.once('error', reject);
    });

  describe('§2.2 refused upgrades', () => {
    it.each([
      ['404', '/nowhere?ticket=x', 404],
      ['401 (no ticket)', '/demo', 401],
      ['401 (empty ticket)', '/notification?ticket=', 401],
      ['401 (unknown ticket)', '/notification/?ticket=nope&x=1', 401],
    ])('%s answers a short text/plain body', async (_name, path, status) => {
      const res = await refusal(path);
      expect(res.status).toBe(status);
      expect(res.type).toMatch(/^text\/plain/);
      expect(res.body.trim().length).toBeGreaterThan(0);
      expect(res.body.length).toBeLessThan(200);
    });

    it('lets any Origin through when ALLOWED_ORIGINS is not set', async () => {
      const t = await getTicket(h, mintToken('alice'));
      expect((await refusal(`/demo?ticket=${t}`, { origin: 'https://anything.example' })).status).toBe(101);
    });

    it('a ticket opens one connection on either gateway, whichever was meant', async () => {
      const t = await getTicket(h, mintToken('alice'));
      const client = await openSocket(h, '/notification', t);
      clients.push(client);
      expect((await refusal(`/demo?ticket=${t}`)).status).toBe(401);
    });
  });

  describe('§2.3–2.5 auth', () => {
    it.each([
      ['a string', 'a.b.c'],
      ['an array', ['token']],
      ['null', null],
    ])('answers unauthorized and closes 4401 when data is %s', async (_name, data) => {
      const client = await openSocket(h, '/demo', await getTicket(h, mintToken('alice')));
      const reply = await client.request({ type: 'auth', id: 'x', data });
      expect(reply).toMatchObject({ type: 'error', id: 'x', data: { code: 'unauthorized', message: expect.any(String) } });
      expect((await client.closed).code).toBe(4401);
    });

    it('processes a message pipelined right behind auth as authenticated, in order', async () => {
      const token = mintToken('pipe');
      const client = await openSocket(h, '/demo', await getTicket(h, token));
      clients.push(client);
      client.send({ type: 'auth', id: 'a', data: { token } });
      client.send({ type: 'echo', id: 'e', data: 'after auth' });
      client.send({ type: 'broadcast', id: 'b', data: { text: 'hello' } });
      expect((await client.next()).type).toBe('auth_ok');
      expect(await client.next()).toEqual({ type: 'echo', id: 'e', data: 'after auth' });
      const rest = [await client.next(), await client.next()];
      expect(rest).toContainEqual({ type: 'ack', id: 'b' });
      expect(rest).toContainEqual({ type: 'broadcast', data: { from: 'pipe', text: 'hello' } });
    });

    it('answers two auth frames sent back to back with two auth_ok, each with its id; one connection counts once', async () => {
      const token = mintToken('twice');
      const client = await openSocket(h, '/notification', await getTicket(h, token));
      clients.push(client);
      client.send({ type: 'auth', id: 'one', data: { token } });
      client.send({ type: 'auth', id: 'two', data: { token: mintToken('twice', { expSec: 7200 }) } });
      const first = await client.next();
      const second = await client.next();
      expect(first).toMatchObject({ type: 'auth_ok', id: 'one', data: { userId: 'twice' } });
      expect(second).toMatchObject({ type: 'auth_ok', id: 'two', data: { userId: 'twice', connectionId: first.data.connectionId } });
      expect(second.data.expiresAt).toBeGreaterThan(first.data.expiresAt);
      expect(second.data.streams).toEqual(first.data.streams);
      const res = await fetch(`${h.url}/presence/twice`, { headers: { 'x-api-key': API_KEY } });
      expect(await res.json()).toEqual({ userId: 'twice', online: true, connections: 1 });
      await nothingMore(client);
    });

    it('a refresh on /notification still carries streams (auth_ok on /notification always does)', async () => {
      const { client } = await connect('/notification', 'streams');
      await postJson(h, '/notifications', { userIds: ['streams'], event: 'one' });
      const n = await client.nextOfType('notification');
      const ok = await client.request({ type: 'auth', id: 'r', data: { token: mintToken('streams') } });
      expect(ok.type).toBe('auth_ok');
      expect(ok.data.streams.user).toEqual({ offset: n.data.offset, epoch: n.data.epoch });
      expect(ok.data.streams.broadcast).toEqual({ offset: expect.any(Number), epoch: expect.any(String) });
    });

    it('auth_ok on /demo has exactly the §2.3 fields, even when auth carries recover', async () => {
      const { authOk } = await connect('/demo', 'demo-only', { recover: { user: { offset: 0, epoch: 'x' } } });
      expect(Object.keys(authOk.data).sort()).toEqual(['connectionId', 'expiresAt', 'heartbeatMs', 'userId']);
      expect(authOk.data.heartbeatMs).toBe(30000);
    });
  });

  describe('§3 envelope', () => {
    let client: TestClient;
    beforeEach(async () => {
      ({ client } = await connect('/demo', 'env'));
    });

    it('answers invalid to an empty type, with the id', async () => {
      const reply = await client.request({ type: '', id: 'empty' });
      expect(reply).toMatchObject({ type: 'error', id: 'empty', data: { code: 'invalid' } });
      expect(reply.data.errors.map((e: { field: string }) => e.field)).toEqual(['type']);
    });

    it.each([['a number', 7], ['an object', { a: 1 }], ['null', null]])('answers invalid (field id) to an id that is %s', async (_name, id) => {
      client.send({ type: 'echo', id, data: 1 });
      const reply = await client.nextOfType('error');
      expect(reply.data.code).toBe('invalid');
      expect(reply.data.errors.map((e: { field: string }) => e.field)).toContain('id');
      expect(reply.id).toBeUndefined();
    });

    it('accepts a type of exactly 64 valid characters (then unknown_type)', async () => {
      const reply = await client.request({ type: `a.b:c-d_${'e'.repeat(56)}`, id: 't64' });
      expect(reply).toEqual({ type: 'error', id: 't64', data: { code: 'unknown_type', message: expect.any(String) } });
    });

    it.each([['ECHO'], ['Echo'], ['echo '], ['échø']])('answers invalid to type %p', async (type) => {
      const reply = await client.request({ type, id: 'u' });
      expect(reply).toMatchObject({ type: 'error', id: 'u', data: { code: 'invalid' } });
    });

    it.each([
      ['a string', 'hi'],
      ['null', null],
      ['an array', [{ text: 'hi' }]],
      ['a number', 5],
    ])('broadcast with data that is %s: invalid, naming text, delivering nothing', async (_name, data) => {
      const reply = await client.request({ type: 'broadcast', id: 'bd', data });
      expect(reply).toMatchObject({ type: 'error', id: 'bd', data: { code: 'invalid', message: expect.any(String) } });
      expect(reply.data.errors.length).toBeGreaterThan(0);
      await nothingMore(client);
    });

    it('direct with an empty or non-string to: invalid, naming to', async () => {
      for (const to of ['', 42, null, ['env']]) {
        const reply = await client.request({ type: 'direct', id: 'dt', data: { to, text: 'x' } });
        expect(reply).toMatchObject({ type: 'error', id: 'dt', data: { code: 'invalid' } });
        expect(reply.data.errors.map((e: { field: string }) => e.field)).toContain('to');
      }
      await nothingMore(client);
    });

    it('an error reply is exactly {type, data: {code, message}, id}', async () => {
      client.send('[1]');
      const raw = await new Promise<string>((resolve) => client.ws.once('message', (d) => resolve(d.toString())));
      expect(JSON.parse(raw)).toEqual({ type: 'error', data: { code: 'bad_json', message: expect.any(String) } });
      await client.nextOfType('error');
    });

    it('delivers broadcast copies with only from and text, whatever else data carried', async () => {
      const { client: other } = await connect('/demo', 'env-watch');
      const ack = await client.request({ type: 'broadcast', id: 'x', data: { text: 'hi', from: 'mallory', extra: 1 } });
      expect(ack).toEqual({ type: 'ack', id: 'x' });
      expect(await other.nextOfType('broadcast')).toEqual({ type: 'broadcast', data: { from: 'env', text: 'hi' } });
    });
  });

  describe('§6 REST', () => {
    const raw = (path: string, body: string | Buffer, headers: Record<string, string>) =>
      fetch(`${h.url}${path}`, { method: 'POST', headers: { 'x-api-key': API_KEY, ...headers }, body });

    it.each([
      ['text/plain', { 'content-type': 'text/plain' }],
      ['application/x-www-form-urlencoded (curl -d)', { 'content-type': 'application/x-www-form-urlencoded' }],
      ['application/json; charset=utf-8', { 'content-type': 'application/json; charset=utf-8' }],
      ['no content-type', {}],
    ])('takes a JSON body sent as %s', async (_name, headers) => {
      const body = Buffer.from(JSON.stringify({ event: 'ct.test' }));
      const res = await raw('/notifications/broadcast', body, headers as Record<string, string>);
      expect(res.status).toBe(202);
      expect(Object.keys((await res.json()) as object)).toEqual(['id']);
    });

    it('answers 400 with field errors to a body that is not JSON, whatever its content-type', async () => {
      const res = await raw('/notifications/broadcast', 'event=x', { 'content-type': 'application/x-www-form-urlencoded' });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { errors: unknown[] }).errors.length).toBeGreaterThan(0);
    });

    it('answers 413 to a chunked body (no Content-Length) over MAX_BODY_BYTES', async () => {
      const { port } = new URL(h.url);
      const status = await new Promise<number>((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port, path: '/notifications/broadcast', method: 'POST', headers: { 'x-api-key': API_KEY, 'content-type': 'application/json' } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.write('{"event":"e","payload":{"x":"');
        req.write('x'.repeat(8192));
        req.end('"}}');
      });
      expect(status).toBe(413);
    });

    it('broadcast notification without payload delivers payload {}', async () => {
      const { client } = await connect('/notification', 'bcast-payload');
      const res = await postJson(h, '/notifications/broadcast', { event: 'no.payload' });
      expect(res.status).toBe(202);
      const n = await client.nextOfType('notification');
      expect(n.data).toMatchObject({ id: res.body.id, event: 'no.payload', payload: {}, stream: 'broadcast' });
    });

    it('answers 400 naming event for an event with uppercase or spaces, on both endpoints', async () => {
      for (const [path, body] of [
        ['/notifications', { userIds: ['a'], event: 'Order.Shipped' }],
        ['/notifications/broadcast', { event: 'order shipped' }],
        ['/notifications/broadcast', { event: '' }],
        ['/notifications/broadcast', { event: 7 }],
      ] as const) {
        const res = await postJson(h, path, body);
        expect(res.status).toBe(400);
        expect(res.body.errors.map((e: { field: string }) => e.field)).toContain('event');
      }
    });

    it('answers 400 when userIds mixes strings with other values', async () => {
      const res = await postJson(h, '/notifications', { userIds: ['a', 2, null], event: 'e' });
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain('userIds');
    });

    it('answers 202 with a fresh uuid each time without idempotencyKey', async () => {
      const a = await postJson(h, '/notifications/broadcast', { event: 'e' });
      const b = await postJson(h, '/notifications/broadcast', { event: 'e' });
      expect(a.status).toBe(202);
      expect(a.body.id).not.toBe(b.body.id);
    });

    it('GET /presence/:userId: 401 without a key, with a user JWT, or with the key as a JWT; 200 with either header', async () => {
      const url = `${h.url}/presence/alice`;
      expect((await fetch(url)).status).toBe(401);
      expect((await fetch(url, { headers: { 'x-api-key': mintToken('alice') } })).status).toBe(401);
      const viaBearer = await fetch(url, { headers: { authorization: `Bearer ${API_KEY}` } });
      expect(viaBearer.status).toBe(200);
      const body = (await viaBearer.json()) as Record<string, unknown>;
      expect(body).toEqual({ userId: 'alice', online: expect.any(Boolean), connections: expect.any(Number) });
      expect(Number.isInteger(body.connections)).toBe(true);
    });

    it('takes the Bearer scheme in any case, for API keys and user JWTs (RFC 9110: schemes are case-insensitive)', async () => {
      const res = await fetch(`${h.url}/presence/alice`, { headers: { authorization: `bearer ${API_KEY}` } });
      expect(res.status).toBe(200);
      const ticket = await fetch(`${h.url}/auth/ticket`, { method: 'POST', headers: { authorization: `BEARER ${mintToken('alice')}` } });
      expect(ticket.status).toBe(201);
      expect((await fetch(`${h.url}/presence/alice`, { headers: { authorization: `Bearer` } })).status).toBe(401);
      expect((await fetch(`${h.url}/presence/alice`, { headers: { authorization: `Bearerx ${API_KEY}` } })).status).toBe(401);
    });

    it('POST /auth/ticket refuses an API key sent as X-API-Key', async () => {
      const res = await fetch(`${h.url}/auth/ticket`, { method: 'POST', headers: { 'x-api-key': API_KEY } });
      expect(res.status).toBe(401);
    });
  });

  it('§8 starts with any JWT_SECRET, however short: only a value that does not parse stops the start', async () => {
    const weak = await startHerald({ JWT_SECRET: 'secret', SERVICE_API_KEYS: 'k1, k2' });
    try {
      const token = mintToken('alice', { secret: 'secret' });
      const client = await openSocket(weak, '/demo', await getTicket(weak, token));
      expect((await client.request({ type: 'auth', id: 'a', data: { token } })).type).toBe('auth_ok');
      await client.close();
      expect((await postJson(weak, '/notifications/broadcast', { event: 'e' }, { 'x-api-key': 'k2' })).status).toBe(202);
    } finally {
      await weak.close();
    }
  });

  it('§3 every frame Herald sends is a UTF-8 text frame', async () => {
    const token = mintToken('texty');
    const client = await openSocket(h, '/notification', await getTicket(h, token));
    clients.push(client);
    const kinds: boolean[] = [];
    client.ws.on('message', (_d, isBinary) => kinds.push(isBinary));
    client.send({ type: 'ping', id: 'early' }); // unauthenticated error
    client.send('nope'); // bad_json
    await client.request({ type: 'auth', id: 'a', data: { token } });
    await postJson(h, '/notifications', { userIds: ['texty'], event: 'e' });
    await client.nextOfType('notification');
    await roundTrip(client);
    expect(kinds.length).toBeGreaterThanOrEqual(5);
    expect(kinds.every((binary) => binary === false)).toBe(true);
  });

  describe('CORS on POST /auth/ticket (browsers fetch their ticket cross-origin)', () => {
    const preflight = (herald: Herald, path: string, origin: string) =>
      fetch(`${herald.url}${path}`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' } });

    it('answers any origin when ALLOWED_ORIGINS is unset, and the ticket response is readable cross-origin', async () => {
      const pre = await preflight(h, '/auth/ticket', 'https://app.example');
      expect(pre.status).toBeLessThan(300);
      expect(pre.headers.get('access-control-allow-origin')).toMatch(/^(\*|https:\/\/app\.example)$/);
      expect(pre.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
      const res = await fetch(`${h.url}/auth/ticket`, { method: 'POST', headers: { origin: 'https://app.example', authorization: `Bearer ${mintToken('alice')}` } });
      expect(res.status).toBe(201);
      expect(res.headers.get('access-control-allow-origin')).not.toBeNull();
    });

    it('does not open the service routes to browsers', async () => {
      const res = await fetch(`${h.url}/presence/alice`, { headers: { origin: 'https://app.example', 'x-api-key': API_KEY } });
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
    });

    it('follows ALLOWED_ORIGINS when set', async () => {
      const strict = await startHerald({ ALLOWED_ORIGINS: 'https://app.example' });
      try {
        expect((await preflight(strict, '/auth/ticket', 'https://app.example')).headers.get('access-control-allow-origin')).toBe('https://app.example');
        expect((await preflight(strict, '/auth/ticket', 'https://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
      } finally {
        await strict.close();
      }
    });
  });

  describe('§5 notification frames', () => {
    it('numbers the first user notification 1 and carries no top-level id', async () => {
      const { client, authOk } = await connect('/notification', 'first-one');
      expect(authOk.data.streams.user.offset).toBe(0);
      expect(authOk.data).not.toHaveProperty('recovered');
      const res = await postJson(h, '/notifications', { userIds: ['first-one'], event: 'x', payload: { a: 1 } });
      const n: Frame = await client.nextOfType('notification');
      expect(n).toEqual({
        type: 'notification',
        data: { id: res.body.id, event: 'x', payload: { a: 1 }, stream: 'user', offset: 1, epoch: authOk.data.streams.user.epoch, ts: expect.any(Number) },
      });
    });
  });
});
