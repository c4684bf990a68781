import { randomUUID } from 'node:crypto';
import { MemoryBroker } from '../broker/memory.broker.js';
import type { Connection } from '../connections/connection.js';
import type { ConnectionLifecycle } from '../connections/connection-lifecycle.service.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { MemoryPresence } from '../presence/memory.presence.js';
import { CloseCode } from '../protocol/envelope.js';
import { BROADCAST_STREAM, streamName } from './stream-names.js';
import { StreamDispatcher } from './stream-dispatcher.service.js';
import { StreamSubscriptions } from './stream-subscriptions.service.js';
import type { Subscription } from './subscription.js';

/** What the streams layer uses of a socket, recording what it is sent. */
class FakeConnection {
  readonly id = randomUUID();
  readonly path = '/notification';
  attachment: object | null = null;
  closedWith?: number;
  readonly frames: Array<{ type: string; data: Record<string, unknown> }> = [];
  batches = 0;
  private waiters: Array<() => void> = [];

  constructor(readonly userId = 'u1') {}

  send(payload: Buffer): boolean {
    this.frames.push(JSON.parse(payload.toString()));
    this.waiters.splice(0).forEach((w) => w());
    return true;
  }

  sendBatch(payloads: Buffer[]): boolean {
    this.batches++;
    for (const p of payloads) this.send(p);
    return true;
  }

  close(code: number): void {
    this.closedWith = code;
    this.waiters.splice(0).forEach((w) => w());
  }

  get offsets(): number[] {
    return this.frames.map((f) => f.data.offset as number);
  }

  /** Resolves once `done()` holds, re-checked on every frame or close. */
  until(done: () => boolean, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; offsets ${this.offsets}`)), 10_000);
      const check = () => (done() ? (clearTimeout(timer), resolve()) : this.waiters.push(check));
      check();
    });
  }
}

const USER = streamName.user('u1');
const NEWS = streamName.channel('news');
const DEMO = streamName.gateway('/demo');
const body = (n: number) => JSON.stringify({ id: `n${n}`, event: 'e', payload: { n }, ts: n });

describe('StreamSubscriptions and StreamDispatcher (memory broker)', () => {
  let broker: MemoryBroker;
  let subs: StreamSubscriptions;
  let metrics: MetricsService;
  let closed: (conn: Connection) => void;
  const conn = (userId?: string) => {
    const fake = new FakeConnection(userId);
    return { fake, conn: fake as unknown as Connection };
  };
  const publish = (stream: string, ...ns: number[]) =>
    Promise.all(ns.map((n) => broker.publish([stream], body(n), { history: true })));

  beforeEach(() => {
    broker = new MemoryBroker(5, 60_000);
    metrics = new MetricsService();
    const lifecycle = { onClosed: (fn: (conn: Connection) => void) => (closed = fn) } as unknown as ConnectionLifecycle;
    subs = new StreamSubscriptions(broker, new MemoryPresence(), lifecycle, metrics);
    subs.onModuleInit();
    new StreamDispatcher(broker, subs, metrics).onModuleInit();
  });
  afterEach(() => broker.close());

  it('opens at the last position, and recovers from a client position: replay, then what was parked, then live', async () => {
    await publish(USER, 1, 2, 3);
    const { fake, conn: c } = conn();
    const opened = await subs.open(c, [{ stream: USER, kind: 'user', recover: { offset: 1, epoch: (await broker.history(USER)).position.epoch } }]);
    expect(opened.positions[0].offset).toBe(3);
    expect(opened.recovered).toEqual([true]);
    await publish(USER, 4); // arrives before the reply is sent: parked
    expect(fake.frames).toEqual([]);
    subs.resume(opened);
    expect(fake.offsets).toEqual([2, 3, 4]);
    await publish(USER, 5);
    expect(fake.offsets).toEqual([2, 3, 4, 5]);
    expect(subs.find(c, USER)!.position().offset).toBe(5);
  });

  it('fills a gap from history, in order and once', async () => {
    const { fake, conn: c } = conn();
    subs.resume(await subs.open(c, [{ stream: USER, kind: 'user' }]));
    await publish(USER, 1, 2);
    const sub = subs.find(c, USER) as Subscription;
    expect(fake.offsets).toEqual([1, 2]);
    // 3 and 4 reach history but not this instance; 5 arrives live: a gap, recovered from history
    const hist = await broker.history(USER);
    await broker.unsubscribe(USER);
    await publish(USER, 3, 4);
    await broker.subscribe(USER);
    await publish(USER, 5);
    await fake.until(() => fake.frames.length === 5, 'the recovered notifications');
    expect(fake.offsets).toEqual([1, 2, 3, 4, 5]);
    expect(sub.position()).toEqual({ offset: 5, epoch: hist.position.epoch });
  });

  it('closes with 4010 when history no longer holds what was missed, and lets the stream go', async () => {
    const { fake, conn: c } = conn();
    subs.resume(await subs.open(c, [{ stream: USER, kind: 'user' }]));
    await broker.unsubscribe(USER);
    await publish(USER, 1, 2, 3, 4, 5, 6, 7); // history keeps 5: 1 and 2 are gone
    await broker.subscribe(USER);
    await publish(USER, 8);
    await fake.until(() => fake.closedWith !== undefined, 'the close');
    expect(fake.closedWith).toBe(CloseCode.INSUFFICIENT_STATE);
    expect(subs.of(c)).toEqual([]);
    expect(fake.frames).toEqual([]);
  });

  it('fans one publication out to every holder, and nothing after the connection closed', async () => {
    const a = conn('u1');
    const b = conn('u2');
    for (const x of [a, b]) subs.resume(await subs.open(x.conn, [{ stream: NEWS, kind: 'channel', channel: 'news' }]));
    await publish(NEWS, 1);
    expect(a.fake.frames).toEqual(b.fake.frames);
    expect(a.fake.frames[0].data).toMatchObject({ stream: 'channel', channel: 'news', offset: 1, payload: { n: 1 } });
    closed(a.conn);
    subs.closeAll(a.conn);
    await publish(NEWS, 2);
    expect(a.fake.offsets).toEqual([1]);
    expect(b.fake.offsets).toEqual([1, 2]);
  });

  it('sends the broadcasts of one turn in one write per socket, in order', async () => {
    const { fake, conn: c } = conn();
    subs.resume(await subs.open(c, [{ stream: BROADCAST_STREAM, kind: 'broadcast' }]));
    await Promise.all([1, 2, 3].map((n) => broker.publish([BROADCAST_STREAM], body(n), { history: true })));
    await fake.until(() => fake.frames.length === 3, 'the broadcasts');
    expect(fake.offsets).toEqual([1, 2, 3]);
    expect(fake.batches).toBe(1);
    expect(subs.find(c, BROADCAST_STREAM)!.offset).toBe(3);
  });

  it("delivers a plain fan-out's data as the frame itself, without a position", async () => {
    const { fake, conn: c } = conn();
    subs.resume(await subs.open(c, [{ stream: DEMO, kind: 'plain' }]));
    await broker.publish([DEMO], JSON.stringify({ type: 'broadcast', data: { from: 'u2', text: 'hi' } }), { history: false });
    expect(fake.frames).toEqual([{ type: 'broadcast', data: { from: 'u2', text: 'hi' } }]);
    expect(subs.find(c, DEMO)!.position()).toEqual({ offset: 0, epoch: '' });
  });
});
