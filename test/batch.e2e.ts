import { ClientPool, recordFrames, roundTrip } from './support/e2e.js';
import { postJson, startHerald, type Frame, type Herald } from './support/harness.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MAX_BODY = 256 * 1024;

/** POST /notifications/batch: many notifications, validated whole, one id per item in order. */
describe('POST /notifications/batch', () => {
  let h: Herald;
  const clients = new ClientPool();
  const listen = async (user: string) => {
    const { client } = await clients.connect(h, '/notification', user);
    return { client, seen: recordFrames(client) };
  };
  const notifications = (seen: Frame[]) => seen.filter((f) => f.type === 'notification').map((f) => f.data);
  const batch = (items: unknown, headers?: Record<string, string>) => postJson(h, '/notifications/batch', { items }, headers);

  beforeAll(async () => {
    h = await startHerald({ MAX_BODY_BYTES: String(MAX_BODY) });
  });
  afterEach(() => clients.closeAll());
  afterAll(() => h.close());

  it('answers 202 with one id per item, in order, and delivers each item to its users', async () => {
    const ann = await listen('b-ann');
    const bob = await listen('b-bob');
    const res = await batch([
      { userIds: ['b-ann'], event: 'one', payload: { n: 1 } },
      { userIds: ['b-bob', 'b-ann'], event: 'two' },
      { userIds: ['b-bob'], event: 'three', payload: { n: 3 } },
    ]);
    expect(res.status).toBe(202);
    expect(Object.keys(res.body)).toEqual(['ids']);
    const ids: string[] = res.body.ids;
    expect(ids).toHaveLength(3);
    for (const id of ids) expect(id).toMatch(UUID);
    expect(new Set(ids).size).toBe(3);
    await ann.client.nextOfType('notification');
    await ann.client.nextOfType('notification');
    await bob.client.nextOfType('notification');
    await bob.client.nextOfType('notification');
    const byId = (seen: Frame[]) => Object.fromEntries(notifications(seen).map((n) => [n.event, n]));
    expect(byId(ann.seen)).toEqual({
      one: expect.objectContaining({ id: ids[0], payload: { n: 1 }, stream: 'user' }),
      two: expect.objectContaining({ id: ids[1], payload: {}, stream: 'user' }),
    });
    expect(byId(bob.seen)).toEqual({
      two: expect.objectContaining({ id: ids[1] }),
      three: expect.objectContaining({ id: ids[2], payload: { n: 3 } }),
    });
    // each user's stream numbers its notifications 1, 2 with no gap
    expect(notifications(ann.seen).map((n) => n.offset).sort()).toEqual([1, 2]);
  });

  it('takes 1,000 items and answers 1,000 ids', async () => {
    const items = Array.from({ length: 1000 }, (_, i) => ({ userIds: [`b-many-${i % 7}`], event: 'many', payload: { i } }));
    const res = await batch(items);
    expect(res.status).toBe(202);
    expect(res.body.ids).toHaveLength(1000);
    expect(new Set(res.body.ids).size).toBe(1000);
  });

  describe('400, with nothing published', () => {
    it.each([
      ['an item with a bad event', [{ userIds: ['b-cat'], event: 'ok' }, { userIds: ['b-cat'], event: 'ok' }, { userIds: ['b-cat'], event: 'BAD EVENT' }], ['items.2.event']],
      ['items without userIds, and with an empty one', [{ event: 'ok' }, { userIds: ['b-cat'], event: 'ok' }, { userIds: [], event: 'ok' }], ['items.0.userIds', 'items.2.userIds']],
      ['a payload that is not an object and a key too long', [{ userIds: ['b-cat'], event: 'ok', payload: 3, idempotencyKey: 'k'.repeat(257) }], ['items.0.payload', 'items.0.idempotencyKey']],
      ['an item that is not an object', [{ userIds: ['b-cat'], event: 'ok' }, 'nope'], ['items.1']],
    ])('%s', async (name, template, fields) => {
      // a user of this case alone, so that its stream starts empty
      const user = `b-cat-${name.length}-${fields.join()}`;
      const items = JSON.parse(JSON.stringify(template).replaceAll('"b-cat"', JSON.stringify(user)));
      const { client, seen } = await listen(user);
      const res = await batch(items);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ statusCode: 400, message: 'validation failed' });
      const named = (res.body.errors as Array<{ field: string; messages: string[] }>).map((e) => e.field);
      for (const field of fields) expect(named.some((f) => f === field || f.startsWith(`${field}.`))).toBe(true);
      for (const e of res.body.errors) expect(e.messages.length).toBeGreaterThan(0);
      // nothing of the valid items went out: the next notification is the stream's first
      const next = await batch([{ userIds: [user], event: 'after' }]);
      expect(next.status).toBe(202);
      expect((await client.nextOfType('notification')).data).toMatchObject({ event: 'after', offset: 1 });
      await roundTrip(client);
      expect(notifications(seen)).toHaveLength(1);
    });

    it.each([
      ['no items', []],
      ['1,001 items', Array.from({ length: 1001 }, () => ({ userIds: ['u'], event: 'e' }))],
      ['items that are not an array', { userIds: ['u'], event: 'e' }],
    ])('%s', async (_name, items) => {
      const res = await batch(items);
      expect(res.status).toBe(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toContain('items');
    });

    it('a body that is not JSON', async () => {
      const res = await postJson(h, '/notifications/batch', '{"items": [');
      expect(res.status).toBe(400);
      expect(res.body.errors.length).toBeGreaterThan(0);
    });
  });

  it('answers 401 without a key, before 413 and 400', async () => {
    expect((await batch([{ userIds: ['u'], event: 'e' }], { 'x-api-key': 'wrong' })).status).toBe(401);
    expect((await postJson(h, '/notifications/batch', 'x'.repeat(MAX_BODY * 2), { 'x-api-key': 'wrong' })).status).toBe(401);
    expect((await postJson(h, '/notifications/batch', 'x'.repeat(MAX_BODY * 2))).status).toBe(413);
  });

  it('answers a repeated idempotencyKey with its first id and delivers it once, within a batch and across batches', async () => {
    const { client, seen } = await listen('b-dan');
    const first = await batch([
      { userIds: ['b-dan'], event: 'a', idempotencyKey: 'dan-1' },
      { userIds: ['b-dan'], event: 'b', idempotencyKey: 'dan-2' },
      { userIds: ['b-dan'], event: 'a-again', idempotencyKey: 'dan-1' },
    ]);
    expect(first.status).toBe(202);
    const [a, b, again] = first.body.ids;
    expect(again).toBe(a);
    expect(b).not.toBe(a);
    const second = await batch([
      { userIds: ['b-dan'], event: 'c', idempotencyKey: 'dan-3' },
      { userIds: ['b-dan'], event: 'b-retry', idempotencyKey: 'dan-2' },
    ]);
    expect(second.status).toBe(202);
    expect(second.body.ids[1]).toBe(b);
    for (let i = 0; i < 3; i++) await client.nextOfType('notification');
    await roundTrip(client);
    expect(notifications(seen).map((n) => n.event).sort()).toEqual(['a', 'b', 'c']);
    // the key space is the batch endpoint's own (PROTOCOL §6: the same key on the same endpoint)
    const single = await postJson(h, '/notifications', { userIds: ['b-dan'], event: 'single', idempotencyKey: 'dan-1' });
    expect(single.body.id).not.toBe(a);
  });

  it('is documented in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${h.url}/docs-json`)).json()) as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
    const post = doc.paths['/notifications/batch'].post;
    expect(Object.keys(post.responses)).toEqual(expect.arrayContaining(['202', '400', '401', '413', '503']));
  });
});
