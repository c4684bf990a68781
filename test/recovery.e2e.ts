import { BROKER, type Broker, type HistoryOptions } from '../src/broker/broker.js';
import { ClientPool, connectRecorded, nothingMore, notify as notifyUser, notifyAll as notifyEveryone, roundTrip } from './support/e2e.js';
import { connectUser, getTicket, mintToken, openSocket, postJson, startHerald, type Frame, type Herald, type TestClient } from './support/harness.js';

type Position = { offset: number; epoch: string };

/** PROTOCOL §5: offsets, epochs and recovery on /notification. */
describe('recovery', () => {
  let h: Herald;
  const clients = new ClientPool();

  const notify = (userId: string, event = 'e') => notifyUser(h, userId, {}, { event });
  const notifyAll = (event = 'all') => notifyEveryone(h, {}, { event });
  const connect = async (userId: string, authData: Record<string, unknown> = {}) => {
    const c = await connectRecorded(h, '/notification', userId, authData);
    clients.push(c.client);
    return c;
  };
  /** The notifications a recorder holds after `auth_ok`, once a ping proves nothing else is on its way. */
  const notificationsAfterAuth = async (client: TestClient, seen: Frame[]) => {
    await roundTrip(client);
    expect(seen[0].type).toBe('auth_ok');
    return seen.filter((f) => f.type === 'notification').map((f) => f.data);
  };
  /** Receives `ids` live on a fresh connection and returns its last positions, then disconnects. */
  const lastSeen = async (userId: string, publish: () => Promise<unknown>): Promise<Record<'user' | 'broadcast', Position>> => {
    const { client, authOk } = await connectUser(h, '/notification', userId);
    await publish();
    await roundTrip(client);
    const positions = { ...authOk.data.streams };
    for (const f of client.frames.filter((x) => x.type === 'notification')) positions[f.data.stream] = { offset: f.data.offset, epoch: f.data.epoch };
    await client.close();
    return positions;
  };

  beforeAll(async () => {
    h = await startHerald();
  });
  afterEach(async () => {
    await clients.closeAll();
  });
  afterAll(() => h.close());

  it('auth_ok carries both streams at offset 0 with epochs, and no `recovered` without `recover`', async () => {
    const { authOk } = await connect('fresh');
    expect(authOk.data.streams).toEqual({
      user: { offset: 0, epoch: expect.any(String) },
      broadcast: { offset: expect.any(Number), epoch: expect.any(String) },
    });
    expect(authOk.data.streams.user.epoch.length).toBeGreaterThan(0);
    expect(authOk.data).not.toHaveProperty('recovered');
  });

  it('numbers a stream 1, 2, 3 in order, in the epoch auth_ok announced', async () => {
    const { client, seen, authOk } = await connect('counter');
    const ids = [await notify('counter'), await notify('counter'), await notify('counter')];
    const got = await notificationsAfterAuth(client, seen);
    expect(got.map((d) => [d.id, d.offset, d.stream])).toEqual([
      [ids[0], 1, 'user'],
      [ids[1], 2, 'user'],
      [ids[2], 3, 'user'],
    ]);
    expect(new Set(got.map((d) => d.epoch))).toEqual(new Set([authOk.data.streams.user.epoch]));
    const again = await connect('counter');
    expect(again.authOk.data.streams.user).toEqual({ offset: 3, epoch: authOk.data.streams.user.epoch });
  });

  it('replays exactly the missed notifications, in order, right after auth_ok and before any live one', async () => {
    const pos = await lastSeen('rec', async () => {
      await notify('rec', 'seen.1');
      await notify('rec', 'seen.2');
    });
    expect(pos.user.offset).toBe(2);
    const missed = [await notify('rec', 'missed.3'), await notify('rec', 'missed.4'), await notify('rec', 'missed.5')];
    const { client, seen, authOk } = await connect('rec', { recover: { user: pos.user } });
    expect(authOk.data.recovered).toBe(true);
    expect(authOk.data.streams.user).toEqual({ offset: 5, epoch: pos.user.epoch });
    const live = await notify('rec', 'live.6');
    const got = await notificationsAfterAuth(client, seen);
    expect(got.map((d) => [d.id, d.offset])).toEqual([
      [missed[0], 3],
      [missed[1], 4],
      [missed[2], 5],
      [live, 6],
    ]);
    expect(seen.map((f) => f.type)).toEqual(['auth_ok', 'notification', 'notification', 'notification', 'notification', 'pong']);
  });

  it('replays from offset 0 for a client that only learned the epoch from auth_ok', async () => {
    const pos = await lastSeen('learner', async () => undefined);
    expect(pos.user.offset).toBe(0);
    const missed = [await notify('learner'), await notify('learner')];
    const { client, seen, authOk } = await connect('learner', { recover: { user: pos.user } });
    expect(authOk.data.recovered).toBe(true);
    expect((await notificationsAfterAuth(client, seen)).map((d) => d.id)).toEqual(missed);
  });

  it('recovers an up-to-date client with nothing to replay', async () => {
    const pos = await lastSeen('uptodate', () => notify('uptodate'));
    const { client, seen, authOk } = await connect('uptodate', { recover: { user: pos.user } });
    expect(authOk.data.recovered).toBe(true);
    expect(await notificationsAfterAuth(client, seen)).toEqual([]);
  });

  it('answers recovered false and replays nothing when the epoch differs', async () => {
    const pos = await lastSeen('epoch', () => notify('epoch'));
    await notify('epoch');
    const { client, seen, authOk } = await connect('epoch', { recover: { user: { offset: 1, epoch: `${pos.user.epoch}-old` } } });
    expect(authOk.data.recovered).toBe(false);
    expect(authOk.data.streams.user).toEqual({ offset: 2, epoch: pos.user.epoch });
    expect(await notificationsAfterAuth(client, seen)).toEqual([]);
    // live delivery carries on from the current position
    await notify('epoch');
    expect((await client.nextOfType('notification')).data.offset).toBe(3);
  });

  it('answers recovered false for an offset from the future', async () => {
    const pos = await lastSeen('future', () => notify('future'));
    const { client, seen, authOk } = await connect('future', { recover: { user: { offset: pos.user.offset + 5, epoch: pos.user.epoch } } });
    expect(authOk.data.recovered).toBe(false);
    expect(await notificationsAfterAuth(client, seen)).toEqual([]);
  });

  it('does not replay a stream left out of recover', async () => {
    const pos = await lastSeen('partial', async () => {
      await notify('partial');
      await notifyAll('partial.all');
    });
    await notify('partial', 'missed.user');
    const missedAll = await notifyAll('missed.all');
    const { client, seen, authOk } = await connect('partial', { recover: { broadcast: pos.broadcast } });
    expect(authOk.data.recovered).toBe(true);
    const got = await notificationsAfterAuth(client, seen);
    expect(got.map((d) => [d.stream, d.id])).toEqual([['broadcast', missedAll]]);
  });

  it('recovers both streams, each in order', async () => {
    const pos = await lastSeen('both', async () => {
      await notify('both');
      await notifyAll();
    });
    const u = [await notify('both', 'u.1')];
    const b = [await notifyAll('b.1')];
    u.push(await notify('both', 'u.2'));
    b.push(await notifyAll('b.2'));
    const { client, seen, authOk } = await connect('both', { recover: pos });
    expect(authOk.data.recovered).toBe(true);
    const got = await notificationsAfterAuth(client, seen);
    expect(got.filter((d) => d.stream === 'user').map((d) => [d.id, d.offset])).toEqual([
      [u[0], pos.user.offset + 1],
      [u[1], pos.user.offset + 2],
    ]);
    expect(got.filter((d) => d.stream === 'broadcast').map((d) => [d.id, d.offset])).toEqual([
      [b[0], pos.broadcast.offset + 1],
      [b[1], pos.broadcast.offset + 2],
    ]);
  });

  it('answers recovered false when one of two streams cannot recover, still replaying the other', async () => {
    const pos = await lastSeen('mixed', () => notify('mixed'));
    const missed = await notify('mixed');
    await notifyAll();
    const { client, seen, authOk } = await connect('mixed', {
      recover: { user: pos.user, broadcast: { offset: 0, epoch: 'not-the-epoch' } },
    });
    expect(authOk.data.recovered).toBe(false);
    // PROTOCOL: "nothing is replayed for that stream" — the other stream still recovers
    expect((await notificationsAfterAuth(client, seen)).map((d) => d.id)).toEqual([missed]);
  });

  it('replays nothing on a refresh, even one carrying recover', async () => {
    const { client, seen, authOk, token } = await connect('refresh');
    await notify('refresh');
    await notify('refresh');
    const refreshed = await client.request({
      type: 'auth',
      id: 'r',
      data: { token, recover: { user: { offset: 0, epoch: authOk.data.streams.user.epoch } } },
    });
    expect(refreshed.type).toBe('auth_ok');
    const marker = await notify('refresh', 'marker');
    const got = await notificationsAfterAuth(client, seen);
    expect(got.map((d) => d.offset)).toEqual([1, 2, 3]);
    expect(got[2].id).toBe(marker);
  });

  it('validates recover: a bad position answers invalid with field errors', async () => {
    const token = mintToken('badrecover');
    const client = await openSocket(h, '/notification', await getTicket(h, token));
    clients.push(client);
    const reply = await client.request({ type: 'auth', id: 'v', data: { token, recover: { user: { offset: -1, epoch: '' } } } });
    expect(reply).toMatchObject({ type: 'error', id: 'v', data: { code: 'invalid' } });
    const fields = reply.data.errors.map((e: { field: string }) => e.field);
    expect(fields).toEqual(expect.arrayContaining([expect.stringMatching(/offset$/), expect.stringMatching(/epoch$/)]));
  });

  describe('history limits', () => {
    let small: Herald;
    beforeAll(async () => {
      small = await startHerald({ HISTORY_SIZE: '3' });
    });
    afterAll(() => small.close());

    const position = async (userId: string) => {
      const { client, authOk } = await connectUser(small, '/notification', userId);
      await client.close();
      return authOk.data.streams.user as Position;
    };
    const publish = async (userId: string, n: number) => {
      const ids = [];
      for (let i = 0; i < n; i++) ids.push((await postJson(small, '/notifications', { userIds: [userId], event: 'e' })).body.id);
      return ids;
    };

    it('recovers when every missed notification is still kept (exactly HISTORY_SIZE)', async () => {
      const pos = await position('kept');
      const ids = await publish('kept', 3);
      const { client, seen, authOk } = await connectRecorded(small, '/notification', 'kept', { recover: { user: pos } });
      expect(authOk.data.recovered).toBe(true);
      await roundTrip(client);
      expect(seen.filter((f) => f.type === 'notification').map((f) => f.data.id)).toEqual(ids);
      await client.close();
    });

    it('answers recovered false and replays nothing when more were missed than HISTORY_SIZE keeps', async () => {
      const pos = await position('lost');
      await publish('lost', 5);
      const { client, seen, authOk } = await connectRecorded(small, '/notification', 'lost', { recover: { user: pos } });
      expect(authOk.data.recovered).toBe(false);
      expect(authOk.data.streams.user).toEqual({ offset: 5, epoch: pos.epoch });
      await roundTrip(client);
      expect(seen.filter((f) => f.type === 'notification')).toEqual([]);
      await client.close();
    });
  });

  it('answers recovered false once missed notifications outlive HISTORY_TTL_MS', async () => {
    const short = await startHerald({ HISTORY_TTL_MS: '100' });
    try {
      const first = await connectUser(short, '/notification', 'ttl');
      await first.client.close();
      await postJson(short, '/notifications', { userIds: ['ttl'], event: 'e' });
      await new Promise((r) => setTimeout(r, 150));
      const { client, seen, authOk } = await connectRecorded(short, '/notification', 'ttl', { recover: { user: first.authOk.data.streams.user } });
      expect(authOk.data.recovered).toBe(false);
      await roundTrip(client);
      expect(seen.filter((f) => f.type === 'notification')).toEqual([]);
      await client.close();
    } finally {
      await short.close();
    }
  });

  describe('a notification published between subscribing and replaying is delivered exactly once', () => {
    let broker: Broker;
    let original: Broker['history'];
    beforeAll(() => {
      broker = h.app.get<Broker>(BROKER);
      original = broker.history;
    });
    afterEach(() => {
      broker.history = original;
    });

    /** Publishes `racer` from inside the next history read that has a `sinceOffset`: before or after the read itself. */
    const raceInsideHistory = (when: 'before-read' | 'after-read', publishRacer: () => Promise<string>) => {
      const raced: string[] = [];
      broker.history = async function (this: Broker, stream: string, options?: HistoryOptions) {
        if (options?.since === undefined || raced.length > 0) return original.call(broker, stream, options);
        if (when === 'before-read') {
          raced.push(await publishRacer());
          return original.call(broker, stream, options);
        }
        const result = await original.call(broker, stream, options);
        raced.push(await publishRacer());
        return result;
      };
      return raced;
    };

    it.each(['before-read', 'after-read'] as const)('user stream, published %s', async (when) => {
      const user = `race-${when}`;
      const pos = await lastSeen(user, () => notify(user));
      const missed = [await notify(user), await notify(user)];
      const raced = raceInsideHistory(when, () => notify(user, 'racer'));
      const { client, seen, authOk } = await connect(user, { recover: { user: pos.user } });
      expect(raced).toHaveLength(1);
      expect(authOk.data.recovered).toBe(true);
      const live = await notify(user, 'live');
      const got = await notificationsAfterAuth(client, seen);
      expect(got.map((d) => d.id)).toEqual([...missed, raced[0], live]);
      expect(got.map((d) => d.offset)).toEqual([2, 3, 4, 5]);
    });

    it.each(['before-read', 'after-read'] as const)('broadcast stream, published %s', async (when) => {
      const user = `brace-${when}`;
      const pos = await lastSeen(user, () => notifyAll());
      const missed = [await notifyAll(), await notifyAll()];
      const raced = raceInsideHistory(when, () => notifyAll('racer'));
      const { client, seen, authOk } = await connect(user, { recover: { broadcast: pos.broadcast } });
      expect(raced).toHaveLength(1);
      expect(authOk.data.recovered).toBe(true);
      const got = await notificationsAfterAuth(client, seen);
      expect(got.map((d) => d.id)).toEqual([...missed, raced[0]]);
      expect(got.map((d) => d.offset)).toEqual([1, 2, 3].map((i) => pos.broadcast.offset + i));
    });

    it('without recover, a notification published during the attach is delivered once, live', async () => {
      const user = 'race-plain';
      let racer: string | undefined;
      broker.history = async function (stream: string, options?: HistoryOptions) {
        const result = await original.call(broker, stream, options);
        if (!racer) racer = await notify(user, 'racer');
        return result;
      };
      const { client, seen, authOk } = await connect(user);
      const got = await notificationsAfterAuth(client, seen);
      expect(got.map((d) => d.id)).toEqual([racer]);
      expect(got[0].offset).toBe(authOk.data.streams.user.offset + 1);
    });
  });
});

/** PROTOCOL §5: without Redis, history lives in the process; a restart loses it, and says so. */
describe('a restart without Redis', () => {
  it('gives every stream a new epoch, and a recovery from before the restart answers recovered: false, replaying nothing', async () => {
    const clients = new ClientPool();
    let before: Herald | undefined = await startHerald();
    let after: Herald | undefined;
    try {
      const first = await clients.connect(before, '/notification', 'restart-user');
      await notifyUser(before, 'restart-user');
      await notifyEveryone(before);
      const user = (await first.client.next((f) => f.type === 'notification' && f.data.stream === 'user')).data;
      const broadcast = (await first.client.next((f) => f.type === 'notification' && f.data.stream === 'broadcast')).data;
      await clients.closeAll();
      await before.close();
      before = undefined;

      after = await startHerald();
      const recover = { user: { offset: user.offset, epoch: user.epoch }, broadcast: { offset: broadcast.offset, epoch: broadcast.epoch } };
      const again = await clients.connectRecorded(after, '/notification', 'restart-user', { recover });
      expect(again.authOk.data.recovered).toBe(false);
      const streams = again.authOk.data.streams;
      expect(streams.user.epoch).not.toBe(user.epoch);
      expect(streams.broadcast.epoch).not.toBe(broadcast.epoch);
      expect(streams.user.offset).toBe(0);
      expect(streams.broadcast.offset).toBe(0);
      await nothingMore(again.client);
      expect(again.seen.filter((f) => f.type === 'notification')).toEqual([]);
      // and the new epoch goes on from offset 1
      const live = await notifyUser(after, 'restart-user');
      expect((await again.client.nextOfType('notification')).data).toMatchObject({ id: live, offset: 1, epoch: streams.user.epoch });
    } finally {
      await clients.closeAll();
      await Promise.allSettled([before?.close(), after?.close()]);
    }
  });
});
