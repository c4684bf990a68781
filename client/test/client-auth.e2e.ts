import { mintToken, startHerald, type Herald } from '../../test/support/harness.js';
import type { Envelope, HeraldClient, TokenRequest } from '../src/index.js';
import { closeClients, collect, nextEvent, nodeClient, opened, serverConnections } from './support.js';

/** Tokens of a few seconds: JWT `exp` has whole seconds, and JWT_CLOCK_TOLERANCE_SEC=0 makes Herald close right at expiry. */
const SHORT_SEC = 4;

describe('HeraldClient token refresh (short-lived tokens)', () => {
  let h: Herald;
  beforeAll(async () => {
    h = await startHerald({ JWT_CLOCK_TOLERANCE_SEC: '0' });
  });
  afterEach(closeClients);
  afterAll(() => h.close());

  const refreshOk = (c: HeraldClient) => nextEvent(c, 'message', (f: Envelope) => f.type === 'auth_ok' && !!f.id?.startsWith('refresh-'), 6000);

  it('sends a fresh token on the open socket before expiresAt, so the connection outlives its first token', async () => {
    const reasons: TokenRequest['reason'][] = [];
    const client = nodeClient(h, '/demo', 'frank', {
      getToken: ({ reason }) => (reasons.push(reason), mintToken('frank', { expSec: SHORT_SEC })),
    });
    const states = collect(client, 'state');
    client.connect();
    const first = await opened(client);
    const serverConn = serverConnections(h, 'frank', 'demo')[0];
    expect(serverConn.expiresAt).toBe(first.expiresAt);

    let refreshes = 0;
    while (Date.now() < first.expiresAt + 500) {
      const ok = await refreshOk(client);
      refreshes++;
      expect((ok.data as { expiresAt: number }).expiresAt).toBeGreaterThanOrEqual(first.expiresAt);
      expect(ok.data).toMatchObject({ connectionId: first.connectionId });
    }
    expect(refreshes).toBeGreaterThanOrEqual(1);
    expect(serverConn.expiresAt).toBeGreaterThan(first.expiresAt);
    expect(await client.request('echo', 'still here')).toMatchObject({ data: 'still here' });
    expect(client.connection?.connectionId).toBe(first.connectionId);
    expect(states.map((s) => s.state)).toEqual(['connecting', 'authenticating', 'open']);
    expect(reasons[0]).toBe('connect');
    expect(reasons.slice(1).every((r) => r === 'refresh')).toBe(true);
  }, 15_000);

  it('keeps the connection when Herald refuses a refresh, and retries', async () => {
    let refreshCalls = 0;
    const client = nodeClient(h, '/demo', 'gina', {
      getToken: ({ reason }) => {
        if (reason === 'refresh' && ++refreshCalls === 1) return mintToken('mallory', { expSec: SHORT_SEC });
        return mintToken('gina', { expSec: SHORT_SEC });
      },
    });
    client.connect();
    const first = await opened(client);
    const refused = await nextEvent(client, 'error', (e) => e.code === 'unauthorized', 6000);
    expect(refused.id).toMatch(/^refresh-/);
    expect(client.state).toBe('open');
    const ok = await refreshOk(client);
    expect(ok.data).toMatchObject({ connectionId: first.connectionId, userId: 'gina' });
    expect(refreshCalls).toBe(2);
  }, 15_000);

  it('when refresh keeps failing, Herald closes with 4401 and the client reconnects with a forced fresh token', async () => {
    const requests: TokenRequest[] = [];
    const client = nodeClient(h, '/demo', 'hank', {
      backoff: { baseMs: 20 },
      getToken: (request) => {
        requests.push(request);
        if (request.reason === 'refresh') throw new Error('auth service down');
        return mintToken('hank', { expSec: SHORT_SEC });
      },
    });
    const errors = collect(client, 'error');
    client.connect();
    const first = await opened(client);
    const expired = await nextEvent(client, 'state', (s) => s.state === 'reconnecting', 6000);
    expect(expired.disconnect).toMatchObject({ kind: 'closed', code: 4401, reason: 'token expired' });
    expect(Date.now()).toBeGreaterThanOrEqual(first.expiresAt);
    const second = await opened(client);
    expect(second.connectionId).not.toBe(first.connectionId);
    expect(errors.some((e) => e.code === 'refresh_failed')).toBe(true);
    expect(requests.at(-1)).toEqual({ reason: 'unauthorized', forceRefresh: true });
  }, 15_000);
});
