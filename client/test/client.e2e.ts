import WebSocket from 'ws';
import { mintToken, startHerald, type Herald } from '../../test/support/harness.js';
import { type FetchLike, HeraldClient, HeraldError, type StateChange } from '../src/index.js';
import { closeClients, collect, nextEvent, nodeClient, opened, serverConnections } from './support.js';

describe('HeraldClient against a real Herald (/demo)', () => {
  let h: Herald;

  beforeAll(async () => {
    h = await startHerald({ MAX_PAYLOAD_BYTES: '2048' });
  });
  afterEach(closeClients);
  afterAll(() => h.close());

  it('fetches a ticket, connects and authenticates, reporting each state', async () => {
    const alice = nodeClient(h, '/demo', 'alice');
    const states = collect(alice, 'state');
    expect(alice.send('echo', 1)).toBe(false);
    alice.connect();
    const ok = await opened(alice);
    expect(ok).toMatchObject({ userId: 'alice', heartbeatMs: 30000 });
    expect(ok.expiresAt).toBeGreaterThan(Date.now());
    expect(states.map((s) => s.state)).toEqual(['connecting', 'authenticating', 'open']);
    expect(alice.connection?.connectionId).toBe(ok.connectionId);
  });

  it('request() resolves on ack or reply and rejects on the matching error; broadcast and direct arrive as events', async () => {
    const alice = nodeClient(h, '/demo', 'alice');
    const bob = nodeClient(h, '/demo', 'bob');
    alice.connect();
    bob.connect();
    await Promise.all([opened(alice), opened(bob)]);
    const bobDirects = collect(bob, 'direct');
    const aliceDirects = collect(alice, 'direct');

    const seenByBob = nextEvent(bob, 'broadcast');
    const ack = await alice.request('broadcast', { text: 'hello all' });
    expect(ack).toMatchObject({ type: 'ack', id: expect.stringMatching(/^c-/) });
    expect(await seenByBob).toEqual({ from: 'alice', text: 'hello all' });

    expect(await alice.request('echo', { n: 7 })).toMatchObject({ type: 'echo', data: { n: 7 } });
    await alice.request('direct', { to: 'bob', text: 'psst' });
    await bob.request('ping');
    expect(bobDirects).toEqual([{ from: 'alice', text: 'psst' }]);
    expect(aliceDirects).toEqual([]);

    const invalid = await alice.request('direct', { to: 'bob', text: '' }).catch((e: HeraldError) => e);
    expect(invalid).toBeInstanceOf(HeraldError);
    expect(invalid).toMatchObject({ code: 'invalid' });
    expect((invalid as HeraldError).errors?.[0]?.field).toMatch(/text/);
    // @ts-expect-error: not a message type of any gateway (the typed API refuses it; Herald answers unknown_type)
    await expect(alice.request('nope')).rejects.toMatchObject({ code: 'unknown_type' });
    expect(alice.state).toBe('open');
  });

  it('reconnects at once on 1001 and with backoff on 1006, counting reconnects', async () => {
    const alice = nodeClient(h, '/demo', 'alice', { backoff: { baseMs: 50 } });
    alice.connect();
    const first = await opened(alice);
    const conn = () => serverConnections(h, 'alice', 'demo').find((c) => c.id === alice.connection?.connectionId)!;

    const going = nextEvent(alice, 'state', (s) => s.state === 'reconnecting');
    conn().close(1001, 'shutting down');
    expect(await going).toMatchObject({ delayMs: 0, disconnect: { kind: 'closed', code: 1001 } });
    const second = await opened(alice);
    expect(second.connectionId).not.toBe(first.connectionId);

    const dropped = nextEvent(alice, 'state', (s) => s.state === 'reconnecting');
    conn().socket.terminate();
    const change: StateChange = await dropped;
    expect(change.disconnect).toMatchObject({ kind: 'closed', code: 1006 });
    await opened(alice);
    expect(alice.reconnects).toBe(2);
  });

  it('waits random() x baseMs x factor^attempt before each reconnect, growing while they fail, reset once open', async () => {
    // the ticket calls after the drop fail twice (503) before the third gets through
    let failing = 0;
    const flaky: FetchLike = async (url, init) => (failing-- > 0 ? { status: 503, json: async () => ({}) } : fetch(url, init));
    const alice = nodeClient(h, '/demo', 'alice', { backoff: { baseMs: 100, factor: 3, maxMs: 10_000 }, random: () => 0.5, fetch: flaky });
    alice.connect();
    await opened(alice);
    const states = collect(alice, 'state');
    const at: number[] = [];
    alice.on('state', (s) => (s.state === 'reconnecting' || s.state === 'connecting') && at.push(Date.now()));
    failing = 2;
    serverConnections(h, 'alice', 'demo').find((c) => c.id === alice.connection?.connectionId)!.socket.terminate();
    await opened(alice);
    const waits = states.filter((s) => s.state === 'reconnecting');
    expect(waits.map((s) => s.disconnect)).toEqual([
      { kind: 'closed', code: 1006, reason: '' },
      { kind: 'ticket', status: 503 },
      { kind: 'ticket', status: 503 },
    ]);
    expect(waits.map((s) => s.delayMs)).toEqual([50, 150, 450]);
    // and it really waited that long between giving up and trying again
    for (let i = 0; i < 3; i++) expect(at[2 * i + 1] - at[2 * i]).toBeGreaterThanOrEqual(waits[i].delayMs! - 5);

    // open again: the next drop starts from the base delay
    const again = nextEvent(alice, 'state', (s) => s.state === 'reconnecting');
    serverConnections(h, 'alice', 'demo').find((c) => c.id === alice.connection?.connectionId)!.socket.terminate();
    expect((await again).delayMs).toBe(50);
  });

  it('after a 1009 it reconnects and refuses locally to send a frame that large again', async () => {
    const alice = nodeClient(h, '/demo', 'alice', { backoff: { baseMs: 20 } });
    alice.connect();
    await opened(alice);
    const big = 'x'.repeat(3000);
    const closed = nextEvent(alice, 'state', (s) => s.state === 'reconnecting');
    expect(alice.send('echo', big)).toBe(true);
    expect((await closed).disconnect).toMatchObject({ kind: 'closed', code: 1009 });
    await opened(alice);
    expect(() => alice.send('echo', big)).toThrow(expect.objectContaining({ code: 'frame_too_large' }));
    expect(await alice.request('echo', 'small')).toMatchObject({ data: 'small' });
  });

  it('a fresh token on 4401, then open again', async () => {
    const asked: string[] = [];
    const alice = nodeClient(h, '/demo', 'alice', {
      backoff: { baseMs: 20 },
      getToken: ({ reason }) => (asked.push(reason), mintToken('alice')),
    });
    alice.connect();
    await opened(alice);
    const conn = serverConnections(h, 'alice', 'demo').find((c) => c.id === alice.connection?.connectionId)!;
    conn.close(4401, 'token expired');
    await nextEvent(alice, 'state', (s) => s.state === 'reconnecting' && s.disconnect?.kind === 'closed' && s.disconnect.code === 4401);
    await opened(alice);
    expect(asked).toEqual(['connect', 'unauthorized']);
  });
});

describe('HeraldClient: refused upgrades', () => {
  let h: Herald;
  beforeAll(async () => {
    h = await startHerald({ ALLOWED_ORIGINS: 'https://app.example' });
  });
  afterEach(closeClients);
  afterAll(() => h.close());

  async function stopsAfter(client: HeraldClient, status: number, tokens: () => number) {
    const states = collect(client, 'state');
    const errors = collect(client, 'error');
    client.connect();
    const closed = await nextEvent(client, 'state', (s) => s.state === 'closed');
    expect(closed.disconnect).toEqual({ kind: 'refused', status });
    expect(errors.at(-1)).toMatchObject({ code: 'stopped', message: expect.stringContaining(String(status)) });
    expect(tokens()).toBe(1);
    expect(states.some((s) => s.state === 'reconnecting')).toBe(false);
  }

  it('403 (origin not allowed) stops instead of looping', async () => {
    let tokens = 0;
    class EvilOrigin extends WebSocket {
      constructor(url: string) {
        super(url, { headers: { origin: 'https://evil.example' } });
      }
    }
    const c = nodeClient(h, '/demo', 'eve', { WebSocket: EvilOrigin, getToken: () => (tokens++, mintToken('eve')) });
    await stopsAfter(c, 403, () => tokens);
  });

  it('404 (no gateway at that path) stops instead of looping', async () => {
    let tokens = 0;
    const c = nodeClient(h, '/nowhere' as '/demo', 'eve', { getToken: () => (tokens++, mintToken('eve')) });
    await stopsAfter(c, 404, () => tokens);
  });

  it('a ticket call refused with 401 asks the app for a fresh token and backs off', async () => {
    const reasons: string[] = [];
    const c = nodeClient(h, '/demo', 'eve', {
      backoff: { baseMs: 10 },
      getToken: ({ reason }) => (reasons.push(reason), reasons.length === 1 ? 'not-a-jwt' : mintToken('eve')),
    });
    const failed = nextEvent(c, 'state', (s) => s.state === 'reconnecting');
    c.connect();
    expect((await failed).disconnect).toEqual({ kind: 'ticket', status: 401 });
    await opened(c);
    expect(reasons).toEqual(['connect', 'unauthorized']);
  });
});

describe('HeraldClient listeners', () => {
  let h: Herald;
  beforeAll(async () => {
    h = await startHerald();
  });
  afterEach(closeClients);
  afterAll(() => h.close());

  it('a listener may close the client from its open event: nothing keeps running', async () => {
    const c = nodeClient(h, '/notification', 'ivy');
    const states = collect(c, 'state');
    c.on('open', () => c.close());
    const closed = nextEvent(c, 'state', (s) => s.state === 'closed');
    c.connect();
    await closed;
    expect(states.map((s) => s.state)).toEqual(['connecting', 'authenticating', 'open', 'closed']);
    expect(c.connection).toBeUndefined();
    expect(await c.request('ping').catch((e: HeraldError) => e.code)).toBe('not_connected');
  });
});
