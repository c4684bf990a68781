import { eventually, roundTrip } from './support/e2e.js';
import { API_KEY, getTicket, mintToken, openSocket, postJson, startHerald, upgradeStatus, type Herald } from './support/harness.js';

type Line = Record<string, any>;

/** PROTOCOL §8: JSON log lines; every connection line names its connectionId; never a JWT or a ticket. */
describe('logs', () => {
  let h: Herald;
  const secrets: string[] = [];
  const parsed = (): Line[] => h.logs.map((l) => JSON.parse(l) as Line);
  const linesOf = (connectionId: string) => parsed().filter((l) => l.connectionId === connectionId);
  const token = (sub: string, opts?: Parameters<typeof mintToken>[1]) => {
    const t = mintToken(sub, opts);
    secrets.push(t);
    return t;
  };
  const ticket = async (jwt: string) => {
    const t = await getTicket(h, jwt);
    secrets.push(t);
    return t;
  };

  beforeAll(async () => {
    h = await startHerald({ LOG_LEVEL: 'info', ALLOWED_ORIGINS: 'https://app.example' });
  });
  afterAll(() => h.close());

  it('writes one line each for opened, authenticated and closed, with connectionId, path, userId, code and duration', async () => {
    const jwt = token('alice');
    const client = await openSocket(h, '/demo', await ticket(jwt));
    const ok = await client.request({ type: 'auth', id: 'a', data: { token: jwt } });
    const id = ok.data.connectionId as string;
    await roundTrip(client);
    await client.close();
    const lines = await eventually(() => {
      const found = linesOf(id);
      expect(found.some((l) => l.event === 'ws.close')).toBe(true);
      return found;
    });
    expect(lines.map((l) => l.event)).toEqual(['ws.open', 'ws.auth', 'ws.close']);
    for (const l of lines) {
      expect(l).toMatchObject({ connectionId: id, path: '/demo', userId: 'alice' });
      expect(l.level).toBe(30);
      expect(typeof l.msg).toBe('string');
    }
    const closed = lines[2];
    expect(closed.code).toBe(1005);
    expect(typeof closed.durationMs).toBe('number');
    expect(closed.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('logs the close code Herald chose (4401) for a failed auth, on /notification', async () => {
    const client = await openSocket(h, '/notification', await ticket(token('bob')));
    const bad = token('bob', { secret: 'not-the-secret-not-the-secret' });
    const reply = await client.request({ type: 'auth', id: 'a', data: { token: bad } });
    expect(reply.data.code).toBe('unauthorized');
    await client.closed;
    const closeLine = await eventually(() => {
      const found = parsed().find((l) => l.event === 'ws.close' && l.userId === 'bob' && l.path === '/notification');
      expect(found).toBeDefined();
      return found!;
    });
    expect(closeLine.code).toBe(4401);
    expect(closeLine.connectionId).toEqual(expect.any(String));
    expect(linesOf(closeLine.connectionId).map((l) => l.event)).toEqual(['ws.open', 'ws.close']);
  });

  it('logs refused upgrades without the ticket', async () => {
    const live = await ticket(token('carol'));
    expect((await upgradeStatus(`${h.wsUrl}/demo?ticket=${live}`, { origin: 'https://evil.example' })).status).toBe(403);
    expect((await upgradeStatus(`${h.wsUrl}/nowhere?ticket=${live}`)).status).toBe(404);
    secrets.push('UnknownTicketValue123456789');
    expect((await upgradeStatus(`${h.wsUrl}/demo?ticket=UnknownTicketValue123456789`)).status).toBe(401);
    const refused = await eventually(() => {
      const found = parsed().filter((l) => l.event === 'ws.refused');
      expect(found.map((l) => l.status).sort()).toEqual([401, 403, 404]);
      return found;
    });
    for (const l of refused) expect(l.url).toMatch(/ticket=\[redacted\]/);
  });

  it('logs a refresh without the new token', async () => {
    const jwt = token('dave');
    const client = await openSocket(h, '/demo', await ticket(jwt));
    const ok = await client.request({ type: 'auth', id: 'a', data: { token: jwt } });
    expect((await client.request({ type: 'auth', id: 'r', data: { token: token('dave', { expSec: 7200 }) } })).type).toBe('auth_ok');
    await client.close();
    await eventually(() => expect(linesOf(ok.data.connectionId).map((l) => l.event)).toEqual(['ws.open', 'ws.auth', 'ws.refresh', 'ws.close']));
  });

  it('logs REST calls without the API key', async () => {
    expect((await postJson(h, '/notifications', { userIds: ['alice'], event: 'e' })).status).toBe(202);
    const res = await fetch(`${h.url}/notifications/broadcast`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` },
      body: JSON.stringify({ event: 'e' }),
    });
    expect(res.status).toBe(202);
    await eventually(() => expect(h.logs.join('\n')).toMatch(/notifications\/broadcast/));
    expect(h.logs.join('\n')).not.toContain(API_KEY);
  });

  it('is JSON, one object a line, and never holds a JWT, a JWT signature or a ticket', async () => {
    // its own traffic (it does not lean on the tests before it): auth, refresh, a failed auth, refused upgrades
    const jwt = token('erin');
    const client = await openSocket(h, '/demo', await ticket(jwt));
    await client.request({ type: 'auth', id: 'a', data: { token: jwt } });
    expect((await client.request({ type: 'auth', id: 'r', data: { token: token('erin', { expSec: 7200 }) } })).type).toBe('auth_ok');
    await client.close();
    const failing = await openSocket(h, '/notification', await ticket(token('erin')));
    await failing.request({ type: 'auth', id: 'a', data: { token: token('erin', { secret: 'not-the-secret-not-the-secret' }) } });
    await failing.closed;
    const refusedTicket = await ticket(token('erin'));
    expect((await upgradeStatus(`${h.wsUrl}/demo?ticket=${refusedTicket}`, { origin: 'https://evil.example' })).status).toBe(403);
    await eventually(() => expect(parsed().filter((l) => l.event === 'ws.close' && l.userId === 'erin')).toHaveLength(2));

    expect(h.logs.length).toBeGreaterThan(10);
    for (const line of h.logs) expect(() => JSON.parse(line)).not.toThrow();
    const all = h.logs.join('\n');
    expect(secrets.length).toBeGreaterThanOrEqual(8);
    for (const secret of secrets) {
      expect(all).not.toContain(secret);
      if (secret.split('.').length === 3) expect(all).not.toContain(secret.split('.')[2]);
    }
    // every line about a connection names it
    for (const l of parsed().filter((x) => typeof x.event === 'string' && x.event.startsWith('ws.') && x.event !== 'ws.refused')) {
      expect(l.connectionId).toEqual(expect.any(String));
    }
  });
});
