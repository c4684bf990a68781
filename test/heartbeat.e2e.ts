import { eventually, presenceCount, roundTrip } from './support/e2e.js';
import { getTicket, mintToken, openSocket, startHerald, type Herald, type TestClient } from './support/harness.js';
import { metric } from './support/metrics.js';

const INTERVAL = 100;

/** PROTOCOL §7: a protocol ping every HEARTBEAT_INTERVAL_MS; no pong since the last one → closed with 4000. */
describe('heartbeat', () => {
  let h: Herald;
  const open: TestClient[] = [];
  beforeAll(async () => {
    h = await startHerald({ HEARTBEAT_INTERVAL_MS: String(INTERVAL) });
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.dispose()));
  });
  afterAll(() => h.close());

  /**
   * An authenticated client that answers pings by hand (no autoPong) until `silence()`:
   * authenticating may take as long as a loaded machine needs; the silence starts when the test says so.
   */
  const connect = async (user: string) => {
    const token = mintToken(user);
    const client = await openSocket(h, '/demo', await getTicket(h, token), { autoPong: false });
    open.push(client);
    let answering = true;
    const pings: number[] = [];
    client.ws.on('ping', () => {
      pings.push(Date.now());
      if (answering) client.ws.pong();
    });
    expect((await client.request({ type: 'auth', id: 'a', data: { token } })).data.heartbeatMs).toBe(INTERVAL);
    const silence = () => {
      answering = false;
      return Date.now();
    };
    return { client, pings, silence };
  };
  const nthPing = (client: TestClient, pings: number[], n: number) =>
    new Promise<void>((resolve) => {
      const check = () => (pings.length >= n ? resolve() : client.ws.once('ping', () => setImmediate(check)));
      check();
    });
  const kills = () => metric(h, 'herald_connections_killed_total', 'reason="heartbeat"');
  const closes4000 = () => metric(h, 'herald_connection_closes_total', 'gateway="demo",code="4000"');

  it('sends protocol pings every HEARTBEAT_INTERVAL_MS and keeps a responsive client through several', async () => {
    const { client, pings } = await connect('alice');
    const killsBefore = await kills();
    await nthPing(client, pings, 5);
    const gaps = pings.slice(1, 5).map((t, i) => t - pings[i]);
    for (const gap of gaps) {
      expect(gap).toBeGreaterThanOrEqual(INTERVAL * 0.5);
      // a loaded machine delays a tick; it does not skip several
      expect(gap).toBeLessThan(INTERVAL * 20);
    }
    expect((await roundTrip(client)).type).toBe('pong');
    expect(await kills()).toBe(killsBefore);
  });

  it('closes a client that stops answering pings with 4000, soon after the unanswered ping', async () => {
    const { client, pings, silence } = await connect('bob');
    const [killsBefore, closesBefore] = [await kills(), await closes4000()];
    const closedAt = client.closed.then((c) => ({ ...c, at: Date.now() }));
    const pingsBefore = pings.length;
    const silentAt = silence();
    const closed = await closedAt;
    // the client reads: the 4000 close frame reaches it before the connection is cut
    expect(closed.code).toBe(4000);
    expect(pings.length).toBeGreaterThan(pingsBefore);
    // two ticks at most after going silent; generous for a loaded machine, far below a human-noticeable delay
    expect(closed.at - silentAt).toBeLessThan(INTERVAL * 30);
    expect(await kills()).toBe(killsBefore + 1);
    expect(await closes4000()).toBe(closesBefore + 1);
    await eventually(async () => expect(await presenceCount(h, 'bob')).toBe(0));
  });

  it('closes a silent client with 4000 even while it keeps sending messages', async () => {
    const { client, silence } = await connect('carol');
    const closesBefore = await closes4000();
    silence();
    const chatter = setInterval(() => client.ws.readyState === 1 && client.send({ type: 'echo', data: 1 }), 20);
    try {
      await client.closed;
      // what reaches the client may be a reset (it keeps writing); what Herald closed with is 4000
      await eventually(async () => expect(await closes4000()).toBe(closesBefore + 1));
    } finally {
      clearInterval(chatter);
    }
  });

  it('also watches connections that have not authenticated yet', async () => {
    const closesBefore = await closes4000();
    const client = await openSocket(h, '/demo', await getTicket(h, mintToken('dave')), { autoPong: false });
    open.push(client);
    expect((await client.closed).code).toBe(4000);
    expect(await closes4000()).toBe(closesBefore + 1);
  });
});
