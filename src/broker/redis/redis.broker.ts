import type { Broker, HistoryResult, Publication } from '../broker.js';
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

  async publish(channel: string, data: string, options?: { history?: boolean }): Promise<Publication> {
    const history = options?.history === true;
    const [offset, epoch] = await this.redis.script<[number | string, string, string]>(
      'heraldPublish',
      [this.redis.key(`meta:${channel}`), this.redis.key(`hist:${channel}`), this.redis.key('log')],
      [
        JSON.stringify(channel),
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
    return history ? { channel, data, offset: Number(offset), epoch } : { channel, data };
  }

  onPublication(handler: (pub: Publication) => void): void {
    this.fanout.onPublication(handler);
  }

  async history(channel: string, sinceOffset?: number): Promise<HistoryResult> {
    const [offset, epoch, members] = await this.redis.script<[number, string, string[]]>(
      'heraldHistory',
      [this.redis.key(`meta:${channel}`), this.redis.key(`hist:${channel}`)],
      [newEpoch(), this.metaTtlMs, this.historyTtlMs, sinceOffset === undefined ? '' : Math.floor(sinceOffset)],
    );
    const publications = members.map((member): Publication => {
      const s1 = member.indexOf(' ');
      const s2 = member.indexOf(' ', s1 + 1);
      return { channel, data: member.slice(s2 + 1), offset: Number(member.slice(0, s1)), epoch };
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
