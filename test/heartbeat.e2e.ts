import { eventually, roundTrip } from './support/e2e.js';
import { API_KEY, getTicket, mintToken, openSocket, startHerald, type Herald, type TestClient } from './support/harness.js';

const INTERVAL = 100;

/** PROTOCOL §7: a protocol ping every HEARTBEAT_INTERVAL_MS; no pong since the last one → terminated. */
describe('heartbeat', () => {
  let h: Herald;
  beforeAll(async () => {
    h = await startHerald({ HEARTBEAT_INTERVAL_MS: String(INTERVAL) });
  });
  afterAll(() => h.close());

  const open = async (user: string, autoPong: boolean) => {
    const token = mintToken(user);
    const client = await openSocket(h, '/demo', await getTicket(h, token), { autoPong });
    const pings: number[] = [];
    client.ws.on('ping', () => pings.push(Date.now()));
    expect((await client.request({ type: 'auth', id: 'a', data: { token } })).data.heartbeatMs).toBe(INTERVAL);
    return { client, pings };
  };
  const nthPing = (client: TestClient, pings: number[], n: number) =>
    new Promise<void>((resolve) => {
      const check = () => (pings.length >= n ? resolve() : client.ws.once('ping', () => setImmediate(check)));
      check();
    });

  it('sends protocol pings every HEARTBEAT_INTERVAL_MS and keeps a responsive client through several', async () => {
    const { client, pings } = await open('alice', true);
    await nthPing(client, pings, 5);
    const gaps = pings.slice(1, 5).map((t, i) => t - pings[i]);
    for (const gap of gaps) {
      expect(gap).toBeGreaterThanOrEqual(INTERVAL * 0.5);
      expect(gap).toBeLessThan(INTERVAL * 5);
    }
    expect((await roundTrip(client)).type).toBe('pong');
    await client.close();
  });

  it('terminates a client that does not answer pings (seen as 1006, or 4000)', async () => {
    const { client, pings } = await open('bob', false);
    const started = Date.now();
    const closed = await client.closed;
    expect([1006, 4000]).toContain(closed.code);
    expect(pings.length).toBeGreaterThanOrEqual(1);
    // cut at the tick after the unanswered ping: well before a human-noticeable delay
    expect(Date.now() - started).toBeLessThan(INTERVAL * 10);
    const presence = async () =>
      ((await (await fetch(`${h.url}/presence/bob`, { headers: { 'x-api-key': API_KEY } })).json()) as { connections: number }).connections;
    await eventually(async () => expect(await presence()).toBe(0));
  });

  it('terminates a silent client even while it keeps sending messages', async () => {
    const { client } = await open('carol', false);
    const chatter = setInterval(() => client.ws.readyState === 1 && client.send({ type: 'echo', data: 1 }), 20);
    try {
      expect([1006, 4000]).toContain((await client.closed).code);
    } finally {
      clearInterval(chatter);
    }
  });

  it('also watches connections that have not authenticated yet', async () => {
    const client = await openSocket(h, '/demo', await getTicket(h, mintToken('dave')), { autoPong: false });
    expect([1006, 4000]).toContain((await client.closed).code);
  });
});
