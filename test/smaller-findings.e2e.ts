import { signJwt, nowSec } from './support/e2e.js';
import { connectUser, getTicket, openSocket, postJson, startHerald, type Frame, type Herald } from './support/harness.js';
import { ThrowawayRedis } from './support/redis.js';

/** Issue 11 §6: the smaller findings of the attack run, each against a real Herald. */
describe('smaller findings', () => {
  describe('auth failures do not echo the configuration', () => {
    let h: Herald;
    const ISSUER = 'https://issuer.secret-internal.example';
    const AUDIENCE = 'audience-secret-7f3a';
    beforeAll(async () => {
      h = await startHerald({ JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE });
    });
    afterAll(() => h.close());

    it('answers a wrong aud or iss with a fixed message, over WebSocket and REST', async () => {
      const good = signJwt({ sub: 'amy', iss: ISSUER, aud: AUDIENCE, exp: nowSec() + 600 });
      const replies: Frame[] = [];
      for (const claims of [{ iss: ISSUER, aud: 'other' }, { iss: 'https://other', aud: AUDIENCE }]) {
        const client = await openSocket(h, '/demo', await getTicket(h, good));
        replies.push(await client.request({ type: 'auth', id: 'a', data: { token: signJwt({ sub: 'amy', exp: nowSec() + 600, ...claims }) } }));
        await client.closed;
        const rest = await fetch(`${h.url}/auth/ticket`, { method: 'POST', headers: { authorization: `Bearer ${signJwt({ sub: 'amy', exp: nowSec() + 600, ...claims })}` } });
        expect(rest.status).toBe(401);
        expect(await rest.text()).not.toMatch(/secret/);
      }
      expect(replies.map((r) => r.data)).toEqual([
        { code: 'unauthorized', message: 'invalid token: token audience not accepted' },
        { code: 'unauthorized', message: 'invalid token: token issuer not accepted' },
      ]);
      expect(JSON.stringify(replies)).not.toMatch(/secret/);
    });
  });

  describe('on one instance', () => {
    let h: Herald;
    beforeAll(async () => {
      h = await startHerald({ RATE_LIMIT_PER_SEC: '10' });
    });
    afterAll(() => h.close());

    it('rate-limits protocol pings like messages: the burst is answered, the rest dropped, far over it 4429', async () => {
      const { client } = await connectUser(h, '/demo', 'pinger');
      let pongs = 0;
      client.ws.on('pong', () => pongs++);
      const errors: Frame[] = [];
      client.ws.on('message', (d) => errors.push(JSON.parse(d.toString())));
      for (let i = 0; i < 200; i++) client.ws.ping();
      const { code } = await client.closed;
      expect(code).toBe(4429);
      // burst 20 (minus the auth message), a refill of a few while the pings arrive; never 200
      expect(pongs).toBeGreaterThan(0);
      expect(pongs).toBeLessThanOrEqual(25);
      expect(errors.some((f) => f.type === 'error' && f.data.code === 'rate_limited')).toBe(true);
    });

    it('refuses constructor and __proto__ keys at any depth with the field named, over WebSocket', async () => {
      const { client } = await connectUser(h, '/demo', 'protokeys');
      const frames = [
        '{"type":"echo","id":"1","data":{"constructor":1}}',
        '{"type":"echo","id":"2","data":{"a":[{"b":{"__proto__":{"x":1}}}]}}',
        '{"type":"broadcast","id":"3","data":{"text":"hi","constructor":{"prototype":1}}}',
      ];
      const replies: Frame[] = [];
      for (const [i, raw] of frames.entries()) {
        client.send(raw);
        replies.push(await client.next((f) => f.id === String(i + 1)));
      }
      expect(replies.map((r) => [r.type, r.data.code, r.data.errors?.[0]?.field])).toEqual([
        ['error', 'invalid', 'data.constructor'],
        ['error', 'invalid', 'data.a.0.b.__proto__'],
        ['error', 'invalid', 'data.constructor'],
      ]);
      expect(replies[0].data.errors[0].messages[0]).toMatch(/reserved key/);
      // an ordinary key named like them is data as usual
      expect(await client.request({ type: 'echo', id: '4', data: { constructors: 1, proto: 2 } })).toMatchObject({ data: { constructors: 1, proto: 2 } });
      await client.close();
    });

    it('refuses constructor and __proto__ keys at any depth with the field named, over REST', async () => {
      const bodies = [
        ['{"userIds":["u"],"event":"e","payload":{"constructor":{"a":1}}}', 'payload.constructor'],
        ['{"userIds":["u"],"event":"e","payload":{"deep":{"list":[{"__proto__":{"admin":true}}]}}}', 'payload.deep.list.0.__proto__'],
        ['{"__proto__":{"x":1},"userIds":["u"],"event":"e"}', '__proto__'],
      ];
      for (const [body, field] of bodies) {
        const res = await postJson(h, '/notifications', body);
        expect(res.status).toBe(400);
        expect(res.body.errors).toEqual([{ field, messages: [expect.stringMatching(/reserved key/)] }]);
      }
      expect((await postJson(h, '/notifications', { userIds: ['u'], event: 'e', payload: { constructors: 1 } })).status).toBe(202);
    });
  });

  describe('while Redis hangs', () => {
    let redis: ThrowawayRedis;
    let h: Herald;
    beforeAll(async () => {
      redis = await ThrowawayRedis.start();
      h = await startHerald({ REDIS_URL: redis.url, RATE_LIMIT_PER_SEC: '10' });
    }, 20_000);
    afterAll(async () => {
      redis.pause(false);
      await h.close();
      await redis.stop();
    });

    it('holds at most the burst (2 × RATE_LIMIT_PER_SEC) of messages waiting per connection; more are answered rate_limited', async () => {
      const { client } = await connectUser(h, '/demo', 'queued');
      const seen: Frame[] = [];
      client.ws.on('message', (d) => seen.push(JSON.parse(d.toString())));
      redis.pause(true);
      try {
        // the burst: 19 tokens left after auth, all admitted, all waiting on the hung publish
        for (let i = 0; i < 19; i++) client.send({ type: 'broadcast', id: `b${i}`, data: { text: 'x' } });
        // one more admitted by the bucket after its refill (10/s) fills the queue to 20; the next ones overflow it
        await new Promise((resolve) => setTimeout(resolve, 400)); // the refill: time, not an event
        for (let i = 0; i < 3; i++) client.send({ type: 'echo', id: `e${i}`, data: i });
        const overflow = await client.next((f) => f.type === 'error' && /waiting/.test(f.data.message));
        expect(overflow.data.code).toBe('rate_limited');
        expect(seen.filter((f) => f.type === 'ack')).toEqual([]);
      } finally {
        redis.pause(false);
      }
      await client.close();
    }, 20_000);
  });
});
