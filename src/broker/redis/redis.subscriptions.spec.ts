import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import { deletePrefix, REDIS_URL, requireRedis, uniquePrefix } from '../../../test/support/redis.js';
import { RedisConnection } from '../../redis/redis.connection.js';
import type { Publication } from '../broker.js';
import { RedisBroker } from './redis.broker.js';
import { RedisSubscriptions } from './redis.subscriptions.js';

/** Resolves once `done()` holds (checked every 10 ms), or fails naming `what`. */
async function until(done: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** RedisSubscriptions on its own, against the real Redis: the RedisBroker beside it publishes and reads history. */
describe('RedisSubscriptions', () => {
  const prefix = uniquePrefix('subscriptions');
  let conn: RedisConnection;
  let broker: RedisBroker;
  let subs: RedisSubscriptions;
  let admin: Redis;
  let delivered: Publication[];
  let resyncs: string[][];

  beforeAll(async () => {
    Logger.overrideLogger(false);
    await requireRedis();
    admin = new Redis(REDIS_URL);
  });

  beforeEach(async () => {
    delivered = [];
    resyncs = [];
    conn = new RedisConnection(REDIS_URL, prefix);
    broker = new RedisBroker(conn, 3, 300_000);
    expect(await broker.whenReady(5000)).toBe(true);
    subs = new RedisSubscriptions(conn, {
      history: (stream, since) => broker.history(stream, { since }),
      deliver: (pub) => delivered.push(pub),
      resync: (streams) => resyncs.push(streams),
    });
    await until(() => subs.isSynced(), 'the pub/sub connection');
  });

  afterEach(async () => {
    subs.close();
    await broker.close();
    await conn.close();
  });

  afterAll(async () => {
    admin?.disconnect();
    await deletePrefix(prefix);
  });

  const publish = (stream: string, data: string) => broker.publish([stream], data, { history: true });

  it('delivers what is published after the subscribe, in order, and nothing after the unsubscribe', async () => {
    await publish('a', 'before'); // the subscriber's own history read covers this one
    await subs.subscribe('a');
    await subs.subscribe('b');
    expect(subs.size).toBe(2);
    for (const data of ['1', '2', '3']) await publish('a', data);
    await until(() => delivered.length === 3, 'three publications');
    expect(delivered.map((p) => [p.stream, p.offset, p.data])).toEqual([
      ['a', 2, '1'],
      ['a', 3, '2'],
      ['a', 4, '3'],
    ]);
    await subs.unsubscribe('a');
    await until(() => subs.size === 1, 'the unsubscribe');
    await publish('a', 'late');
    await publish('b', 'marker'); // same pub/sub connection: anything of `a` would have come first
    await until(() => delivered.some((p) => p.stream === 'b'), 'the marker');
    expect(delivered.map((p) => p.data)).toEqual(['1', '2', '3', 'marker']);
    expect(resyncs).toEqual([]);
  });

  /** Redis stops sending `stream`'s pub/sub messages to the instance (which still holds it): what comes meanwhile is missed. */
  async function missing<T>(stream: string, during: () => Promise<T>): Promise<T> {
    const pubsub = (subs as unknown as { sub: Redis }).sub;
    await pubsub.unsubscribe(subs.channelOf(stream));
    const out = await during();
    await pubsub.subscribe(subs.channelOf(stream));
    return out;
  }

  it('catches a gap up from history, in order and once', async () => {
    await subs.subscribe('c');
    await publish('c', '1');
    await until(() => delivered.length === 1, 'the first publication');
    await missing('c', async () => {
      await publish('c', '2');
      await publish('c', '3');
    });
    await publish('c', '4');
    await until(() => delivered.length === 4, 'the caught-up publications');
    expect(delivered.map((p) => [p.offset, p.data])).toEqual([
      [1, '1'],
      [2, '2'],
      [3, '3'],
      [4, '4'],
    ]);
    expect(resyncs).toEqual([]);
  });

  it('reports a resync when history no longer holds what was missed', async () => {
    await subs.subscribe('g');
    await publish('g', '1');
    await until(() => delivered.length === 1, 'the first publication');
    // history keeps 3: of 2..5, 2 is gone by the time 6 shows the gap
    await missing('g', async () => {
      for (const data of ['2', '3', '4', '5']) await publish('g', data);
    });
    await publish('g', '6');
    await until(() => resyncs.length > 0, 'the resync');
    expect(resyncs).toEqual([['g']]);
    expect(delivered.map((p) => p.data)).toEqual(['1']);
    // from the stream's current position on, live publications flow again
    await publish('g', '7');
    await until(() => delivered.length === 2, 'the next live publication');
    expect(delivered[1]).toMatchObject({ offset: 7, data: '7' });
  });

  it('drops a repeat of a publication already delivered', async () => {
    await subs.subscribe('r');
    await publish('r', 'x');
    await until(() => delivered.length === 1, 'the publication');
    const { epoch } = (await broker.history('r')).position;
    await admin.publish(subs.channelOf('r'), `1 ${epoch}\nx`);
    await publish('r', 'y');
    await until(() => delivered.length === 2, 'the next publication');
    expect(delivered.map((p) => [p.offset, p.data])).toEqual([
      [1, 'x'],
      [2, 'y'],
    ]);
  });
});
