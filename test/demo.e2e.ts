import { ClientPool, nothingMore } from './support/e2e.js';
import { connectUser, getTicket, mintToken, openSocket, startHerald, type Herald } from './support/harness.js';

/** PROTOCOL §4: the /demo gateway. */
describe('/demo', () => {
  let h: Herald;
  const clients = new ClientPool();
  const connect = async (user: string, path: '/demo' | '/notification' = '/demo') => {
    const { client } = await connectUser(h, path, user);
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    h = await startHerald();
  });
  afterEach(async () => {
    await clients.closeAll();
  });
  afterAll(() => h.close());

  describe('echo', () => {
    it.each([
      ['an object', { a: 1, b: [true, null, 'x'] }],
      ['a string', 'hello'],
      ['a number', 3.5],
      ['null', null],
      ['an array', [1, 2, 3]],
    ])('sends back %s with the request id', async (_name, data) => {
      const alice = await connect('alice');
      expect(await alice.request({ type: 'echo', id: 'e-1', data })).toEqual({ type: 'echo', id: 'e-1', data });
    });

    it('answers without id when none was given, and only to the sender', async () => {
      const alice = await connect('alice');
      const other = await connect('alice');
      alice.send({ type: 'echo', data: 'x' });
      expect(await alice.nextOfType('echo')).toEqual({ type: 'echo', data: 'x' });
      await nothingMore(alice, other);
    });

    it('answers with no data when none was given', async () => {
      const alice = await connect('alice');
      expect(await alice.request({ type: 'echo', id: 'n' })).toEqual({ type: 'echo', id: 'n' });
    });
  });

  describe('broadcast', () => {
    it('reaches every authenticated /demo connection, the sender included, without the id', async () => {
      const alice = await connect('alice');
      const bob = await connect('bob');
      const bob2 = await connect('bob');
      const ack = await alice.request({ type: 'broadcast', id: 'b-1', data: { text: 'hi all' } });
      expect(ack).toEqual({ type: 'ack', id: 'b-1' });
      for (const c of [alice, bob, bob2]) {
        expect(await c.nextOfType('broadcast')).toEqual({ type: 'broadcast', data: { from: 'alice', text: 'hi all' } });
      }
      await nothingMore(alice, bob, bob2);
    });

    it('does not reach unauthenticated /demo connections nor /notification ones', async () => {
      const alice = await connect('alice');
      const pending = await openSocket(h, '/demo', await getTicket(h, mintToken('carol')));
      clients.push(pending);
      const notif = await connect('bob', '/notification');
      alice.send({ type: 'broadcast', data: { text: 'only demo' } });
      expect((await alice.nextOfType('broadcast')).data.text).toBe('only demo');
      await nothingMore(notif);
      // the pending socket got nothing: after auth, the pong is its first frame after auth_ok
      const token = mintToken('carol');
      expect((await pending.request({ type: 'auth', id: 'a', data: { token } })).type).toBe('auth_ok');
      await nothingMore(pending);
    });

    it('sends no ack without an id', async () => {
      const alice = await connect('alice');
      alice.send({ type: 'broadcast', data: { text: 'no ack' } });
      expect(await alice.nextOfType('broadcast')).toEqual({ type: 'broadcast', data: { from: 'alice', text: 'no ack' } });
      await nothingMore(alice);
    });

    it('keeps the order of one sender\'s messages', async () => {
      const alice = await connect('alice');
      const bob = await connect('bob');
      for (let i = 0; i < 20; i++) alice.send({ type: 'broadcast', data: { text: `m${i}` } });
      const texts = [];
      for (let i = 0; i < 20; i++) texts.push((await bob.nextOfType('broadcast')).data.text);
      expect(texts).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`));
    });
  });

  describe('direct', () => {
    it('reaches every /demo connection of the target only, with an ack for the sender', async () => {
      const alice = await connect('alice');
      const bob1 = await connect('bob');
      const bob2 = await connect('bob');
      const carol = await connect('carol');
      const bobNotif = await connect('bob', '/notification');
      const ack = await alice.request({ type: 'direct', id: 'd-1', data: { to: 'bob', text: 'psst' } });
      expect(ack).toEqual({ type: 'ack', id: 'd-1' });
      for (const c of [bob1, bob2]) {
        expect(await c.nextOfType('direct')).toEqual({ type: 'direct', data: { from: 'alice', text: 'psst' } });
      }
      await nothingMore(alice, bob1, bob2, carol, bobNotif);
    });

    it('to oneself reaches all of one\'s own connections, the sender\'s included', async () => {
      const a1 = await connect('alice');
      const a2 = await connect('alice');
      expect(await a1.request({ type: 'direct', id: 's', data: { to: 'alice', text: 'note to self' } })).toEqual({ type: 'ack', id: 's' });
      for (const c of [a1, a2]) {
        expect(await c.nextOfType('direct')).toEqual({ type: 'direct', data: { from: 'alice', text: 'note to self' } });
      }
      await nothingMore(a1, a2);
    });

    it('to a user who is offline is acked and goes nowhere', async () => {
      const alice = await connect('alice');
      expect(await alice.request({ type: 'direct', id: 'o', data: { to: 'nobody', text: 'hello?' } })).toEqual({ type: 'ack', id: 'o' });
      await nothingMore(alice);
    });

    it('sends no ack without an id', async () => {
      const alice = await connect('alice');
      const bob = await connect('bob');
      alice.send({ type: 'direct', data: { to: 'bob', text: 'x' } });
      expect((await bob.nextOfType('direct')).data).toEqual({ from: 'alice', text: 'x' });
      await nothingMore(alice);
    });
  });

  describe('text length 1..4096', () => {
    it.each(['broadcast', 'direct'])('%s accepts 1 and 4096 characters', async (type) => {
      const alice = await connect('alice');
      for (const text of ['x', 'y'.repeat(4096)]) {
        const ack = await alice.request({ type, id: 'ok', data: { to: 'alice', text } });
        expect(ack).toEqual({ type: 'ack', id: 'ok' });
        expect((await alice.nextOfType(type)).data.text).toBe(text);
      }
    });

    it.each(['broadcast', 'direct'])('%s refuses 0 and 4097 characters with invalid and delivers nothing', async (type) => {
      const alice = await connect('alice');
      for (const text of ['', 'z'.repeat(4097)]) {
        const reply = await alice.request({ type, id: 'bad', data: { to: 'alice', text } });
        expect(reply).toMatchObject({ type: 'error', id: 'bad', data: { code: 'invalid' } });
        expect(reply.data.errors.map((e: { field: string }) => e.field)).toContain('text');
      }
      await nothingMore(alice);
    });

    it('counts characters, not bytes', async () => {
      const alice = await connect('alice');
      const text = '✓'.repeat(4096); // 12288 bytes in UTF-8
      expect(await alice.request({ type: 'broadcast', id: 'u', data: { text } })).toEqual({ type: 'ack', id: 'u' });
      expect((await alice.nextOfType('broadcast')).data.text).toBe(text);
    });
  });

  describe('ping', () => {
    it('answers pong, with the id when given', async () => {
      const alice = await connect('alice');
      expect(await alice.request({ type: 'ping', id: 'p1' })).toEqual({ type: 'pong', id: 'p1' });
      alice.send({ type: 'ping' });
      expect(await alice.next()).toEqual({ type: 'pong' });
    });

    it('answers pong on /notification too', async () => {
      const bob = await connect('bob', '/notification');
      expect(await bob.request({ type: 'ping', id: 'p2' })).toEqual({ type: 'pong', id: 'p2' });
    });
  });
});
