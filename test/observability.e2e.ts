import { eventually } from './support/e2e.js';
import { sample, scrapeMetrics } from './support/metrics.js';
import {
  API_KEY,
  connectUser,
  getTicket,
  mintToken,
  openSocket,
  postJson,
  startHerald,
  upgradeStatus,
  type Herald,
} from './support/harness.js';

type Line = Record<string, any>;

const parse = (h: Herald): Line[] => h.logs.map((l) => JSON.parse(l) as Line);
const metricsText = scrapeMetrics;

/** Access log (one JSON line per connection event, per message at debug) and Prometheus metrics. */
describe('observability', () => {
  let h: Herald;
  const secrets: string[] = [];
  const remember = <T extends string>(s: T): T => (secrets.push(s), s);

  beforeAll(async () => {
    h = await startHerald({ LOG_LEVEL: 'debug', RATE_LIMIT_PER_SEC: '1000' });
  });
  afterAll(() => h.close());

  it('logs opened, authenticated, refreshed, each message (debug) and closed, each with its connectionId', async () => {
    const token = remember(mintToken('alice'));
    const ticket = remember(await getTicket(h, token));
    const client = await openSocket(h, '/demo', ticket, { headers: { 'user-agent': 'observability-test/1.0' } });
    const ok = await client.request({ type: 'auth', id: 'a', data: { token } });
    const id = ok.data.connectionId as string;
    await client.request({ type: 'echo', id: 'e', data: 'hello' });
    await client.request({ type: 'auth', id: 'r', data: { token: remember(mintToken('alice', { expSec: 7200 })) } });
    client.send('not json');
    await client.nextOfType('error');
    await client.close();

    const lines = await eventually(() => {
      const found = parse(h).filter((l) => l.connectionId === id);
      expect(found.map((l) => l.event)).toContain('ws.close');
      return found;
    });
    const byEvent = (event: string) => lines.filter((l) => l.event === event);
    expect(byEvent('ws.open')[0]).toMatchObject({ path: '/demo', userId: 'alice', remoteAddress: '127.0.0.1', userAgent: 'observability-test/1.0' });
    expect(byEvent('ws.auth')[0]).toMatchObject({ userId: 'alice', expiresAt: ok.data.expiresAt });
    expect(byEvent('ws.refresh')).toHaveLength(1);
    expect(byEvent('ws.message').map((l) => [l.type, l.bytes])).toEqual([
      ['auth', expect.any(Number)],
      ['echo', expect.any(Number)],
      ['auth', expect.any(Number)],
    ]);
    expect(byEvent('ws.message').every((l) => l.level === 20)).toBe(true);
    const close = byEvent('ws.close')[0];
    expect(close).toMatchObject({ code: 1005, initiator: 'client', messagesIn: 4, messagesOut: 4, remoteAddress: '127.0.0.1' });
    expect(close.durationMs).toBeGreaterThanOrEqual(0);
    expect(close.bytesIn).toBeGreaterThan(token.length * 2);
    expect(close.bytesOut).toBeGreaterThan(0);
    // every line about a connection names it
    for (const line of parse(h).filter((l) => String(l.event).startsWith('ws.') && l.event !== 'ws.refused')) {
      expect(line.connectionId).toEqual(expect.any(String));
    }
  });

  it('logs a close Herald started with its own code and reason', async () => {
    const token = remember(mintToken('bob'));
    const client = await openSocket(h, '/demo', remember(await getTicket(h, token)));
    await client.request({ type: 'auth', id: 'bad', data: { token: remember(mintToken('bob', { secret: 'not-the-secret-at-all' })) } });
    expect((await client.closed).code).toBe(4401);
    const close = await eventually(() => {
      const line = parse(h).find((l) => l.event === 'ws.close' && l.userId === 'bob');
      expect(line).toBeDefined();
      return line!;
    });
    expect(close).toMatchObject({ code: 4401, initiator: 'server' });
  });

  it('logs refused upgrades with status and reason, the ticket redacted', async () => {
    const ticket = remember(await getTicket(h, remember(mintToken('carol'))));
    expect((await upgradeStatus(`${h.wsUrl}/nowhere?ticket=${ticket}`, { 'user-agent': 'probe' })).status).toBe(404);
    expect((await upgradeStatus(`${h.wsUrl}/demo?ticket=${remember('x'.repeat(32))}`)).status).toBe(401);
    const refused = await eventually(() => {
      const found = parse(h).filter((l) => l.event === 'ws.refused');
      expect(found.length).toBeGreaterThanOrEqual(2);
      return found;
    });
    expect(refused).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ status: 404, reason: expect.any(String), url: '/nowhere?ticket=[redacted]', userAgent: 'probe' }),
        expect.objectContaining({ status: 401, reason: expect.stringMatching(/ticket/), url: '/demo?ticket=[redacted]' }),
      ]),
    );
  });

  it('never writes a JWT, ticket or API key to the log', async () => {
    // REST with a JWT in Authorization, a bad one, the API key in both headers
    const token = remember(mintToken('dave'));
    await getTicket(h, token);
    await fetch(`${h.url}/auth/ticket`, { method: 'POST', headers: { authorization: `Bearer ${remember(token + 'x')}` } });
    await postJson(h, '/notifications', { userIds: ['dave'], event: 'x.y' });
    await postJson(h, '/notifications', { userIds: ['dave'], event: 'x.y' }, { 'x-api-key': '', authorization: `Bearer ${API_KEY}` });
    await postJson(h, '/notifications', { userIds: ['dave'], event: 'x.y' }, { 'x-api-key': remember('wrong-api-key-value') });
    // a token in the query string of an upgrade, a token in data of an unauthenticated frame
    await upgradeStatus(`${h.wsUrl}/demo?token=${token}&ticket=${remember(await getTicket(h, token))}&access_token=${token}`).catch(() => undefined);
    const { client } = await connectUser(h, '/notification', 'dave');
    client.send({ type: 'auth', id: 'again', data: { token: remember(mintToken('mallory')) } });
    await client.nextOfType('error');
    await client.close();
    await eventually(() => expect(parse(h).some((l) => l.event === 'ws.close' && l.userId === 'dave')).toBe(true));

    const all = h.logs.join('\n');
    expect(all.length).toBeGreaterThan(1000);
    // the credentials did reach the loggers, redacted
    expect(parse(h).some((l) => l.req?.headers?.authorization === '[redacted]')).toBe(true);
    expect(parse(h).some((l) => l.req?.headers?.['x-api-key'] === '[redacted]')).toBe(true);
    const leaks = secrets.concat(API_KEY).flatMap((s) => {
      const parts = s.split('.');
      // a JWT's signature alone is enough to matter; so is a ticket or key
      const needles = parts.length === 3 ? [s, parts[2]] : [s];
      return needles.filter((n) => all.includes(n));
    });
    expect(leaks).toEqual([]);
  });

  it('exposes every metric, and each moves', async () => {
    const before = await metricsText(h);
    const { client: a } = await connectUser(h, '/demo', 'erin');
    const { client: n } = await connectUser(h, '/notification', 'frank');
    await a.request({ type: 'broadcast', id: 'b', data: { text: 'hi' } });
    await a.nextOfType('broadcast');
    a.send('{');
    await a.nextOfType('error');
    expect((await postJson(h, '/notifications', { userIds: ['frank'], event: 'm.n' })).status).toBe(202);
    await n.nextOfType('notification');
    await upgradeStatus(`${h.wsUrl}/nope`);
    const during = await metricsText(h);
    await a.close();
    const after = await eventually(async () => {
      const text = await metricsText(h);
      expect(sample(text, 'herald_connections', 'gateway="demo"')).toBe(0);
      return text;
    });

    expect(sample(during, 'herald_connections', 'gateway="demo"')).toBe(1);
    expect(sample(during, 'herald_connections', 'gateway="notification"')).toBe(1);
    const grew = (text: string, name: string, labels = '') => (sample(text, name, labels) ?? 0) - (sample(before, name, labels) ?? 0);
    expect(grew(during, 'herald_upgrades_refused_total', 'status="404"')).toBe(1);
    expect(grew(during, 'herald_messages_in_total', 'gateway="demo",type="broadcast"')).toBe(1);
    expect(grew(during, 'herald_messages_in_total', 'gateway="demo",type="auth"')).toBe(1);
    expect(grew(during, 'herald_messages_out_total', 'gateway="demo",type="broadcast"')).toBe(1);
    expect(grew(during, 'herald_messages_out_total', 'gateway="demo",type="ack"')).toBe(1);
    expect(grew(during, 'herald_messages_out_total', 'gateway="demo",type="auth_ok"')).toBe(1);
    expect(grew(during, 'herald_messages_out_total', 'gateway="demo",type="error"')).toBe(1);
    expect(grew(during, 'herald_messages_out_total', 'gateway="notification",type="notification"')).toBe(1);
    expect(grew(during, 'herald_errors_total', 'code="bad_json"')).toBe(1);
    expect(grew(during, 'herald_fanout_duration_seconds_count')).toBeGreaterThanOrEqual(2);
    expect(grew(during, 'herald_broker_publish_duration_seconds_count')).toBeGreaterThanOrEqual(2);
    expect(grew(after, 'herald_connection_closes_total', 'gateway="demo",code="1005"')).toBe(1);
    // kills are counted by reason (slow-consumer.e2e and limits.e2e make them move)
    expect(after).toMatch(/^# TYPE herald_connections_killed_total counter$/m);
    expect(after).toMatch(/^process_cpu_user_seconds_total \S+$/m);
    expect(after).toMatch(/^nodejs_heap_size_used_bytes \S+$/m);
    await n.close();
  });

  it('a closing code a peer invents is counted as other, keeping the label set bounded', async () => {
    const { client } = await connectUser(h, '/demo', 'gina');
    client.ws.close(3999, 'mine');
    await client.closed;
    const text = await eventually(async () => {
      const t = await metricsText(h);
      expect(sample(t, 'herald_connection_closes_total', 'gateway="demo",code="other"')).toBe(1);
      return t;
    });
    expect(text).not.toMatch(/code="3999"/);
  });
});
