import { ConnectionRegistry } from '../src/realtime/connection.registry.js';
import { ClientPool, connectRecorded, nowSec, roundTrip, signJwt } from './support/e2e.js';
import { connectUser, getTicket, mintToken, openSocket, postJson, startHerald, type Herald } from './support/harness.js';

/** PROTOCOL §2.5: `auth` again on an authenticated connection; JWT expiry closes with 4401. */
describe('token refresh and expiry', () => {
  let h: Herald;
  const open = new ClientPool();
  const connectionOf = (connectionId: string) => [...h.app.get(ConnectionRegistry).all].find((c) => c.id === connectionId)!;

  /** Opens `path` for `sub` with a JWT whose `exp` is `expSec` seconds from now (whole seconds, as JWTs are). */
  async function connectExpiring(path: '/demo' | '/notification', sub: string, expSec: number) {
    const token = signJwt({ sub, exp: nowSec() + expSec });
    const client = await openSocket(h, path, await getTicket(h, token));
    open.push(client);
    const authOk = await client.request({ type: 'auth', id: 'a1', data: { token } });
    expect(authOk.type).toBe('auth_ok');
    return { client, authOk };
  }

  beforeAll(async () => {
    h = await startHerald({ JWT_CLOCK_TOLERANCE_SEC: '0' });
  });
  afterEach(async () => {
    await open.closeAll();
  });
  afterAll(() => h.close());

  it('answers a fresh JWT for the same sub with auth_ok carrying the new expiresAt', async () => {
    const { client, authOk } = await connectExpiring('/demo', 'alice', 60);
    const exp = nowSec() + 7200;
    const reply = await client.request({ type: 'auth', id: 'refresh-1', data: { token: signJwt({ sub: 'alice', exp }) } });
    expect(reply).toEqual({
      type: 'auth_ok',
      id: 'refresh-1',
      data: { connectionId: authOk.data.connectionId, userId: 'alice', expiresAt: exp * 1000, heartbeatMs: authOk.data.heartbeatMs },
    });
    expect(connectionOf(authOk.data.connectionId).expiresAt).toBe(exp * 1000);
  });

  it('refuses a JWT for another sub with unauthorized and keeps identity and expiry', async () => {
    const { client, authOk } = await connectExpiring('/demo', 'alice', 60);
    const before = connectionOf(authOk.data.connectionId).expiresAt;
    const reply = await client.request({ type: 'auth', id: 'r', data: { token: mintToken('mallory', { expSec: 7200 }) } });
    expect(reply.type).toBe('error');
    expect(reply.data.code).toBe('unauthorized');
    expect(reply.id).toBe('r');
    // still open, still alice: a direct message to alice arrives, one to mallory does not
    expect((await roundTrip(client)).type).toBe('pong');
    const conn = connectionOf(authOk.data.connectionId);
    expect(conn.userId).toBe('alice');
    expect(conn.expiresAt).toBe(before);
    const { client: sender } = await connectUser(h, '/demo', 'bob');
    open.push(sender);
    sender.send({ type: 'direct', data: { to: 'mallory', text: 'not for alice' } });
    await sender.request({ type: 'direct', id: 'd2', data: { to: 'alice', text: 'for alice' } });
    expect((await client.nextOfType('direct')).data).toEqual({ from: 'bob', text: 'for alice' });
    expect(client.frames.filter((f) => f.type === 'direct')).toEqual([]);
  });

  it.each([
    ['a bad signature', () => mintToken('alice', { secret: 'another-secret-of-enough-length' })],
    ['an expired JWT', () => signJwt({ sub: 'alice', exp: nowSec() - 60 })],
    ['no token', () => undefined],
  ])('refuses a refresh with %s and stays open', async (_name, token) => {
    const { client, authOk } = await connectExpiring('/demo', 'alice', 60);
    const reply = await client.request({ type: 'auth', id: 'bad', data: { token: token() } });
    expect(reply.data.code).toBe('unauthorized');
    expect((await roundTrip(client)).type).toBe('pong');
    expect(connectionOf(authOk.data.connectionId).expiresAt).toBe(authOk.data.expiresAt);
  });

  it('closes a connection whose JWT expires unrefreshed with 4401 "token expired"; a refreshed one stays', async () => {
    const stale = await connectExpiring('/demo', 'carol', 2);
    const fresh = await connectExpiring('/demo', 'carol', 2);
    const refreshed = await fresh.client.request({ type: 'auth', id: 'r', data: { token: mintToken('carol', { expSec: 3600 }) } });
    expect(refreshed.type).toBe('auth_ok');
    const closed = await stale.client.closed;
    expect(closed).toEqual({ code: 4401, reason: 'token expired' });
    expect(Date.now()).toBeGreaterThanOrEqual(stale.authOk.data.expiresAt);
    expect((await roundTrip(fresh.client)).type).toBe('pong');
  });

  it('keeps the old expiry after a refused refresh: the connection still closes at the first exp', async () => {
    const { client } = await connectExpiring('/demo', 'dave', 2);
    const reply = await client.request({ type: 'auth', id: 'x', data: { token: mintToken('eve', { expSec: 3600 }) } });
    expect(reply.data.code).toBe('unauthorized');
    expect(await client.closed).toEqual({ code: 4401, reason: 'token expired' });
  });

  it('holds one expiry timer per connection, however often it refreshes', async () => {
    const { client, authOk } = await connectExpiring('/demo', 'frank', 60);
    for (let i = 0; i < 20; i++) {
      const reply = await client.request({ type: 'auth', id: `r${i}`, data: { token: mintToken('frank', { expSec: 100 + i }) } });
      expect(reply.type).toBe('auth_ok');
    }
    expect([...connectionOf(authOk.data.connectionId).timers]).toEqual(['expiry']);
  });

  it('does not close at once for a JWT valid longer than a setTimeout can wait (~24.8 days)', async () => {
    const { client, authOk } = await connectExpiring('/demo', 'grace', 60 * 24 * 3600);
    // an overflowing timer would fire after 1 ms
    await new Promise((r) => setTimeout(r, 50));
    expect((await roundTrip(client)).type).toBe('pong');
    const refreshed = await client.request({ type: 'auth', id: 'r', data: { token: mintToken('grace', { expSec: 90 * 24 * 3600 }) } });
    expect(refreshed.data.expiresAt).toBeGreaterThan(authOk.data.expiresAt);
    await new Promise((r) => setTimeout(r, 50));
    expect((await roundTrip(client)).type).toBe('pong');
  });

  it('refreshes on /notification without replaying anything', async () => {
    const { client, seen } = await connectRecorded(h, '/notification', 'heidi');
    open.push(client);
    const res = await postJson(h, '/notifications', { userIds: ['heidi'], event: 'a.b' });
    expect(res.status).toBe(202);
    await client.nextOfType('notification');
    const exp = nowSec() + 5000;
    const reply = await client.request({
      type: 'auth',
      id: 'refresh',
      data: { token: signJwt({ sub: 'heidi', exp }), recover: { user: { offset: 0, epoch: 'whatever' } } },
    });
    expect(reply.type).toBe('auth_ok');
    expect(reply.data.expiresAt).toBe(exp * 1000);
    expect(reply.data.userId).toBe('heidi');
    expect((await roundTrip(client)).type).toBe('pong');
    expect(seen.filter((f) => f.type === 'notification')).toHaveLength(1);
  });
});
