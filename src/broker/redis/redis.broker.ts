import { type Broker, DuplicatePublicationError, type HistoryOptions, type HistoryResult, type Publication, type PublishOptions, type StreamPosition } from '../broker.js';
import { newEpoch, STREAM_META_TTL_MS } from '../stream-history.js';
import { RedisConnection } from './redis.connection.js';
import { LOG_WINDOW_MS, RedisFanout } from './redis.fanout.js';

/**
 * The cluster broker (PROTOCOL §9), after Centrifugo's Redis engine: one Lua
 * script assigns the stream offset, appends to history and PUBLISHes, so every
 * instance sees one order and concurrent publishers never share an offset.
 * This instance's own publications reach its sockets through the subscription
 * like everyone else's, never directly.
 */
export class RedisBroker implements Broker {
  private readonly fanout: RedisFanout;
  private readonly metaTtlMs: number;

  constructor(
    private readonly redis: RedisConnection,
    private readonly historySize: number,
    private readonly historyTtlMs: number,
  ) {
    this.fanout = new RedisFanout(redis);
    this.metaTtlMs = Math.max(historyTtlMs, STREAM_META_TTL_MS);
  }

  /**
   * Interim adaptation to the new contract (C2 replaces it): one script per
   * stream, so a multi-stream publish is not yet atomic, and the idempotency
   * claim is a separate step.
   */
  async publish(streams: readonly string[], data: string, options: PublishOptions): Promise<StreamPosition[]> {
    const { idempotency } = options;
    if (idempotency) {
      const key = [this.redis.key(idempotency.key)];
      const first = await this.redis.script<string | null>('heraldClaim', key, [idempotency.id, idempotency.ttlMs]);
      if (first) throw new DuplicatePublicationError(first);
    }
    return Promise.all(streams.map((stream) => this.publishOne(stream, data, options.history)));
  }

  private async publishOne(stream: string, data: string, history: boolean): Promise<StreamPosition> {
    const [offset, epoch] = await this.redis.script<[number | string, string, string]>(
      'heraldPublish',
      [this.redis.key(`meta:${stream}`), this.redis.key(`hist:${stream}`), this.redis.key('log')],
      [
        JSON.stringify(stream),
        data,
        history ? '1' : '0',
        this.historySize,
        this.historyTtlMs,
        this.metaTtlMs,
        newEpoch(),
        LOG_WINDOW_MS,
        this.redis.key('pub'),
      ],
    );
    return history ? { offset: Number(offset), epoch } : { offset: 0, epoch: '' };
  }

  onPublication(handler: (pub: Publication) => void): void {
    this.fanout.onPublication(handler);
  }

  /** Interim: every instance still receives every publication (one pub/sub channel). */
  async subscribe(_stream: string): Promise<void> {}

  async unsubscribe(_stream: string): Promise<void> {}

  onResync(_handler: (streams: readonly string[]) => void): void {}

  async history(stream: string, options: HistoryOptions = {}): Promise<HistoryResult> {
    const { since, limit } = options;
    const [offset, epoch, members] = await this.redis.script<[number, string, string[]]>(
      'heraldHistory',
      [this.redis.key(`meta:${stream}`), this.redis.key(`hist:${stream}`)],
      [newEpoch(), this.metaTtlMs, this.historyTtlMs, since === undefined ? '' : Math.floor(since)],
    );
    const kept = limit === undefined ? members : members.slice(0, limit);
    const publications = kept.map((member): Publication => {
      const s1 = member.indexOf(' ');
      const s2 = member.indexOf(' ', s1 + 1);
      return { stream, data: member.slice(s2 + 1), offset: Number(member.slice(0, s1)), epoch };
    });
    return { position: { offset: Number(offset), epoch }, publications };
  }

  isReady(): boolean {
    return this.redis.isReady() && this.fanout.isSynced();
  }

  /** Startup: resolves once connected and subscribed, or false after `timeoutMs`. */
  whenReady(timeoutMs: number): Promise<boolean> {
    return this.redis.waitReady(timeoutMs, () => this.fanout.isSynced());
  }

  async close(): Promise<void> {
    this.fanout.close();
  }
}
