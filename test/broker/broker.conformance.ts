import { DuplicatePublicationError, type Broker, type Publication } from '../../src/broker/broker.js';
import type { PresenceManager } from '../../src/presence/presence.js';
import { recoverStream } from '../../src/streams/recovery.js';

/** One instance of a backend under test: a broker and its presence manager. */
interface BackendInstance {
  broker: Broker;
  presence: PresenceManager;
}

/** A fresh, empty backend (its own key space); `instance()` adds an instance to it. */
interface Backend {
  instance(): Promise<BackendInstance>;
  close(): Promise<void>;
}

export interface ConformanceTarget {
  name: string;
  backend(options: { historySize: number; historyTtlMs: number }): Promise<Backend>;
  /** Instances of one backend are separate (a cluster: Redis); false when there is only one (memory). */
  cluster: boolean;
}

/** Records what a broker's handler receives; `until` resolves once a condition holds. */
function watch(broker: Broker) {
  const got: Publication[] = [];
  const resyncs: string[][] = [];
  const waiters: Array<() => void> = [];
  const wake = () => waiters.splice(0).forEach((w) => w());
  broker.onPublication((pub) => {
    got.push(pub);
    wake();
  });
  broker.onResync((streams) => {
    resyncs.push([...streams]);
    wake();
  });
  const until = (check: () => boolean, what: string, timeoutMs = 5000) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(got.map((p) => [p.stream, p.offset]))}`)), timeoutMs);
      const poll = () => (check() ? (clearTimeout(timer), resolve()) : waiters.push(poll));
      poll();
    });
  const of = (stream: string) => got.filter((p) => p.stream === stream);
  return { got, resyncs, until, of };
}

/** Lets in-flight deliveries land: a round trip through the backend (a publish to a stream we hold) and back. */
async function settle(broker: Broker, w: ReturnType<typeof watch>): Promise<void> {
  const marker = `settle:${Math.random().toString(36).slice(2)}`;
  await broker.subscribe(marker);
  await broker.publish([marker], '"settle"', { history: false });
  await w.until(() => w.of(marker).length > 0, 'the settle marker');
  await broker.unsubscribe(marker);
}

/**
 * The Broker and PresenceManager contract of src/broker/broker.ts, run
 * against every implementation (as centrifuge runs one suite against its
 * memory and Redis engines).
 */
export function brokerConformance(target: ConformanceTarget): void {
  describe(`Broker contract: ${target.name}`, () => {
    let backend: Backend;
    let one: BackendInstance;
    let n = 0;
    /** A stream name no other test uses, with characters a name may hold. */
    const stream = (what: string) => `t:${what}:${++n}:ü ∕|*`;

    beforeEach(async () => {
      backend = await target.backend({ historySize: 5, historyTtlMs: 60_000 });
      one = await backend.instance();
    });
    afterEach(async () => {
      await backend.close();
    });

    it('numbers a stream 1, 2, 3… in one epoch and answers each position', async () => {
      const s = stream('numbers');
      const positions = [];
      for (let i = 0; i < 3; i++) positions.push((await one.broker.publish([s], `{"i":${i}}`, { history: true }))[0]);
      expect(positions.map((p) => p.offset)).toEqual([1, 2, 3]);
      expect(new Set(positions.map((p) => p.epoch)).size).toBe(1);
      expect(positions[0].epoch).not.toBe('');
      expect((await one.broker.history(s)).position).toEqual(positions[2]);
    });

    it('publishes one publication to many streams: each its own next offset, positions in the order asked', async () => {
      const [a, b, c] = [stream('a'), stream('b'), stream('c')];
      await one.broker.publish([b], '"b1"', { history: true });
      await one.broker.publish([b], '"b2"', { history: true });
      const w = watch(one.broker);
      for (const s of [a, b, c]) await one.broker.subscribe(s);
      const positions = await one.broker.publish([a, b, c], '{"same":true}', { history: true });
      expect(positions.map((p) => p.offset)).toEqual([1, 3, 1]);
      await w.until(() => w.got.length >= 3, 'three deliveries');
      const byStream = new Map(w.got.map((p) => [p.stream, p]));
      expect(byStream.get(a)).toEqual({ stream: a, data: '{"same":true}', offset: 1, epoch: positions[0].epoch });
      expect(byStream.get(b)).toEqual({ stream: b, data: '{"same":true}', offset: 3, epoch: positions[1].epoch });
      expect(byStream.get(c)?.offset).toBe(1);
      for (const [i, s] of [a, b, c].entries()) {
        const h = await one.broker.history(s, { since: positions[i].offset - 1 });
        expect(h.publications.map((p) => p.data)).toEqual(['{"same":true}']);
      }
    });

    it('delivers only the streams this instance subscribed to, and stops after unsubscribe', async () => {
      const [held, other] = [stream('held'), stream('other')];
      const w = watch(one.broker);
      await one.broker.subscribe(held);
      await one.broker.subscribe(held); // a no-op, not a second delivery
      await one.broker.publish([held, other], '"x"', { history: true });
      await w.until(() => w.of(held).length === 1, 'the held stream');
      await one.broker.unsubscribe(held);
      await one.broker.publish([held], '"after"', { history: true });
      await settle(one.broker, w);
      expect(w.of(held).map((p) => p.data)).toEqual(['"x"']);
      expect(w.of(other)).toEqual([]);
    });

    it('delivers concurrent publications of a stream once each, in offset order, gap-free', async () => {
      const s = stream('order');
      const w = watch(one.broker);
      await one.broker.subscribe(s);
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => one.broker.publish([s], `${i}`, { history: true })));
      expect(results.map(([p]) => p.offset).sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      await w.until(() => w.of(s).length >= 50, '50 deliveries');
      await settle(one.broker, w);
      expect(w.of(s).map((p) => p.offset)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    });

    it('publishes without history as a plain fan-out: offset 0, epoch empty, nothing kept', async () => {
      const s = stream('plain');
      const w = watch(one.broker);
      await one.broker.subscribe(s);
      expect(await one.broker.publish([s], '{"type":"broadcast"}', { history: false })).toEqual([{ offset: 0, epoch: '' }]);
      await w.until(() => w.of(s).length === 1, 'the fan-out');
      expect(w.of(s)[0]).toEqual({ stream: s, data: '{"type":"broadcast"}', offset: 0, epoch: '' });
      const h = await one.broker.history(s, { since: 0 });
      expect(h.position.offset).toBe(0);
      expect(h.publications).toEqual([]);
    });

    it('fixes the epoch of a never-published stream when read, so offset 0 recovers after the first publication', async () => {
      const s = stream('fresh');
      const before = await one.broker.history(s, { since: 0 });
      expect(before).toEqual({ position: { offset: 0, epoch: expect.any(String) }, publications: [] });
      expect(before.position.epoch).not.toBe('');
      const [pos] = await one.broker.publish([s], '{"n":1}', { history: true });
      expect(pos).toEqual({ offset: 1, epoch: before.position.epoch });
      const after = await one.broker.history(s, { since: 0 });
      expect(recoverStream({ offset: 0, epoch: before.position.epoch }, after)).toEqual({
        recovered: true,
        publications: [{ stream: s, data: '{"n":1}', offset: 1, epoch: before.position.epoch }],
      });
    });

    it('reads history after `since`, oldest first, at most `limit`; only the position without `since`', async () => {
      const s = stream('history');
      for (let i = 1; i <= 4; i++) await one.broker.publish([s], `"${i}"`, { history: true });
      const all = await one.broker.history(s, { since: 0 });
      expect(all.publications.map((p) => [p.offset, p.data])).toEqual([[1, '"1"'], [2, '"2"'], [3, '"3"'], [4, '"4"']]);
      expect((await one.broker.history(s, { since: 1, limit: 2 })).publications.map((p) => p.offset)).toEqual([2, 3]);
      expect((await one.broker.history(s, { since: 4 })).publications).toEqual([]);
      expect(await one.broker.history(s)).toEqual({ position: all.position, publications: [] });
    });

    it('keeps the last HISTORY_SIZE publications and keeps counting', async () => {
      const s = stream('trim');
      for (let i = 1; i <= 8; i++) await one.broker.publish([s], `"${i}"`, { history: true });
      const h = await one.broker.history(s, { since: 0 });
      expect(h.position.offset).toBe(8);
      expect(h.publications.map((p) => p.offset)).toEqual([4, 5, 6, 7, 8]);
      expect(recoverStream({ offset: 2, epoch: h.position.epoch }, h).recovered).toBe(false);
    });

    it('claims an idempotency key with the publish: a second publish with it publishes nothing and names the first id', async () => {
      const s = stream('idem');
      const w = watch(one.broker);
      await one.broker.subscribe(s);
      const key = `idem:test:${n}`;
      await one.broker.publish([s], '"first"', { history: true, idempotency: { key, id: 'id-1', ttlMs: 60_000 } });
      const again = one.broker.publish([s], '"second"', { history: true, idempotency: { key, id: 'id-2', ttlMs: 60_000 } });
      await expect(again).rejects.toBeInstanceOf(DuplicatePublicationError);
      await expect(again).rejects.toMatchObject({ id: 'id-1' });
      await settle(one.broker, w);
      expect(w.of(s).map((p) => p.data)).toEqual(['"first"']);
      expect((await one.broker.history(s)).position.offset).toBe(1);
      await one.broker.publish([s], '"other key"', { history: true, idempotency: { key: `${key}:b`, id: 'id-3', ttlMs: 60_000 } });
      expect((await one.broker.history(s)).position.offset).toBe(2);
    });

    it('counts user presence by connection', async () => {
      const user = `u-${n++}`;
      await one.presence.add(user, 'c1');
      await one.presence.add(user, 'c2');
      await one.presence.add(user, 'c2');
      expect(await one.presence.count(user)).toBe(2);
      await one.presence.remove(user, 'c1');
      expect(await one.presence.count(user)).toBe(1);
      await one.presence.remove(user, 'c2');
      expect(await one.presence.count(user)).toBe(0);
    });

    it('counts channel presence: subscribers by connection, distinct users capped, idempotent join and leave', async () => {
      const channel = `doc:${n++}`;
      await one.presence.join(channel, 'alice', 'a1');
      await one.presence.join(channel, 'alice', 'a2');
      await one.presence.join(channel, 'bob', 'b1');
      await one.presence.join(channel, 'bob', 'b1');
      const p = await one.presence.channel(channel, 1000);
      expect(p.subscribers).toBe(3);
      expect([...p.users].sort()).toEqual(['alice', 'bob']);
      const capped = await one.presence.channel(channel, 1);
      expect(capped.subscribers).toBe(3);
      expect(capped.users).toHaveLength(1);
      await one.presence.leave(channel, 'alice', 'a1');
      await one.presence.leave(channel, 'alice', 'a1');
      await one.presence.leave(channel, 'bob', 'b1');
      expect(await one.presence.channel(channel, 1000)).toEqual({ subscribers: 1, users: ['alice'] });
      expect(await one.presence.channel(`${channel}:none`, 1000)).toEqual({ subscribers: 0, users: [] });
      // a channel's presence is not a user's
      expect(await one.presence.count('alice')).toBe(0);
    });

    if (target.cluster) {
      describe('across instances', () => {
        it('routes by interest: an instance gets a stream only while it holds it, whoever publishes', async () => {
          const two = await backend.instance();
          const s = stream('cluster');
          const w1 = watch(one.broker);
          const w2 = watch(two.broker);
          await two.broker.subscribe(s);
          const [pos] = await one.broker.publish([s], '"a"', { history: true });
          await w2.until(() => w2.of(s).length === 1, 'the subscribed instance');
          expect(w2.of(s)[0]).toEqual({ stream: s, data: '"a"', offset: 1, epoch: pos.epoch });
          await settle(one.broker, w1);
          expect(w1.of(s)).toEqual([]);
        });

        it('gives concurrent publishers on two instances distinct, gap-free offsets, seen in one order by every subscriber', async () => {
          const [two, three] = [await backend.instance(), await backend.instance()];
          const s = stream('concurrent');
          const watchers = [one, two, three].map((i) => watch(i.broker));
          for (const i of [one, two, three]) await i.broker.subscribe(s);
          await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 ? one : two).broker.publish([s], `${i}`, { history: true })));
          for (const w of watchers) {
            await w.until(() => w.of(s).length >= 100, '100 deliveries');
            expect(w.of(s).map((p) => p.offset)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
          }
        });

        it('holds an idempotency key across instances', async () => {
          const two = await backend.instance();
          const s = stream('idem-cluster');
          const key = `idem:cluster:${n}`;
          await one.broker.publish([s], '"1"', { history: true, idempotency: { key, id: 'first', ttlMs: 60_000 } });
          await expect(two.broker.publish([s], '"2"', { history: true, idempotency: { key, id: 'second', ttlMs: 60_000 } })).rejects.toMatchObject({ id: 'first' });
        });

        it('counts channel presence across instances', async () => {
          const two = await backend.instance();
          const channel = `team:${n++}`;
          await one.presence.join(channel, 'alice', 'a1');
          await two.presence.join(channel, 'bob', 'b1');
          for (const i of [one, two]) {
            const p = await i.presence.channel(channel, 1000);
            expect(p.subscribers).toBe(2);
            expect([...p.users].sort()).toEqual(['alice', 'bob']);
          }
        });
      });
    }
  });
}
