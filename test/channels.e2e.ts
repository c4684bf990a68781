import { API_KEY, authenticate, getTicket, mintToken, openSocket, postJson, startHerald, type Frame, type Herald, type TestClient } from './support/harness.js';
import { BROKER, type Broker, type HistoryOptions } from '../src/broker/broker.js';
import { eventually, nowSec, roundTrip, signJwt } from './support/e2e.js';

/** PROTOCOL §10 on one instance (memory): every message, code, endpoint and rule, with real clients. */
describe('channels (PROTOCOL §10)', () => {
  let h: Herald;
  const open: TestClient[] = [];
  let seq = 0;
  const id = (what: string) => `${what}-${++seq}`;

  beforeAll(async () => {
    h = await startHerald({ PUBLIC_CHANNEL_PREFIXES: 'public:,news.', MAX_CHANNELS_PER_CONNECTION: '3', HISTORY_SIZE: '5' });
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((c) => c.close()));
  });
  afterAll(() => h.close());

  async function connect(userId: string, claims: Record<string, unknown> = {}, path: '/notification' | '/demo' = '/notification') {
    const token = mintToken(userId, { claims });
    const client = await openSocket(h, path, await getTicket(h, token));
    open.push(client);
    const authOk = await authenticate(client, token);
    return { client, authOk, token };
  }

  const subscribe = (client: TestClient, data: Record<string, unknown>) => client.request({ type: 'subscribe', id: id('sub'), data });
  const unsubscribe = (client: TestClient, channel: string) => client.request({ type: 'unsubscribe', id: id('unsub'), data: { channel } });
  const publish = async (channels: string[], event = 'doc.edited', extra: Record<string, unknown> = {}) => {
    const res = await postJson(h, '/notifications/channels', { channels, event, ...extra });
    expect(res.status).toBe(202);
    return res.body.id as string;
  };
  const get = async (path: string, key: string | null = API_KEY) => {
    const res = await fetch(`${h.url}${path}`, { headers: key === null ? {} : { 'x-api-key': key } });
    return { status: res.status, body: (await res.json().catch(() => undefined)) as any };
  };
  /** Every notification the client got until a round trip completes (nothing more is in flight after it). */
  const drained = async (client: TestClient): Promise<Frame['data'][]> => {
    await roundTrip(client);
    const got = client.frames.filter((f) => f.type === 'notification').map((f) => f.data);
    client.frames.splice(0);
    return got;
  };

  describe('subscribe and notifications', () => {
    it('answers subscribed with the position, carrying the id, then delivers the channel notifications with stream and channel', async () => {
      const { client } = await connect('ann', { channels: ['doc:1'] });
      const reply = await client.request({ type: 'subscribe', id: 'c-1', data: { channel: 'doc:1' } });
      expect(reply).toEqual({ type: 'subscribed', id: 'c-1', data: { channel: 'doc:1', offset: 0, epoch: expect.any(String) } });
      const nid = await publish(['doc:1'], 'doc.edited', { payload: { rev: 2 } });
      const n = await client.nextOfType('notification');
      expect(n).toEqual({
        type: 'notification',
        data: { id: nid, event: 'doc.edited', payload: { rev: 2 }, stream: 'channel', channel: 'doc:1', offset: 1, epoch: reply.data.epoch, ts: expect.any(Number) },
      });
      expect(n.id).toBeUndefined();
      const second = await publish(['doc:1']);
      expect((await client.nextOfType('notification')).data).toMatchObject({ id: second, payload: {}, offset: 2, channel: 'doc:1' });
      // a later subscriber learns the last position
      const { client: late } = await connect('ann2', { channels: ['doc:1'] });
      expect((await subscribe(late, { channel: 'doc:1' })).data).toEqual({ channel: 'doc:1', offset: 2, epoch: reply.data.epoch });
    });

    it('delivers a notification published to several held channels once per channel, each with its own name and offset', async () => {
      const { client } = await connect('multi', { channels: ['m:*'] });
      await publish(['m:b']);
      await subscribe(client, { channel: 'm:a' });
      await subscribe(client, { channel: 'm:b' });
      const nid = await publish(['m:a', 'm:b', 'm:c']);
      const got = [await client.nextOfType('notification'), await client.nextOfType('notification')].map((f) => f.data);
      expect(got.map((d) => [d.id, d.channel, d.offset]).sort()).toEqual([
        [nid, 'm:a', 1],
        [nid, 'm:b', 2],
      ]);
      expect(await drained(client)).toEqual([]);
    });

    it('gives the user and broadcast streams and the channels apart on one connection', async () => {
      const { client } = await connect('apart', { channels: ['apart:1'] });
      await subscribe(client, { channel: 'apart:1' });
      await postJson(h, '/notifications', { userIds: ['apart'], event: 'mine' });
      await publish(['apart:1'], 'shared');
      const got = [await client.nextOfType('notification'), await client.nextOfType('notification')].map((f) => f.data);
      expect(got.find((d) => d.event === 'mine')).toMatchObject({ stream: 'user', offset: 1 });
      expect(got.find((d) => d.event === 'mine')).not.toHaveProperty('channel');
      expect(got.find((d) => d.event === 'shared')).toMatchObject({ stream: 'channel', channel: 'apart:1', offset: 1 });
    });
  });

  describe('who may subscribe', () => {
    it('refuses a channel nothing grants with forbidden, carrying the id, and the connection stays open', async () => {
      const { client } = await connect('nobody');
      const reply = await client.request({ type: 'subscribe', id: 'f-1', data: { channel: 'team:7' } });
      expect(reply).toMatchObject({ type: 'error', id: 'f-1', data: { code: 'forbidden' } });
      expect(await roundTrip(client)).toMatchObject({ type: 'pong' });
      await publish(['team:7']);
      expect(await drained(client)).toEqual([]);
    });

    it('grants exact names of the JWT channels claim, and only those', async () => {
      const { client } = await connect('exact', { channels: ['team:7'] });
      expect((await subscribe(client, { channel: 'team:7' })).type).toBe('subscribed');
      expect((await subscribe(client, { channel: 'team:70' })).data.code).toBe('forbidden');
      expect((await subscribe(client, { channel: 'team:7:docs' })).data.code).toBe('forbidden');
    });

    it('grants every channel under a prefix ending in *, and not the prefix without its tail', async () => {
      const { client } = await connect('prefix', { channels: ['team:8:*'] });
      expect((await subscribe(client, { channel: 'team:8:docs' })).type).toBe('subscribed');
      expect((await subscribe(client, { channel: 'team:8' })).data.code).toBe('forbidden');
      expect((await subscribe(client, { channel: 'team:80:docs' })).data.code).toBe('forbidden');
    });

    it('grants PUBLIC_CHANNEL_PREFIXES to anyone', async () => {
      const { client } = await connect('public-user');
      expect((await subscribe(client, { channel: 'public:lobby' })).type).toBe('subscribed');
      expect((await subscribe(client, { channel: 'news.today' })).type).toBe('subscribed');
      expect((await subscribe(client, { channel: 'publicity' })).data.code).toBe('forbidden');
    });

    it('grants a channel to a subscription token for this user and channel, signed with the user-JWT key', async () => {
      const { client } = await connect('tok');
      const token = (claims: Record<string, unknown>, secret?: string) => signJwt({ sub: 'tok', channel: 'secret:1', exp: nowSec() + 60, ...claims }, { secret });
      const ok = await subscribe(client, { channel: 'secret:1', token: token({}) });
      expect(ok).toMatchObject({ type: 'subscribed', data: { channel: 'secret:1', offset: 0 } });
      await unsubscribe(client, 'secret:1');
      for (const bad of [
        token({ sub: 'someone-else' }),
        token({ channel: 'secret:2' }),
        token({ exp: nowSec() - 3600 }),
        token({}, 'another-secret-of-enough-length-1234567890'),
        token({ channel: undefined }),
        'not-a-jwt',
      ]) {
        expect((await subscribe(client, { channel: 'secret:1', token: bad })).data.code).toBe('forbidden');
      }
      // a token for secret:1 does not open secret:3
      expect((await subscribe(client, { channel: 'secret:3', token: token({}) })).data.code).toBe('forbidden');
    });

    it('checks the claim of the latest auth: a refresh with a narrower JWT narrows what may be subscribed next', async () => {
      const { client } = await connect('narrow', { channels: ['n:1', 'n:2'] });
      expect((await subscribe(client, { channel: 'n:1' })).type).toBe('subscribed');
      const refreshed = await client.request({ type: 'auth', id: 'refresh', data: { token: mintToken('narrow', { claims: { channels: ['n:1'] } }) } });
      expect(refreshed.type).toBe('auth_ok');
      expect((await subscribe(client, { channel: 'n:2' })).data.code).toBe('forbidden');
      // the subscription made before lasts
      await publish(['n:1']);
      expect((await client.nextOfType('notification')).data).toMatchObject({ channel: 'n:1' });
    });

    it('ignores a channels claim that is not an array of strings', async () => {
      const { client } = await connect('weird', { channels: 'w:1' });
      expect((await subscribe(client, { channel: 'w:1' })).data.code).toBe('forbidden');
    });
  });

  describe('names, limits, idempotence', () => {
    it('answers invalid, with field errors, for a bad, long or missing name; subscribe and unsubscribe alike', async () => {
      const { client } = await connect('names', { channels: ['*'] });
      for (const data of [{ channel: 'bad name' }, { channel: 'x'.repeat(129) }, { channel: '' }, { channel: 'ü' }, {}, { channel: 7 }]) {
        const reply = await subscribe(client, data);
        expect(reply).toMatchObject({ type: 'error', data: { code: 'invalid', errors: [expect.objectContaining({ field: 'channel' })] } });
      }
      expect((await unsubscribe(client, 'bad name')).data.code).toBe('invalid');
      expect((await subscribe(client, { channel: `a-Z_0.9:@-${'x'.repeat(118)}` })).type).toBe('subscribed');
    });

    it('answers channel_limit beyond MAX_CHANNELS_PER_CONNECTION, counting channels only, and a held one still re-subscribes', async () => {
      const { client } = await connect('limit', { channels: ['l:*'] });
      for (const c of ['l:1', 'l:2', 'l:3']) expect((await subscribe(client, { channel: c })).type).toBe('subscribed');
      expect(await subscribe(client, { channel: 'l:4' })).toMatchObject({ type: 'error', data: { code: 'channel_limit' } });
      expect((await subscribe(client, { channel: 'l:2' })).type).toBe('subscribed');
      await unsubscribe(client, 'l:1');
      expect((await subscribe(client, { channel: 'l:4' })).type).toBe('subscribed');
      // the limit is per connection
      const { client: other } = await connect('limit', { channels: ['l:*'] });
      expect((await subscribe(other, { channel: 'l:1' })).type).toBe('subscribed');
    });

    it('answers a repeated subscribe with the current position, ignores its recover and delivers nothing twice', async () => {
      const { client } = await connect('again', { channels: ['again:1'] });
      const first = await subscribe(client, { channel: 'again:1' });
      await publish(['again:1']);
      await client.nextOfType('notification');
      const again = await subscribe(client, { channel: 'again:1', recover: { offset: 0, epoch: first.data.epoch } });
      expect(again.data).toEqual({ channel: 'again:1', offset: 1, epoch: first.data.epoch });
      expect(await drained(client)).toEqual([]);
      await publish(['again:1']);
      expect((await client.nextOfType('notification')).data.offset).toBe(2);
      expect(await drained(client)).toEqual([]);
    });
  });

  describe('unsubscribe', () => {
    it('answers unsubscribed with the id, and nothing of the channel arrives after it', async () => {
      const { client } = await connect('leaver', { channels: ['u:1', 'u:2'] });
      await subscribe(client, { channel: 'u:1' });
      await subscribe(client, { channel: 'u:2' });
      const reply = await client.request({ type: 'unsubscribe', id: 'u-1', data: { channel: 'u:1' } });
      expect(reply).toEqual({ type: 'unsubscribed', id: 'u-1', data: { channel: 'u:1' } });
      await publish(['u:1', 'u:2']);
      const got = await client.nextOfType('notification');
      expect(got.data.channel).toBe('u:2');
      expect(await drained(client)).toEqual([]);
    });

    it('answers unsubscribed for a channel the connection does not hold', async () => {
      const { client } = await connect('never');
      expect(await unsubscribe(client, 'never:held')).toMatchObject({ type: 'unsubscribed', data: { channel: 'never:held' } });
    });
  });

  describe('recover', () => {
    it('replays the missed notifications right after subscribed, in order, once, before any live one', async () => {
      const { client } = await connect('rec', { channels: ['rec:1'] });
      const first = await subscribe(client, { channel: 'rec:1' });
      await publish(['rec:1']);
      const seen = (await client.nextOfType('notification')).data;
      await unsubscribe(client, 'rec:1');
      const missed = [await publish(['rec:1']), await publish(['rec:1'])];
      client.send({ type: 'subscribe', id: 'r-1', data: { channel: 'rec:1', recover: { offset: seen.offset, epoch: first.data.epoch } } });
      const live = await publish(['rec:1']);
      const reply = await client.next((f) => f.id === 'r-1');
      expect(reply).toEqual({ type: 'subscribed', id: 'r-1', data: { channel: 'rec:1', offset: expect.any(Number), epoch: first.data.epoch, recovered: true } });
      const after = await drained(client);
      expect(after.map((d) => d.id)).toEqual([...missed, live]);
      expect(after.map((d) => d.offset)).toEqual([2, 3, 4]);
    });

    it('puts the reply before the replay on the wire', async () => {
      const { client } = await connect('order', { channels: ['ord:1'] });
      const first = await subscribe(client, { channel: 'ord:1' });
      await unsubscribe(client, 'ord:1');
      await publish(['ord:1']);
      client.frames.splice(0);
      const order: string[] = [];
      client.ws.on('message', (raw) => order.push(JSON.parse(raw.toString()).type));
      await subscribe(client, { channel: 'ord:1', recover: { offset: 0, epoch: first.data.epoch } });
      await roundTrip(client);
      expect(order).toEqual(['subscribed', 'notification', 'pong']);
    });

    it('answers recovered: false and replays nothing for another epoch or notifications no longer in history', async () => {
      const { client } = await connect('lost', { channels: ['lost:*'] });
      const first = await subscribe(client, { channel: 'lost:1' });
      await unsubscribe(client, 'lost:1');
      expect((await subscribe(client, { channel: 'lost:1', recover: { offset: 0, epoch: 'not-the-epoch' } })).data).toMatchObject({ recovered: false, offset: 0 });
      await unsubscribe(client, 'lost:1');
      for (let i = 0; i < 7; i++) await publish(['lost:1']); // HISTORY_SIZE 5: offsets 1 and 2 are gone
      const trimmed = await subscribe(client, { channel: 'lost:1', recover: { offset: 1, epoch: first.data.epoch } });
      expect(trimmed.data).toEqual({ channel: 'lost:1', offset: 7, epoch: first.data.epoch, recovered: false });
      expect(await drained(client)).toEqual([]);
      await publish(['lost:1']);
      expect((await client.nextOfType('notification')).data.offset).toBe(8);
    });

    it.each(['before-read', 'after-read'] as const)('delivers a notification published while the replay is read exactly once, in order (%s)', async (when) => {
      const channel = `race:${when}`;
      const { client } = await connect(`racer-${when}`, { channels: ['race:*'] });
      const first = await subscribe(client, { channel });
      await unsubscribe(client, channel);
      const missed = [await publish([channel]), await publish([channel])];
      const broker = h.app.get<Broker>(BROKER);
      const original = broker.history;
      let racer: string | undefined;
      broker.history = async (stream: string, options?: HistoryOptions) => {
        if (racer !== undefined || options?.since === undefined) return original.call(broker, stream, options);
        if (when === 'before-read') racer = await publish([channel]);
        const result = await original.call(broker, stream, options);
        if (when === 'after-read') racer = await publish([channel]);
        return result;
      };
      try {
        const reply = await subscribe(client, { channel, recover: { offset: 0, epoch: first.data.epoch } });
        expect(reply.data.recovered).toBe(true);
      } finally {
        broker.history = original;
      }
      const got = await drained(client);
      expect(got.map((d) => d.id)).toEqual([...missed, racer]);
      expect(got.map((d) => d.offset)).toEqual([1, 2, 3]);
    });

    it('answers invalid for a malformed recover', async () => {
      const { client } = await connect('badrec', { channels: ['b:1'] });
      expect((await subscribe(client, { channel: 'b:1', recover: { offset: -1, epoch: 'e' } })).data.code).toBe('invalid');
      expect((await subscribe(client, { channel: 'b:1', recover: 'x' })).data.code).toBe('invalid');
    });
  });

  describe('gateways and authentication', () => {
    it('answers unknown_type for subscribe and unsubscribe on /demo', async () => {
      const { client } = await connect('demo-user', { channels: ['*'] }, '/demo');
      expect((await subscribe(client, { channel: 'public:lobby' })).data.code).toBe('unknown_type');
      expect((await unsubscribe(client, 'public:lobby')).data.code).toBe('unknown_type');
    });

    it('answers unauthenticated before auth_ok', async () => {
      const token = mintToken('early');
      const client = await openSocket(h, '/notification', await getTicket(h, token));
      open.push(client);
      expect((await subscribe(client, { channel: 'public:lobby' })).data.code).toBe('unauthenticated');
    });

    it('ends every subscription with the connection', async () => {
      const { client } = await connect('gone');
      await subscribe(client, { channel: 'public:gone' });
      expect((await get('/channels/public:gone/presence')).body.subscribers).toBe(1);
      await client.close();
      await eventually(async () => expect((await get('/channels/public:gone/presence')).body).toEqual({ channel: 'public:gone', subscribers: 0, users: [] }));
    });
  });

  describe('REST', () => {
    it('POST /notifications/channels: 202 with an id; 400 for 0 or 101 channels, a bad name or event; 401 without a key', async () => {
      expect((await postJson(h, '/notifications/channels', { channels: ['public:r'], event: 'x' })).body).toEqual({ id: expect.any(String) });
      const hundred = Array.from({ length: 100 }, (_, i) => `public:h${i}`);
      expect((await postJson(h, '/notifications/channels', { channels: hundred, event: 'x' })).status).toBe(202);
      for (const body of [
        { channels: [], event: 'x' },
        { channels: [...hundred, 'public:one-more'], event: 'x' },
        { channels: ['bad name'], event: 'x' },
        { channels: ['public:r'], event: 'Bad Event' },
        { channels: 'public:r', event: 'x' },
        { event: 'x' },
        { channels: ['public:r'], event: 'x', payload: [1] },
      ]) {
        const res = await postJson(h, '/notifications/channels', body);
        expect(res.status).toBe(400);
        expect(res.body.errors.length).toBeGreaterThan(0);
      }
      expect((await postJson(h, '/notifications/channels', { channels: ['public:r'], event: 'x' }, { 'x-api-key': 'wrong' })).status).toBe(401);
    });

    it('POST /notifications/channels: the same idempotencyKey answers the first id and delivers once', async () => {
      const { client } = await connect('idem');
      await subscribe(client, { channel: 'public:idem' });
      const body = { channels: ['public:idem'], event: 'once', idempotencyKey: 'k-1' };
      const [a, b] = [await postJson(h, '/notifications/channels', body), await postJson(h, '/notifications/channels', body)];
      expect(a.status).toBe(202);
      expect(b.body.id).toBe(a.body.id);
      expect((await client.nextOfType('notification')).data.id).toBe(a.body.id);
      expect(await drained(client)).toEqual([]);
      // the same key on another endpoint is another key
      const other = await postJson(h, '/notifications/broadcast', { event: 'once', idempotencyKey: 'k-1' });
      expect(other.body.id).not.toBe(a.body.id);
    });

    it('GET /channels/:channel/presence: subscribers across connections, distinct users', async () => {
      const [a1, a2, b] = [await connect('pa'), await connect('pa'), await connect('pb')];
      for (const c of [a1, a2, b]) await subscribe(c.client, { channel: 'public:room' });
      const p = await get('/channels/public:room/presence');
      expect(p.status).toBe(200);
      expect(p.body.channel).toBe('public:room');
      expect(p.body.subscribers).toBe(3);
      expect([...p.body.users].sort()).toEqual(['pa', 'pb']);
      await unsubscribe(a1.client, 'public:room');
      expect((await get('/channels/public:room/presence')).body).toMatchObject({ subscribers: 2 });
      expect((await get('/channels/nobody:here/presence')).body).toEqual({ channel: 'nobody:here', subscribers: 0, users: [] });
      expect((await get('/channels/bad%20name/presence')).status).toBe(400);
      expect((await get('/channels/public:room/presence', null)).status).toBe(401);
    });

    it('GET /channels/:channel/history: epoch, last offset, notifications after since, oldest first, at most limit', async () => {
      const { client } = await connect('hist');
      const sub = await subscribe(client, { channel: 'public:hist' });
      const ids = [];
      for (let i = 0; i < 4; i++) ids.push(await publish(['public:hist'], `e.${i}`, { payload: { i } }));
      const all = await get('/channels/public:hist/history');
      expect(all.status).toBe(200);
      expect(all.body).toEqual({
        channel: 'public:hist',
        epoch: sub.data.epoch,
        offset: 4,
        notifications: ids.map((nid, i) => ({ id: nid, event: `e.${i}`, payload: { i }, offset: i + 1, ts: expect.any(Number) })),
      });
      expect((await get('/channels/public:hist/history?since=1&limit=2')).body.notifications.map((n: any) => n.offset)).toEqual([2, 3]);
      expect((await get('/channels/public:hist/history?since=4')).body.notifications).toEqual([]);
      expect((await get('/channels/empty:one/history')).body).toEqual({ channel: 'empty:one', epoch: expect.any(String), offset: 0, notifications: [] });
      for (const q of ['since=-1', 'since=x', 'since=1.5', 'limit=0', 'limit=101', 'limit=abc']) {
        const res = await get(`/channels/public:hist/history?${q}`);
        expect(res.status).toBe(400);
      }
      expect((await get('/channels/bad%20name/history')).status).toBe(400);
      expect((await get('/channels/public:hist/history', null)).status).toBe(401);
    });

    it('documents the channel endpoints and their errors in OpenAPI', async () => {
      const doc = (await get('/docs-json', null)).body;
      expect(doc.paths['/notifications/channels'].post.responses).toEqual(expect.objectContaining({ '202': expect.anything(), '400': expect.anything(), '401': expect.anything() }));
      expect(doc.paths['/channels/{channel}/presence'].get.responses).toEqual(expect.objectContaining({ '200': expect.anything(), '400': expect.anything(), '401': expect.anything() }));
      const history = doc.paths['/channels/{channel}/history'].get;
      expect(history.responses).toEqual(expect.objectContaining({ '200': expect.anything(), '400': expect.anything(), '401': expect.anything() }));
      expect(history.parameters.map((p: any) => p.name).sort()).toEqual(['channel', 'limit', 'since']);
    });
  });
});
