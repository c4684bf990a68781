import { BROKER, type Broker } from '../src/broker/broker.js';
import { nothingMore, roundTrip } from './support/e2e.js';
import { connectUser, getTicket, mintToken, openSocket, startHerald, type Herald, type TestClient } from './support/harness.js';

/** PROTOCOL §3: bad input is answered, never crashes the connection or the instance, never passes silently. */
describe('envelope', () => {
  let h: Herald;
  let client: TestClient;
  beforeAll(async () => {
    h = await startHerald({ MAX_PAYLOAD_BYTES: '1024' });
  });
  // a fresh client per test: one test's leftovers cannot fail the next
  beforeEach(async () => {
    ({ client } = await connectUser(h, '/demo', 'alice'));
  });
  afterEach(async () => {
    try {
      // every bad input leaves the connection working, with nothing else queued (a failure here is this test's)
      await nothingMore(client);
    } finally {
      await client.dispose();
    }
  });
  afterAll(() => h.close());

  it.each(['not json', '{"type":"echo"', '', '{type: "echo"}'])('answers bad_json to non-JSON %p', async (raw) => {
    client.send(raw);
    const reply = await client.nextOfType('error');
    expect(reply.data).toEqual({ code: 'bad_json', message: expect.any(String) });
    expect(reply.id).toBeUndefined();
  });

  it.each(['[]', '[{"type":"echo","id":"x"}]', '"echo"', '17', 'null', 'true'])('answers bad_json to JSON that is not an object: %s', async (raw) => {
    client.send(raw);
    expect((await client.nextOfType('error')).data.code).toBe('bad_json');
  });

  it('answers binary_unsupported to a binary frame, even one holding valid JSON', async () => {
    client.ws.send(Buffer.from(JSON.stringify({ type: 'echo', id: 'b', data: 1 })), { binary: true });
    const reply = await client.nextOfType('error');
    expect(reply.data).toEqual({ code: 'binary_unsupported', message: expect.any(String) });
  });

  it('answers invalid with data.errors naming `type` and the request id', async () => {
    const reply = await client.request({ type: 'Not A Type', id: 'req-9' });
    expect(reply.type).toBe('error');
    expect(reply.data.code).toBe('invalid');
    expect(reply.data.errors).toEqual([{ field: 'type', messages: [expect.any(String)] }]);
  });

  it.each([
    ['missing', {}],
    ['a number', { type: 7 }],
    ['65 characters', { type: 'a'.repeat(65) }],
  ])('answers invalid when type is %s', async (_name, frame) => {
    const reply = await client.request({ ...(frame as { type: string }), id: 't' });
    expect(reply.data.code).toBe('invalid');
    expect(reply.data.errors.map((e: { field: string }) => e.field)).toContain('type');
  });

  it('answers invalid for an id over 64 characters (without that id)', async () => {
    client.send({ type: 'echo', id: 'i'.repeat(65), data: 1 });
    const reply = await client.nextOfType('error');
    expect(reply.data.code).toBe('invalid');
    expect(reply.data.errors.map((e: { field: string }) => e.field)).toEqual(['id']);
    expect(reply.id).toBeUndefined();
  });

  it('accepts an id of exactly 64 characters', async () => {
    const id = 'i'.repeat(64);
    expect(await client.request({ type: 'echo', id, data: 1 })).toEqual({ type: 'echo', id, data: 1 });
  });

  it.each([
    ['broadcast without data', { type: 'broadcast' }, 'text'],
    ['broadcast with empty text', { type: 'broadcast', data: { text: '' } }, 'text'],
    ['broadcast with non-string text', { type: 'broadcast', data: { text: 5 } }, 'text'],
    ['direct without to', { type: 'direct', data: { text: 'hi' } }, 'to'],
    ['direct without text', { type: 'direct', data: { to: 'bob' } }, 'text'],
  ])('answers invalid with field errors for %s', async (_name, frame, field) => {
    const reply = await client.request({ ...frame, id: 'v' });
    expect(reply).toMatchObject({ type: 'error', id: 'v', data: { code: 'invalid', message: expect.any(String) } });
    const fields = (reply.data.errors as Array<{ field: string; messages: string[] }>).map((e) => e.field);
    expect(fields.some((f) => f === field || f.endsWith(`.${field}`))).toBe(true);
    expect(reply.data.errors.every((e: { messages: string[] }) => e.messages.length > 0)).toBe(true);
  });

  it('answers unknown_type with the request id for a type no handler takes', async () => {
    const reply = await client.request({ type: 'no.such-type', id: 'u1', data: { x: 1 } });
    expect(reply).toEqual({ type: 'error', id: 'u1', data: { code: 'unknown_type', message: expect.any(String) } });
  });

  it('answers unknown_type for a /notification-only or /demo-only type on the other gateway', async () => {
    const other = await connectUser(h, '/notification', 'alice');
    try {
      const reply = await other.client.request({ type: 'echo', id: 'e', data: 1 });
      expect(reply).toMatchObject({ type: 'error', id: 'e', data: { code: 'unknown_type' } });
      expect((await roundTrip(other.client)).type).toBe('pong');
    } finally {
      await other.client.close();
    }
  });

  it('answers internal, without details, when a handler fails unexpectedly', async () => {
    const broker = h.app.get<Broker>(BROKER);
    const publish = broker.publish;
    broker.publish = async () => {
      throw new Error('secret detail: db password is hunter2');
    };
    try {
      const reply = await client.request({ type: 'broadcast', id: 'boom', data: { text: 'hi' } });
      expect(reply).toMatchObject({ type: 'error', id: 'boom', data: { code: 'internal' } });
      expect(JSON.stringify(reply)).not.toContain('hunter2');
    } finally {
      broker.publish = publish;
    }
  });

  it('handles a frame right under MAX_PAYLOAD_BYTES', async () => {
    const text = 'x'.repeat(900);
    expect(await client.request({ type: 'echo', id: 'big', data: text })).toEqual({ type: 'echo', id: 'big', data: text });
  });

  it('closes 1009 on a frame over MAX_PAYLOAD_BYTES; the instance and other connections carry on', async () => {
    const victim = await openSocket(h, '/demo', await getTicket(h, mintToken('bob')));
    victim.send({ type: 'echo', data: 'x'.repeat(2000) });
    expect((await victim.closed).code).toBe(1009);
    expect((await fetch(`${h.url}/health/live`)).status).toBe(200);
    const fresh = await connectUser(h, '/demo', 'bob');
    expect((await roundTrip(fresh.client)).type).toBe('pong');
    await fresh.client.close();
  });

  it('answers every frame of a burst of mixed garbage, in order', async () => {
    client.send('nope');
    client.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    client.send({ type: 'BAD', id: 'g1' });
    client.send({ type: 'nope', id: 'g2' });
    client.send({ type: 'echo', id: 'g3', data: 'ok' });
    const codes = [];
    for (let i = 0; i < 4; i++) {
      const f = await client.next();
      codes.push(f.data.code);
    }
    expect(codes).toEqual(['bad_json', 'binary_unsupported', 'invalid', 'unknown_type']);
    expect(await client.next()).toEqual({ type: 'echo', id: 'g3', data: 'ok' });
  });
});
