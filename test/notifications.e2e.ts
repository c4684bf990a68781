import { ClientPool, eventually, roundTrip } from './support/e2e.js';
import { API_KEY, connectUser, getTicket, mintToken, openSocket, postJson, startHerald, type Herald } from './support/harness.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MAX_BODY = 16_384;

/** PROTOCOL §5–§6: the REST API for services and what it pushes to /notification. */
describe('notifications', () => {
  let h: Herald;
  const clients = new ClientPool();
  const connect = async (path: '/demo' | '/notification', user: string) => {
    const c = await connectUser(h, path, user);
    clients.push(c.client);
    return c;
  };
  const presence = async (userId: string, headers: Record<string, string> = { 'x-api-key': API_KEY }) => {
    const res = await fetch(`${h.url}/presence/${encodeURIComponent(userId)}`, { headers });
    return { status: res.status, body: (await res.json()) as { userId: string; online: boolean; connections: number } };
  };

  beforeAll(async () => {
    h = await startHerald({ MAX_BODY_BYTES: String(MAX_BODY), SERVICE_API_KEYS: `${API_KEY},second-key` });
  });
  afterEach(async () => {
    await clients.closeAll();
  });
  afterAll(() => h.close());

  describe('401 for a missing or wrong key, before anything else', () => {
    const routes: Array<[string, string, unknown]> = [
      ['POST', '/notifications', { userIds: ['a'], event: 'e' }],
      ['POST', '/notifications/broadcast', { event: 'e' }],
      ['GET', '/presence/alice', undefined],
    ];
    const call = (method: string, path: string, body: unknown, headers: Record<string, string>) =>
      fetch(`${h.url}${path}`, {
        method,
        headers: { 'content-type': 'application/json', ...headers },
        body: body === undefined ? undefined : JSON.stringify(body),
      });

    it.each(routes)('%s %s', async (method, path, body) => {
      for (const headers of [
        {} as Record<string, string>,
        { 'x-api-key': 'wrong' },
        { authorization: 'Bearer wrong' },
        { authorization: API_KEY }, // not a Bearer
        { 'x-api-key': '' },
        { 'x-api-key': `${API_KEY}x` },
      ]) {
        expect((await call(method, path, body, headers)).status).toBe(401);
      }
      for (const headers of [{ 'x-api-key': API_KEY }, { authorization: `Bearer ${API_KEY}` }, { 'x-api-key': 'second-key' }] as Array<Record<string, string>>) {
        expect([200, 202]).toContain((await call(method, path, body, headers)).status);
      }
    });

    it('answers 401, not 413 or 400, to an oversized or invalid body without a key', async () => {
      expect((await postJson(h, '/notifications', 'x'.repeat(MAX_BODY * 2), { 'x-api-key': 'wrong' })).status).toBe(401);
      expect((await postJson(h, '/notifications', '{bad', { 'x-api-key': 'wrong' })).status).toBe(401);
      expect((await postJson(h, '/notifications/broadcast', {}, { 'x-api-key': 'wrong' })).status).toBe(401);
    });
  });

  describe('413 over MAX_BODY_BYTES', () => {
    it('refuses a body over the limit, even one that is not JSON or would fail validation', async () => {
      const validButBig = { userIds: ['big-body'], event: 'e', payload: { blob: 'x'.repeat(MAX_BODY) } };
      expect((await postJson(h, '/notifications', validButBig)).status).toBe(413);
      expect((await postJson(h, '/notifications', `{"not json${'x'.repeat(MAX_BODY)}`)).status).toBe(413);
      expect((await postJson(h, '/notifications/broadcast', { event: 'BAD EVENT', pad: 'x'.repeat(MAX_BODY) })).status).toBe(413);
    });

    it('accepts a body right under the limit', async () => {
      const body = { userIds: ['big-body'], event: 'e', payload: { blob: 'x'.repeat(MAX_BODY - 100) } };
      expect(JSON.stringify(body).length).toBeLessThan(MAX_BODY);
      expect((await postJson(h, '/notifications', body)).status).toBe(202);
    });
  });

  describe('400 with field errors', () => {
    const fieldsOf = (body: { errors?: Array<{ field: string; messages: string[] }> }) => (body.errors ?? []).map((e) => e.field);

    it.each(['{bad json', '[1,2]', '"string"', '42', 'null'])('for a body that is not a JSON object: %s', async (raw) => {
      const res = await postJson(h, '/notifications', raw);
      expect(res.status).toBe(400);
      expect(res.body.errors?.length).toBeGreaterThan(0);
    });

    it.each([
      ['missing userIds', { event: 'e' }, 'userIds'],
      ['empty userIds', { userIds: [], event: 'e' }, 'userIds'],
      ['userIds not an array', { userIds: 'alice', event: 'e' }, 'userIds'],
      ['a non-string user id', { userIds: [5], event: 'e' }, 'userIds'],
      ['an empty user id', { userIds: [''], event: 'e' }, 'userIds'],
      ['1001 userIds', { userIds: Array.from({ length: 1001 }, (_, i) => `u${i}`), event: 'e' }, 'userIds'],
      ['missing event', { userIds: ['a'] }, 'event'],
      ['an event outside [a-z0-9_.:-]', { userIds: ['a'], event: 'Order Shipped' }, 'event'],
      ['an event of 65 characters', { userIds: ['a'], event: 'e'.repeat(65) }, 'event'],
      ['a payload that is an array', { userIds: ['a'], event: 'e', payload: [1] }, 'payload'],
      ['a payload that is a string', { userIds: ['a'], event: 'e', payload: 'x' }, 'payload'],
      ['a non-string idempotencyKey', { userIds: ['a'], event: 'e', idempotencyKey: 5 }, 'idempotencyKey'],
    ])('POST /notifications with %s', async (_name, body, field) => {
      const res = await postJson(h, '/notifications', body);
      expect(res.status).toBe(400);
      expect(fieldsOf(res.body)).toContain(field);
      expect(res.body.errors.every((e: { messages: string[] }) => e.messages.length > 0)).toBe(true);
    });

    it('POST /notifications/broadcast with a bad event and payload, listing both', async () => {
      const res = await postJson(h, '/notifications/broadcast', { event: 'NOPE!', payload: 7 });
      expect(res.status).toBe(400);
      expect(fieldsOf(res.body).sort()).toEqual(['event', 'payload']);
    });

    it('accepts 1000 userIds and an event of 64 characters', async () => {
      const res = await postJson(h, '/notifications', { userIds: Array.from({ length: 1000 }, (_, i) => `u${i}`), event: 'e'.repeat(64) });
      expect(res.status).toBe(202);
    });
  });

  describe('202 and delivery', () => {
    it('answers 202 {id} and pushes the §5 notification frame to the user', async () => {
      const { client } = await connect('/notification', 'alice');
      const before = Date.now();
      const res = await postJson(h, '/notifications', { userIds: ['alice'], event: 'order.shipped', payload: { orderId: 42, nested: { a: [1] } } });
      expect(res.status).toBe(202);
      expect(Object.keys(res.body)).toEqual(['id']);
      expect(res.body.id).toMatch(UUID);
      const n = await client.nextOfType('notification');
      expect(Object.keys(n).sort()).toEqual(['data', 'type']);
      expect(Object.keys(n.data).sort()).toEqual(['epoch', 'event', 'id', 'offset', 'payload', 'stream', 'ts']);
      expect(n.data).toEqual({
        id: res.body.id,
        event: 'order.shipped',
        payload: { orderId: 42, nested: { a: [1] } },
        stream: 'user',
        offset: 1,
        epoch: expect.any(String),
        ts: expect.any(Number),
      });
      expect(n.data.ts).toBeGreaterThanOrEqual(before - 1000);
      expect(n.data.ts).toBeLessThanOrEqual(Date.now() + 1000);
    });

    it('defaults payload to {}', async () => {
      const { client } = await connect('/notification', 'payload-less');
      const res = await postJson(h, '/notifications', { userIds: ['payload-less'], event: 'ping.me' });
      expect((await client.nextOfType('notification')).data).toMatchObject({ id: res.body.id, payload: {} });
    });

    it('reaches every /notification connection of every listed user, and nobody else', async () => {
      const a1 = await connect('/notification', 'n-a');
      const a2 = await connect('/notification', 'n-a');
      const b = await connect('/notification', 'n-b');
      const c = await connect('/notification', 'n-c');
      const demo = await connect('/demo', 'n-a');
      const res = await postJson(h, '/notifications', { userIds: ['n-a', 'n-b', 'n-a'], event: 'multi' });
      for (const client of [a1.client, a2.client, b.client]) {
        expect((await client.nextOfType('notification')).data).toMatchObject({ id: res.body.id, stream: 'user', offset: 1 });
      }
      // listing a user twice delivers once
      for (const client of [a1.client, a2.client, b.client, c.client, demo.client]) {
        expect(await roundTrip(client)).toMatchObject({ type: 'pong' });
        expect(client.frames).toEqual([]);
      }
    });

    it('does not deliver to a connection that has not authenticated', async () => {
      const pending = await openSocket(h, '/notification', await getTicket(h, mintToken('n-pending')));
      clients.push(pending);
      await postJson(h, '/notifications', { userIds: ['n-pending'], event: 'early' });
      await postJson(h, '/notifications/broadcast', { event: 'early.all' });
      const token = mintToken('n-pending');
      const ok = await pending.request({ type: 'auth', id: 'a', data: { token } });
      expect(ok.type).toBe('auth_ok');
      expect(ok.data.streams.user.offset).toBe(1);
      expect(await roundTrip(pending)).toMatchObject({ type: 'pong' });
      expect(pending.frames).toEqual([]);
    });

    it('broadcast notifications reach every /notification connection, on the broadcast stream, not /demo', async () => {
      const x = await connect('/notification', 'b-x');
      const y = await connect('/notification', 'b-y');
      const demo = await connect('/demo', 'b-x');
      const res = await postJson(h, '/notifications/broadcast', { event: 'system.notice', payload: { text: 'maintenance' } });
      expect(res.status).toBe(202);
      expect(res.body.id).toMatch(UUID);
      const frames = [await x.client.nextOfType('notification'), await y.client.nextOfType('notification')];
      for (const f of frames) {
        expect(f.data).toMatchObject({ id: res.body.id, event: 'system.notice', payload: { text: 'maintenance' }, stream: 'broadcast' });
      }
      expect(frames[0].data.offset).toBe(frames[1].data.offset);
      expect(frames[0].data.epoch).toBe(frames[1].data.epoch);
      expect(x.authOk.data.streams.broadcast.epoch).toBe(frames[0].data.epoch);
      expect(frames[0].data.offset).toBe(x.authOk.data.streams.broadcast.offset + 1);
      expect(await roundTrip(demo.client)).toMatchObject({ type: 'pong' });
      expect(demo.client.frames).toEqual([]);
    });
  });

  describe('idempotencyKey', () => {
    it('answers the first id again and delivers once', async () => {
      const { client } = await connect('/notification', 'idem');
      const body = { userIds: ['idem'], event: 'charge', idempotencyKey: 'k-1' };
      const first = await postJson(h, '/notifications', body);
      const second = await postJson(h, '/notifications', { ...body, payload: { changed: true } });
      expect(second.status).toBe(202);
      expect(second.body.id).toBe(first.body.id);
      const other = await postJson(h, '/notifications', { ...body, idempotencyKey: 'k-2' });
      expect(other.body.id).not.toBe(first.body.id);
      const marker = await postJson(h, '/notifications', { userIds: ['idem'], event: 'marker' });
      const ids = [];
      for (let i = 0; i < 3; i++) ids.push((await client.nextOfType('notification')).data.id);
      expect(ids).toEqual([first.body.id, other.body.id, marker.body.id]);
      expect(client.frames).toEqual([]);
    });

    it('holds per endpoint: the same key on /notifications/broadcast is a different notification', async () => {
      const { client } = await connect('/notification', 'idem-2');
      const direct = await postJson(h, '/notifications', { userIds: ['idem-2'], event: 'e', idempotencyKey: 'shared' });
      const all = await postJson(h, '/notifications/broadcast', { event: 'e', idempotencyKey: 'shared' });
      const allAgain = await postJson(h, '/notifications/broadcast', { event: 'e', idempotencyKey: 'shared' });
      expect(all.body.id).not.toBe(direct.body.id);
      expect(allAgain.body.id).toBe(all.body.id);
      const got = [(await client.nextOfType('notification')).data, (await client.nextOfType('notification')).data];
      expect(got.map((d) => [d.stream, d.id]).sort()).toEqual([['broadcast', all.body.id], ['user', direct.body.id]].sort());
      expect(await roundTrip(client)).toMatchObject({ type: 'pong' });
      expect(client.frames).toEqual([]);
    });
  });

  it('idempotencyKey holds under concurrent requests: one id, one delivery', async () => {
    const { client } = await connect('/notification', 'idem-race');
    const body = { userIds: ['idem-race'], event: 'once', idempotencyKey: 'race-key' };
    const results = await Promise.all(Array.from({ length: 8 }, () => postJson(h, '/notifications', body)));
    expect(results.map((r) => r.status)).toEqual(Array(8).fill(202));
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    expect((await client.nextOfType('notification')).data.id).toBe(results[0].body.id);
    expect(await roundTrip(client)).toMatchObject({ type: 'pong' });
    expect(client.frames).toEqual([]);
  });

  it('forgets an idempotencyKey after IDEMPOTENCY_TTL_MS', async () => {
    // 2 s: the "still held" retry lands well inside it on a loaded machine
    const ttl = 2000;
    const short = await startHerald({ IDEMPOTENCY_TTL_MS: String(ttl) });
    try {
      const body = { event: 'e', idempotencyKey: 'k' };
      const sentAt = Date.now();
      const first = await postJson(short, '/notifications/broadcast', body);
      // the key was claimed before this moment: it is certainly forgotten `ttl` after it
      const claimedBy = Date.now();
      expect((await postJson(short, '/notifications/broadcast', body)).body.id).toBe(first.body.id);
      expect(Date.now() - sentAt).toBeLessThan(ttl);
      await new Promise((r) => setTimeout(r, claimedBy + ttl + 100 - Date.now()));
      expect((await postJson(short, '/notifications/broadcast', body)).body.id).not.toBe(first.body.id);
    } finally {
      await short.close();
    }
  });

  describe('GET /presence/:userId', () => {
    it('counts authenticated connections only, on both gateways', async () => {
      expect(await presence('p-user')).toEqual({ status: 200, body: { userId: 'p-user', online: false, connections: 0 } });
      const pending = await openSocket(h, '/demo', await getTicket(h, mintToken('p-user')));
      clients.push(pending);
      expect((await presence('p-user')).body).toEqual({ userId: 'p-user', online: false, connections: 0 });
      const a = await connect('/demo', 'p-user');
      await connect('/notification', 'p-user');
      expect((await presence('p-user')).body).toEqual({ userId: 'p-user', online: true, connections: 2 });
      await a.client.close();
      await eventually(async () => expect((await presence('p-user')).body.connections).toBe(1));
      expect((await presence('p-user')).body.online).toBe(true);
      expect((await presence('someone-else')).body.connections).toBe(0);
    });

    it('drops a connection that was closed by the server (4401) and one that failed auth', async () => {
      const { client } = await connect('/demo', 'p-2');
      const failed = await openSocket(h, '/demo', await getTicket(h, mintToken('p-2')));
      await failed.request({ type: 'auth', id: 'x', data: { token: 'garbage' } });
      await failed.closed;
      expect((await presence('p-2')).body.connections).toBe(1);
      await client.close();
      await eventually(async () => expect((await presence('p-2')).body).toMatchObject({ online: false, connections: 0 }));
    });

    it('accepts user ids with any characters', async () => {
      const id = 'user@example.com/with:colons';
      await connect('/demo', id);
      expect((await presence(id)).body).toEqual({ userId: id, online: true, connections: 1 });
    });
  });
});
