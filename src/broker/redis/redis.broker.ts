import { randomBytes } from 'node:crypto';
import {
  type Broker,
  DuplicatePublicationError,
  type HistoryOptions,
  type HistoryResult,
  type Publication,
  type PublishOptions,
  PublishOutcomeUnknownError,
  type StreamPosition,
} from '../broker.js';
import { newEpoch, STREAM_META_TTL_MS } from '../stream-history.js';
import { RedisConnection, RedisOutcomeUnknownError } from '../../redis/redis.connection.js';
import { RedisSubscriptions } from './redis.subscriptions.js';

/**
 * Data above this size, published to several streams, travels on pub/sub as
 * a reference each subscribed instance reads once, so one request costs
 * Redis its data once however many recipients (docs/deployment.md, "Redis memory").
 */
const PUBSUB_INLINE_MAX_BYTES = 2048;

/**
 * The cluster broker (PROTOCOL §9), after centrifuge's Redis engine.
 *
 * Publishing: one Lua script per publication, whatever the number of
 * streams: it checks and stores the idempotency key, assigns each stream its
 * next offset, appends to each history and PUBLISHes to each stream's pub/sub
 * channel, all or nothing, in one round trip. A publication to several
 * streams stores its data once (`pl:<ref>`) and each history entry refers to
 * it; a single-stream one keeps it inline.
 *
 * Receiving: interest routing (redis.subscriptions.ts): this instance gets
 * only the streams its connections hold, catches up gaps from history and
 * reports what it cannot catch up through `onResync`.
 */
export class RedisBroker implements Broker {
  private readonly subscriptions: RedisSubscriptions;
  private readonly metaTtlMs: number;
  private handler: (pub: Publication) => void = () => undefined;
  private resyncHandler: (streams: readonly string[]) => void = () => undefined;

  constructor(
    private readonly redis: RedisConnection,
    private readonly historySize: number,
    private readonly historyTtlMs: number,
  ) {
    this.metaTtlMs = Math.max(historyTtlMs, STREAM_META_TTL_MS);
    this.subscriptions = new RedisSubscriptions(redis, {
      history: (stream, since) => this.history(stream, { since }),
      deliver: (pub) => this.handler(pub),
      resync: (streams) => this.resyncHandler(streams),
    });
  }

  async publish(streams: readonly string[], data: string, options: PublishOptions): Promise<StreamPosition[]> {
    const history = options.history;
    const idem = options.idempotency;
    const shared = history && streams.length > 1 ? randomBytes(12).toString('base64url') : '';
    const keys = [this.redis.key(idem ? idem.key : 'idem:'), this.redis.key(`pl:${shared}`)];
    for (const stream of streams) keys.push(this.redis.key(`meta:${stream}`), this.redis.key(`hist:${stream}`));
    const args = [
      history ? '1' : '0',
      this.historySize,
      this.historyTtlMs,
      this.metaTtlMs,
      newEpoch(),
      idem ? idem.id : '',
      idem ? idem.ttlMs : 0,
      data,
      this.redis.key('s:'),
      shared,
      shared && data.length > PUBSUB_INLINE_MAX_BYTES ? '1' : '0',
      ...streams,
    ];
    let reply: Array<string | number>;
    try {
      reply = await this.redis.write<Array<string | number>>('heraldPublishMany', keys, args);
    } catch (err) {
      throw err instanceof RedisOutcomeUnknownError ? new PublishOutcomeUnknownError(err) : err;
    }
    if (reply[0] === 'dup') throw new DuplicatePublicationError(String(reply[1]));
    const n = streams.length;
    return streams.map((_, i) => ({ offset: Number(reply[1 + i]), epoch: String(reply[1 + n + i] ?? '') }));
  }

  onPublication(handler: (pub: Publication) => void): void {
    this.handler = handler;
  }

  subscribe(stream: string): Promise<void> {
    return this.subscriptions.subscribe(stream);
  }

  unsubscribe(stream: string): Promise<void> {
    return this.subscriptions.unsubscribe(stream);
  }

  onResync(handler: (streams: readonly string[]) => void): void {
    this.resyncHandler = handler;
  }

  async history(stream: string, options: HistoryOptions = {}): Promise<HistoryResult> {
    const { since, limit } = options;
    const [offset, epoch, entries] = await this.redis.script<[number, string, string[]]>(
      'heraldHistoryRefs',
      [this.redis.key(`meta:${stream}`), this.redis.key(`hist:${stream}`)],
      [newEpoch(), this.metaTtlMs, this.historyTtlMs, since === undefined ? '' : Math.floor(since), limit ?? 0, this.redis.key('pl:')],
    );
    const publications = entries.map((entry): Publication => {
      const s1 = entry.indexOf(' ');
      const s2 = entry.indexOf(' ', s1 + 1);
      return { stream, data: entry.slice(s2 + 1), offset: Number(entry.slice(0, s1)), epoch };
    });
    return { position: { offset: Number(offset), epoch }, publications };
  }

  isReady(): boolean {
    return this.redis.isReady() && this.subscriptions.isSynced();
  }

  /** Startup: resolves once connected and subscribed, or false after `timeoutMs`. */
  whenReady(timeoutMs: number): Promise<boolean> {
    return this.redis.waitReady(timeoutMs, () => this.subscriptions.isSynced());
  }

  /** Streams this instance receives (tests and metrics). */
  subscribedCount(): number {
    return this.subscriptions.size;
  }

  async close(): Promise<void> {
    this.subscriptions.close();
  }
}
