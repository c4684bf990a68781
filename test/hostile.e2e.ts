import { jest } from '@jest/globals';
import { ConnectionRegistry } from '../src/connections/connection.registry.js';
import { ClientPool, eventually, recordFrames } from './support/e2e.js';
import { getTicket, mintToken, postJson, startHerald, type Frame, type Herald, type TestClient } from './support/harness.js';

// thousands of frames per test: minutes, not seconds, when the 2 cores are shared with other CPU-heavy work
jest.setTimeout(180_000);

/** One hostile frame and what §3 says the sender gets back: an error code, or the reply type. */
interface Case {
  raw: string | Buffer;
  binary?: boolean;
  expect: string;
  /** The id the reply must carry (a valid one was sent). */
  id?: string;
}

/** Deterministic PRNG (mulberry32), so a failure replays. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const json = (v: unknown) => JSON.stringify(v);
const nest = (depth: number, leaf = '1') => '['.repeat(depth) + leaf + ']'.repeat(depth);
const nestObj = (depth: number) => '{"k":'.repeat(depth) + '1' + '}'.repeat(depth);

/** Frames for an authenticated /demo connection; each gets exactly one reply to its sender. */
function corpus(random: () => number): Case[] {
  const cases: Case[] = [];
  const int = (n: number) => Math.floor(random() * n);
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));
  const isObject = (s: string) => {
    try {
      const v = JSON.parse(s);
      return v !== null && typeof v === 'object' && !Array.isArray(v);
    } catch {
      return false;
    }
  };

  // random bytes, as binary frames
  for (let i = 0; i < 600; i++) cases.push({ raw: bytes(1 + int(2000)), binary: true, expect: 'binary_unsupported' });
  // random printable garbage, as text
  for (let i = 0; i < 600; i++) {
    const raw = Array.from({ length: 1 + int(300) }, () => String.fromCharCode(32 + int(95))).join('');
    if (!isObject(raw)) cases.push({ raw, expect: 'bad_json' });
  }
  // truncated JSON: every proper prefix of valid frames is not a JSON object
  const valid = [
    json({ type: 'echo', id: 'x', data: { a: [1, 2, { b: 'c' }], s: 'str"ing' } }),
    json({ type: 'broadcast', data: { text: 'hello' } }),
    json({ type: 'auth', data: { token: 'a.b.c', recover: { user: { offset: 1, epoch: 'e' } } } }),
  ];
  for (let i = 0; i < 500; i++) {
    const v = valid[i % valid.length];
    cases.push({ raw: v.slice(0, int(v.length - 1) + 1), expect: 'bad_json' });
  }
  // JSON that is not an object
  for (const raw of ['[]', '[{"type":"echo"}]', '"echo"', '0', '-1e999', 'null', 'true', '""', nest(20000)]) cases.push({ raw, expect: 'bad_json' });

  // deep nesting: bounded, answered invalid, never a stack overflow
  for (let i = 0; i < 100; i++) {
    const depth = 65 + int(30000);
    cases.push({ raw: `{"type":"echo","id":"deep${i}","data":${i % 2 ? nest(depth) : nestObj(Math.min(depth, 10000))}}`, expect: 'invalid', id: `deep${i}` });
  }
  cases.push({ raw: `{"type":"echo","id":"d64","data":${nest(63)}}`, expect: 'echo', id: 'd64' });
  cases.push({ raw: `{"type":"broadcast","id":"deepb","data":{"text":"x","n":${nest(5000)}}}`, expect: 'invalid', id: 'deepb' });
  cases.push({ raw: `{"type":"auth","id":"deepa","data":{"token":"x","recover":${nestObj(3000)}}}`, expect: 'invalid', id: 'deepa' });

  // huge numbers and strings
  const huge = ['1e308', '-1e999', '1e999', '9'.repeat(400), '-0', '1e-400', '123456789012345678901234567890'];
  for (const n of huge) {
    cases.push({ raw: `{"type":"echo","id":"n","data":${n}}`, expect: 'echo', id: 'n' });
    cases.push({ raw: `{"type":${n},"id":"t"}`, expect: 'invalid', id: 't' });
    cases.push({ raw: `{"type":"echo","id":${n}}`, expect: 'invalid' });
    cases.push({ raw: `{"type":"direct","id":"dn","data":{"to":${n},"text":"x"}}`, expect: 'invalid', id: 'dn' });
    cases.push({ raw: `{"type":"auth","id":"an","data":{"token":${n}}}`, expect: 'unauthorized', id: 'an' });
  }
  cases.push({ raw: json({ type: 'echo', id: 'big', data: 'x'.repeat(60_000) }), expect: 'echo', id: 'big' });
  cases.push({ raw: json({ type: 'x'.repeat(65), id: 'long' }), expect: 'invalid', id: 'long' });
  cases.push({ raw: json({ type: 'echo', id: 'x'.repeat(65) }), expect: 'invalid' });
  cases.push({ raw: json({ type: 'broadcast', id: 'bt', data: { text: 'x'.repeat(4097) } }), expect: 'invalid', id: 'bt' });
  cases.push({ raw: json({ type: 'direct', id: 'dt', data: { to: 'x'.repeat(257), text: 'x' } }), expect: 'invalid', id: 'dt' });
  cases.push({ raw: json({ type: 'auth', id: 'at', data: { token: 'x'.repeat(20_000) } }), expect: 'unauthorized', id: 'at' });

  // prototype keys: never pollute, never reach a handler as something else
  const protoCases: Array<[string, string]> = [
    ['{"__proto__":{"type":"echo"},"id":"p1"}', 'invalid'],
    ['{"constructor":{"prototype":{"type":"echo"}},"id":"p2"}', 'invalid'],
    ['{"type":"__proto__","id":"p3"}', 'unknown_type'],
    ['{"type":"constructor","id":"p4"}', 'unknown_type'],
    ['{"type":"hasownproperty","id":"p5"}', 'unknown_type'],
    ['{"type":"echo","id":"p6","data":{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}}', 'invalid'], // reserved keys are refused, never dropped (issue 11 §6)
    ['{"type":"broadcast","id":"p7","data":{"__proto__":{"text":"smuggled"}}}', 'invalid'],
    ['{"type":"direct","id":"p8","data":{"__proto__":{"to":"alice","text":"smuggled"}}}', 'invalid'],
    ['{"type":"direct","id":"p9","data":{"to":"x","constructor":{"prototype":{"text":"y"}}}}', 'invalid'],
    ['{"type":"auth","id":"p10","data":{"__proto__":{"token":"a.b.c"}}}', 'invalid'],
    ['{"type":"auth","id":"p11","data":{"token":"a.b.c","recover":{"__proto__":{"user":{"offset":1,"epoch":"e"}}}}}', 'invalid'],
    ['{"type":"echo","__proto__":{"id":"smuggled"}}', 'echo'],
  ];
  for (let i = 0; i < 20; i++) for (const [raw, expect] of protoCases) cases.push({ raw, expect, id: /"id":"(p\d+)"/.exec(raw)?.[1] });

  // wrong types in every field
  const wrong = [1, -1, 0.5, true, false, null, [], [1], {}, { a: 1 }, '', ' ', 'UPPER', 'a b', '\u0000', 'é'];
  for (const v of wrong) {
    cases.push({ raw: json({ type: v, id: 'wt' }), expect: 'invalid', id: 'wt' });
    if (v !== null) cases.push({ raw: json({ type: 'ping', id: v }), expect: typeof v === 'string' ? 'pong' : 'invalid', id: typeof v === 'string' ? v : undefined });
    cases.push({ raw: json({ type: 'echo', id: 'wd', data: v }), expect: 'echo', id: 'wd' });
    cases.push({ raw: json({ type: 'broadcast', id: 'wb', data: v }), expect: 'invalid', id: 'wb' });
    cases.push({ raw: json({ type: 'broadcast', id: 'wbt', data: { text: v } }), expect: typeof v === 'string' && v.length > 0 ? 'invalid-or-ack' : 'invalid', id: 'wbt' });
    // any non-empty string is a user id; a direct to nobody is still accepted
    cases.push({ raw: json({ type: 'direct', id: 'wdt', data: { to: v, text: 'x' } }), expect: typeof v === 'string' && v.length > 0 ? 'ack' : 'invalid', id: 'wdt' });
    cases.push({ raw: json({ type: 'direct', id: 'wdx', data: { to: 'nobody-here', text: typeof v === 'string' ? 1 : v } }), expect: 'invalid', id: 'wdx' });
    cases.push({ raw: json({ type: 'auth', id: 'wa', data: { token: v } }), expect: 'unauthorized', id: 'wa' });
    cases.push({ raw: json({ type: 'auth', id: 'wr', data: { token: 'a.b.c', recover: v } }), expect: 'unauthorized', id: 'wr' });
    cases.push({ raw: json({ type: 'auth', id: 'wu', data: v }), expect: 'unauthorized', id: 'wu' });
  }
  // strings that are valid `text` make a real broadcast (ack + fan-out); keep the corpus to one reply per frame
  return cases.filter((c) => c.expect !== 'invalid-or-ack');
}

const outcome = (f: Frame) => (f.type === 'error' ? f.data.code : f.type);

/** PROTOCOL §3/§7 under attack: every bad frame answered, nobody else disturbed, memory bounded. */
describe('hostile input', () => {
  let h: Herald;
  beforeAll(async () => {
    h = await startHerald({ RATE_LIMIT_PER_SEC: '1000000' });
  });
  const clients = new ClientPool();
  afterEach(() => clients.closeAll());
  afterAll(() => h.close());

  /** Sends every case on `client` and returns the replies, in order (the adapter answers each frame in turn). */
  async function fire(client: TestClient, cases: Case[]): Promise<Frame[]> {
    const seen = recordFrames(client);
    for (const c of cases) client.ws.send(c.raw, { binary: c.binary ?? false });
    await eventually(() => expect(seen.filter((f) => f.type !== 'broadcast').length).toBeGreaterThanOrEqual(cases.length), 60_000);
    return seen.filter((f) => f.type !== 'broadcast');
  }

  it('answers thousands of malformed frames each as §3 says; the instance stays up, others keep receiving, memory stays bounded', async () => {
    const cases = corpus(rng(20261125));
    expect(cases.length).toBeGreaterThan(2000);

    const observer = await clients.connect(h, '/demo', 'observer');
    const notified = await clients.connect(h, '/notification', 'observer');
    const attacker = await clients.connect(h, '/demo', 'attacker');
    const heapBefore = process.memoryUsage().heapUsed;

    // live traffic all along: broadcasts from a sender and REST notifications
    const sender = await clients.connect(h, '/demo', 'sender');
    let broadcasts = 0;
    let notifications = 0;
    let stop = false;
    // stops with the attack, or at its own deadline, or at its first failure: it never outlives the test
    const deadline = Date.now() + 60_000;
    const traffic = (async () => {
      while (!stop && Date.now() < deadline) {
        await sender.client.request({ type: 'broadcast', id: `b${broadcasts}`, data: { text: `live ${broadcasts}` } });
        broadcasts++;
        expect((await postJson(h, '/notifications', { userIds: ['observer'], event: 'live.tick', payload: { n: notifications } })).status).toBe(202);
        notifications++;
      }
    })();
    traffic.catch(() => undefined);

    let replies: Frame[];
    try {
      replies = await fire(attacker.client, cases);
    } finally {
      stop = true;
    }
    await traffic;

    expect(replies).toHaveLength(cases.length);
    const mismatches = cases
      .map((c, i) => ({ i, raw: String(c.raw).slice(0, 80), want: c.expect, got: outcome(replies[i]), id: replies[i].id, wantId: c.id }))
      .filter((m) => m.want !== m.got || (m.wantId !== undefined && m.id !== m.wantId));
    expect(mismatches).toEqual([]);
    // invalid answers name what failed, field by field
    expect(replies.filter((f) => f.data?.code === 'invalid').every((f) => Array.isArray(f.data.errors) && f.data.errors.length > 0)).toBe(true);
    // internal errors would mean something threw that should have been a validation answer
    expect(replies.filter((f) => f.data?.code === 'internal')).toEqual([]);

    // nothing leaked into Object.prototype
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.keys(Object.prototype)).toEqual([]);

    // the others received every live message, in order
    await eventually(() => expect(observer.client.frames.filter((f) => f.type === 'broadcast')).toHaveLength(broadcasts));
    expect(observer.client.frames.filter((f) => f.type === 'broadcast').map((f) => f.data.text)).toEqual(
      Array.from({ length: broadcasts }, (_, i) => `live ${i}`),
    );
    await eventually(() => expect(notified.client.frames.filter((f) => f.type === 'notification')).toHaveLength(notifications));
    expect(notified.client.frames.map((f) => f.data.payload.n)).toEqual(Array.from({ length: notifications }, (_, i) => i));
    expect(broadcasts).toBeGreaterThan(0);

    // the attacker is still connected and served
    expect((await attacker.client.request({ type: 'ping', id: 'still-here' })).type).toBe('pong');

    await Promise.all([observer, notified, attacker, sender].map(({ client }) => client.close()));
    await eventually(() => expect(h.app.get(ConnectionRegistry).size).toBe(0));
    (globalThis as { gc?: () => void }).gc?.();
    const grown = process.memoryUsage().heapUsed - heapBefore;
    // generous: the corpus itself is a few MB; a leak of per-frame state would be far more
    expect(grown).toBeLessThan(96 * 1024 * 1024);
  });

  it('answers an unauthenticated connection: malformed frames as such, everything else unauthenticated', async () => {
    const client = await clients.openSocket(h, '/notification', await getTicket(h, mintToken('anon')));
    const cases: Case[] = [];
    for (let i = 0; i < 200; i++) {
      cases.push({ raw: json({ type: ['ping', 'echo', 'broadcast', 'subscribe', '__proto__'][i % 5], id: `u${i}`, data: { text: 'x' } }), expect: 'unauthenticated', id: `u${i}` });
      cases.push({ raw: '{"type":', expect: 'bad_json' });
      cases.push({ raw: json({ type: 42, id: `v${i}` }), expect: 'invalid', id: `v${i}` });
      cases.push({ raw: Buffer.from([0xde, 0xad, 0xbe, 0xef]), binary: true, expect: 'binary_unsupported' });
    }
    const replies = await fire(client, cases);
    expect(replies.map(outcome)).toEqual(cases.map((c) => c.expect));
    expect(replies.map((f) => f.id)).toEqual(cases.map((c) => c.id));
    await client.close();
  });

  it('survives floods of garbage across many connections, answering every frame on each', async () => {
    const users = Array.from({ length: 10 }, (_, i) => `flood${i}`);
    const conns = await Promise.all(users.flatMap((u) => [clients.connect(h, '/demo', u), clients.connect(h, '/notification', u)]));
    const watcher = await clients.connect(h, '/demo', 'watcher');
    const perConnection = 250;
    const random = rng(7);
    const garbage = (): Case => {
      switch (Math.floor(random() * 4)) {
        case 0:
          return { raw: Buffer.from(Array.from({ length: 64 }, () => Math.floor(random() * 256))), binary: true, expect: 'binary_unsupported' };
        case 1:
          return { raw: '{"type":"echo","data":[[[[', expect: 'bad_json' };
        case 2:
          return { raw: json({ type: 'nope', id: 'n' }), expect: 'unknown_type', id: 'n' };
        default:
          return { raw: json({ type: 'ping', id: 'p' }), expect: 'pong', id: 'p' };
      }
    };
    const floods = conns.map(({ client }) => {
      const cases = Array.from({ length: perConnection }, garbage);
      return fire(client, cases).then((replies) => ({ cases, replies }));
    });
    const { client: talker } = await clients.connect(h, '/demo', 'talker');
    for (let i = 0; i < 50; i++) talker.send({ type: 'broadcast', data: { text: `t${i}` } });
    for (const { cases, replies } of await Promise.all(floods)) {
      expect(replies.map(outcome)).toEqual(cases.map((c) => c.expect));
    }
    await eventually(() => expect(watcher.client.frames.filter((f) => f.type === 'broadcast')).toHaveLength(50));
    expect((await fetch(`${h.url}/health/live`)).status).toBe(200);
    await Promise.all([...conns, watcher].map(({ client }) => client.close()).concat(talker.close()));
  });

  it('closes 1007 on invalid UTF-8 and 1009 on an oversize frame, on each of many connections, and carries on', async () => {
    const { client: bystander } = await clients.connect(h, '/demo', 'bystander');
    const victims = await Promise.all(Array.from({ length: 20 }, (_, i) => clients.connect(h, '/demo', `bad${i}`)));
    victims.forEach(({ client }, i) => {
      if (i % 2) client.ws.send(Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0xff, 0xfe, 0x22, 0x7d]), { binary: false });
      else client.ws.send('x'.repeat(65_537));
    });
    const codes = await Promise.all(victims.map(({ client }) => client.closed.then((c) => c.code)));
    expect(codes).toEqual(victims.map((_, i) => (i % 2 ? 1007 : 1009)));
    expect(await bystander.request({ type: 'echo', id: 'ok', data: 'fine' })).toEqual({ type: 'echo', id: 'ok', data: 'fine' });
    await bystander.close();
  });
});
