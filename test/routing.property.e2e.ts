import fc from 'fast-check';
import { roundTrip } from './support/e2e.js';
import { connectUser, postJson, startHerald, type Frame, type Herald, type TestClient } from './support/harness.js';

/**
 * Property: whatever the users, connections and messages, every connection
 * receives exactly the messages addressed to it (PROTOCOL §4, §5), in order,
 * and nothing else. User ids are chosen to look like Herald's own channel
 * names, prefixes of each other and odd characters.
 */
const USER_IDS = ['alice', 'al', 'bob', 'a:b', 'to:demo:alice', 'n:broadcast', 'gw:demo', 'n:user:bob', 'ü ñ', ' '];

interface Conn {
  userId: string;
  path: '/demo' | '/notification';
  client: TestClient;
  seen: Frame[];
}

const arbitraries = {
  layout: fc.array(fc.record({ userId: fc.constantFrom(...USER_IDS), demo: fc.integer({ min: 0, max: 2 }), notification: fc.integer({ min: 0, max: 2 }) }), {
    minLength: 1,
    maxLength: 5,
  }),
  action: fc.oneof(
    fc.record({ kind: fc.constant('direct' as const), from: fc.nat(), to: fc.constantFrom(...USER_IDS) }),
    fc.record({ kind: fc.constant('broadcast' as const), from: fc.nat() }),
    fc.record({ kind: fc.constant('notify' as const), userIds: fc.array(fc.constantFrom(...USER_IDS), { minLength: 1, maxLength: 4 }) }),
    fc.record({ kind: fc.constant('notifyAll' as const) }),
  ),
};

/** What a connection must have received, as comparable strings. */
const key = (f: Frame) =>
  f.type === 'notification' ? `notification:${f.data.stream}:${f.data.event}:${f.data.payload.tag}` : `${f.type}:${f.data.from}:${f.data.text}`;

describe('routing (property)', () => {
  let h: Herald;
  let run = 0;
  beforeAll(async () => {
    h = await startHerald({ RATE_LIMIT_PER_SEC: '100000', MAX_CONNECTIONS_PER_USER: '100' });
  });
  afterAll(() => h.close());

  it('delivers every message to exactly the connections it is addressed to', async () => {
    await fc.assert(
      fc.asyncProperty(arbitraries.layout, fc.array(arbitraries.action, { minLength: 1, maxLength: 12 }), async (layout, actions) => {
        const tag = `r${++run}`;
        const conns: Conn[] = [];
        try {
          for (const { userId, demo, notification } of layout) {
            for (const [path, n] of [['/demo', demo], ['/notification', notification]] as const) {
              for (let i = 0; i < n; i++) {
                const { client } = await connectUser(h, path, userId);
                const seen: Frame[] = [];
                client.ws.on('message', (d) => seen.push(JSON.parse(d.toString()) as Frame));
                conns.push({ userId, path, client, seen });
              }
            }
          }
          const demoConns = conns.filter((c) => c.path === '/demo');
          const expected = new Map<Conn, string[]>(conns.map((c) => [c, []]));
          const expect_ = (c: Conn, k: string) => expected.get(c)!.push(k);

          for (const [i, action] of actions.entries()) {
            const text = `${tag}-${i}`;
            if (action.kind === 'direct' || action.kind === 'broadcast') {
              if (demoConns.length === 0) continue;
              const sender = demoConns[action.from % demoConns.length];
              const data = action.kind === 'direct' ? { to: action.to, text } : { text };
              const ack = await sender.client.request({ type: action.kind, id: text, data });
              if (ack.type !== 'ack') throw new Error(`no ack: ${JSON.stringify(ack)}`);
              const targets = action.kind === 'direct' ? demoConns.filter((c) => c.userId === action.to) : demoConns;
              for (const c of targets) expect_(c, `${action.kind}:${sender.userId}:${text}`);
            } else {
              const body = action.kind === 'notify' ? { userIds: action.userIds, event: 'route.test', payload: { tag: text } } : { event: 'route.all', payload: { tag: text } };
              const res = await postJson(h, action.kind === 'notify' ? '/notifications' : '/notifications/broadcast', body);
              if (res.status !== 202) throw new Error(`REST ${res.status}: ${res.text}`);
              for (const c of conns.filter((c) => c.path === '/notification')) {
                if (action.kind === 'notifyAll') expect_(c, `notification:broadcast:route.all:${text}`);
                else if (action.userIds.includes(c.userId)) expect_(c, `notification:user:route.test:${text}`);
              }
            }
          }
          // a round trip on each connection: whatever was sent to it before has arrived by then
          await Promise.all(conns.map((c) => roundTrip(c.client)));
          for (const c of conns) {
            const got = c.seen.filter((f) => ['direct', 'broadcast', 'notification'].includes(f.type)).map(key);
            if (JSON.stringify(got) !== JSON.stringify(expected.get(c))) {
              throw new Error(`${c.path} of ${JSON.stringify(c.userId)} got ${JSON.stringify(got)}, expected ${JSON.stringify(expected.get(c))}`);
            }
          }
        } finally {
          await Promise.all(conns.map((c) => c.client.close()));
        }
      }),
      { numRuns: 30, seed: 20261125 },
    );
  }, 60_000);
});
