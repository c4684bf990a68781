import { jest } from '@jest/globals';
import { BroadcastService } from '../src/streams/broadcast.service.js';
import { Connection } from '../src/connections/connection.js';
import { roundTrip } from './support/e2e.js';
import { connectUser, startHerald, type Frame, type Herald, type TestClient } from './support/harness.js';

/** Broadcast notifications that land in one event-loop turn go out together: one write per socket. */
describe('broadcast fan-out under load', () => {
  let h: Herald;
  const clients: TestClient[] = [];
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
    await Promise.all(clients.splice(0).map((c) => c.close()));
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

  it('a client reconnecting with `recover` while a batch goes out gets each of it once, in order', async () => {
    const broadcasts = h.app.get(BroadcastService);
    const first = await connectUser(h, '/notification', 'batch-recover');
    clients.push(first.client);
    await broadcasts.notifyAll(body(10));
    const seen = (await first.client.nextOfType('notification')).data;
    await first.client.close();

    // publish a turn's worth while the client reconnects with `recover` from where it was
    const again = connectUser(h, '/notification', 'batch-recover', { recover: { broadcast: { offset: seen.offset, epoch: seen.epoch } } });
    await Promise.all([11, 12, 13].map((i) => broadcasts.notifyAll(body(i))));
    const { client, authOk } = await again;
    clients.push(client);
    expect(authOk.data.recovered).toBe(true);
    const got = await notifications(client, 3);
    expect(got.map((n) => n.payload.i)).toEqual([11, 12, 13]);
    expect(got.map((n) => n.offset)).toEqual([1, 2, 3].map((k) => seen.offset + k));
  });
});
