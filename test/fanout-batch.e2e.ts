import { jest } from '@jest/globals';
import { BROKER, type Broker, type HistoryOptions } from '../src/broker/broker.js';
import { BroadcastService } from '../src/streams/broadcast.service.js';
import { Connection } from '../src/connections/connection.js';
import { ClientPool, roundTrip } from './support/e2e.js';
import { connectUser, startHerald, type Frame, type Herald, type TestClient } from './support/harness.js';

/** Broadcast notifications that land in one event-loop turn go out together: one write per socket. */
describe('broadcast fan-out under load', () => {
  let h: Herald;
  const clients = new ClientPool();
  const body = (i: number) => ({ id: `batch-${i}`, event: 'batch', payload: { i }, ts: Date.now() });
  const notifications = async (client: TestClient, n: number): Promise<Frame['data'][]> => {
    const got = [];
    for (let i = 0; i < n; i++) got.push((await client.nextOfType('notification')).data);
    await roundTrip(client);
    expect(client.frames.filter((f) => f.type === 'notification')).toEqual([]);
    return got;
  };

  beforeAll(async () => {
    h = await startHerald();
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    await clients.closeAll();
  });
  afterAll(() => h.close());

  it('sends one turn of broadcasts to each connection as one batch, in offset order, each once', async () => {
    const fresh = await connectUser(h, '/notification', 'batch-fresh');
    const caughtUp = await connectUser(h, '/notification', 'batch-caught-up');
    clients.push(fresh.client, caughtUp.client);
    const broadcasts = h.app.get(BroadcastService);
    await broadcasts.notifyAll(body(0));
    const [before] = await notifications(caughtUp.client, 1);
    await notifications(fresh.client, 1);

    const batch = jest.spyOn(Connection.prototype, 'sendBatch');
    await Promise.all([1, 2, 3, 4].map((i) => broadcasts.notifyAll(body(i))));

    for (const client of [fresh.client, caughtUp.client]) {
      const got = await notifications(client, 4);
      expect(got.map((n) => n.payload.i)).toEqual([1, 2, 3, 4]);
      expect(got.map((n) => n.offset)).toEqual([1, 2, 3, 4].map((k) => before.offset + k));
      expect(new Set(got.map((n) => n.epoch))).toEqual(new Set([before.epoch]));
    }
    expect(batch).toHaveBeenCalledTimes(2);
  });

  it.each(['before', 'after'] as const)(
    'a client reconnecting with `recover` gets a batch published %s its history read once each, in order',
    async (when) => {
      const broadcasts = h.app.get(BroadcastService);
      const user = `batch-recover-${when}`;
      const first = await connectUser(h, '/notification', user);
      clients.push(first.client);
      await broadcasts.notifyAll(body(10));
      const seen = (await first.client.nextOfType('notification')).data;
      await first.client.close();

      // the gate: the reconnect's history read of the broadcast stream publishes one turn's batch first (or right
      // after), while the connection is already a parked delivery target, so the batch is both in history and live
      const broker = h.app.get<Broker>(BROKER);
      const history = broker.history;
      let raced = 0;
      broker.history = async function (this: Broker, stream: string, options?: HistoryOptions) {
        if (options?.since === undefined || raced > 0) return history.call(broker, stream, options);
        const publish = async () => {
          raced++;
          await Promise.all([11, 12, 13].map((i) => broadcasts.notifyAll(body(i))));
        };
        if (when === 'before') await publish();
        const result = await history.call(broker, stream, options);
        if (when === 'after') await publish();
        return result;
      };
      try {
        const { client, authOk } = await connectUser(h, '/notification', user, { recover: { broadcast: { offset: seen.offset, epoch: seen.epoch } } });
        clients.push(client);
        expect(raced).toBe(1);
        expect(authOk.data.recovered).toBe(true);
        const got = await notifications(client, 3);
        expect(got.map((n) => n.payload.i)).toEqual([11, 12, 13]);
        expect(got.map((n) => n.offset)).toEqual([1, 2, 3].map((k) => seen.offset + k));
      } finally {
        broker.history = history;
      }
    },
  );
});
