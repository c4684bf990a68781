import { BROKER, type Broker, type HistoryOptions } from '../../src/broker/broker.js';
import { notify, notifyAll } from '../../test/support/e2e.js';
import { startHerald, type Herald } from '../../test/support/harness.js';
import type { HeraldClient, NotificationData } from '../src/index.js';
import { closeClients, collect, FetchGate, nextEvent, nodeClient, opened, until, serverConnections } from './support.js';

/** Kills the user's /notification sockets server-side, without a close frame (the client sees 1006). */
function dropServerSide(h: Herald, userId: string): number {
  const conns = serverConnections(h, userId, 'notification');
  for (const conn of conns) conn.socket.terminate();
  return conns.length;
}

const offsets = (list: NotificationData[], stream: 'user' | 'broadcast') => list.filter((n) => n.stream === stream).map((n) => n.offset);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('HeraldClient recovery across reconnects (/notification)', () => {
  let h: Herald;
  let client: HeraldClient;
  beforeAll(async () => {
    h = await startHerald();
  });
  afterEach(closeClients);
  afterAll(() => h.close());

  it('delivers every notification exactly once and in order across a forced disconnect', async () => {
    const gate = new FetchGate();
    client = nodeClient(h, '/notification', 'carol', { fetch: gate.fetch, backoff: { baseMs: 20 } });
    const got = collect(client, 'notification');
    const recoveries = collect(client, 'recovered');
    client.connect();
    await opened(client);
    const sent: string[] = [];
    for (let i = 1; i <= 4; i++) sent.push(await notify(h, 'carol', { n: i }));
    sent.push(await notifyAll(h, { n: 1 }));
    await until(client, () => got.length === 5, 'the first five');

    // Down: the server drops the socket and the next ticket call waits, so these are published while the client is away.
    gate.close();
    const down = nextEvent(client, 'state', (s) => s.state === 'reconnecting');
    expect(dropServerSide(h, 'carol')).toBe(1);
    expect((await down).disconnect).toMatchObject({ kind: 'closed', code: 1006 });
    for (let i = 5; i <= 9; i++) sent.push(await notify(h, 'carol', { n: i }));
    sent.push(await notifyAll(h, { n: 2 }));
    expect(got).toHaveLength(5);

    // Back: the server is held inside its recovery history read while more are published, so they race the replay
    // (they are in history and live at once, and must arrive once each).
    const broker = h.app.get<Broker>(BROKER);
    const history = broker.history;
    const racing: string[] = [];
    broker.history = async function (this: Broker, stream: string, options?: HistoryOptions) {
      if (options?.since !== undefined && racing.length === 0) {
        racing.push(await notify(h, 'carol', { n: 10 }), await notify(h, 'carol', { n: 11 }), await notifyAll(h, { n: 3 }));
      }
      return history.call(broker, stream, options);
    };
    try {
      const back = opened(client);
      gate.open();
      expect((await back).recovered).toBe(true);
    } finally {
      broker.history = history;
    }
    expect(racing).toHaveLength(3);
    sent.push(...racing);
    await until(client, () => got.length === sent.length, `all ${sent.length} notifications`);
    await client.request('ping');

    expect(offsets(got, 'user')).toEqual(range(1, 11));
    expect(offsets(got, 'broadcast')).toEqual(range(1, 3));
    expect(new Set(got.map((n) => n.id))).toEqual(new Set(sent));
    expect(got).toHaveLength(sent.length);
    expect(recoveries).toHaveLength(1);
    expect(recoveries[0]).toMatchObject({ recovered: true, streams: { user: { offset: 4 }, broadcast: { offset: 1 } } });
    expect(client.positions()).toMatchObject({ user: { offset: 11 }, broadcast: { offset: 3 } });
  });

  it('resumes from saved positions in a new client (e.g. after a page reload)', async () => {
    const first = nodeClient(h, '/notification', 'dave');
    first.connect();
    await opened(first);
    const delivered = nextEvent(first, 'notification');
    await notify(h, 'dave', { n: 1 });
    await delivered;
    const saved = first.positions();
    first.close();
    const missed = await notify(h, 'dave', { n: 2 });

    client = nodeClient(h, '/notification', 'dave', { recover: saved });
    const n = nextEvent(client, 'notification');
    client.connect();
    expect((await opened(client)).recovered).toBe(true);
    expect(await n).toMatchObject({ id: missed, stream: 'user', payload: { n: 2 } });
  });
});

describe('HeraldClient when history no longer covers the gap', () => {
  let h: Herald;
  beforeAll(async () => {
    h = await startHerald({ HISTORY_SIZE: '2' });
  });
  afterEach(closeClients);
  afterAll(() => h.close());

  it('surfaces recovered: false (so the app refetches) and goes on with live notifications', async () => {
    const gate = new FetchGate();
    const client = nodeClient(h, '/notification', 'erin', { fetch: gate.fetch, backoff: { baseMs: 20 } });
    client.connect();
    await opened(client);
    const delivered = nextEvent(client, 'notification');
    await notify(h, 'erin', { n: 1 });
    await delivered;

    gate.close();
    const down = nextEvent(client, 'state', (s) => s.state === 'reconnecting');
    dropServerSide(h, 'erin');
    await down;
    for (let i = 2; i <= 5; i++) await notify(h, 'erin', { n: i });
    const recovered = nextEvent(client, 'recovered');
    gate.open();
    expect(await recovered).toMatchObject({ recovered: false });

    const live = nextEvent(client, 'notification');
    await notify(h, 'erin', { n: 6 });
    expect(await live).toMatchObject({ offset: 6, payload: { n: 6 } });
    client.close();
  });
});
