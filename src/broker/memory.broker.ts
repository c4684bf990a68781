import { Logger } from '@nestjs/common';
import type { Broker, HistoryResult, Publication } from './broker.js';
import { HistoryExpiry } from './history-expiry.js';
import { StreamHistory } from './stream-history.js';

/**
 * One process, everything in memory: the default without REDIS_URL. Memory is
 * bounded: entries leave at HISTORY_TTL_MS (a timer, not on the next read), an
 * idle stream keeps only its offset and epoch, and at most `maxStreams` streams
 * are kept, the least recently used forgotten first (its next use starts a new
 * epoch: recovery answers `recovered: false`, never a silent gap).
 */
export class MemoryBroker implements Broker {
  private readonly log = new Logger('MemoryBroker');
  /** In least-recently-used order: every use moves a stream to the back. */
  private readonly streams = new Map<string, StreamHistory>();
  private handler: (pub: Publication) => void = () => undefined;
  private readonly expiry: HistoryExpiry;

  constructor(
    private readonly historySize: number,
    private readonly historyTtlMs: number,
    private readonly now: () => number = Date.now,
    private readonly maxStreams = 100_000,
  ) {
    this.expiry = new HistoryExpiry(historyTtlMs, now, () => this.forgetIdle());
  }

  async publish(channel: string, data: string, options?: { history?: boolean }): Promise<Publication> {
    let pub: Publication = { channel, data };
    if (options?.history) {
      const stream = this.stream(channel);
      pub = stream.append(channel, data, this.now());
      this.expiry.track(stream);
    }
    try {
      this.handler(pub);
    } catch (err) {
      this.log.error({ err, channel }, 'publication handler failed');
    }
    return pub;
  }

  onPublication(handler: (pub: Publication) => void): void {
    this.handler = handler;
  }

  async history(channel: string, sinceOffset?: number): Promise<HistoryResult> {
    return this.stream(channel).read(channel, this.now(), sinceOffset);
  }

  isReady(): boolean {
    return true;
  }

  /** Streams whose position is kept (for tests and the memory bound). */
  get streamCount(): number {
    return this.streams.size;
  }

  async close(): Promise<void> {
    this.expiry.stop();
  }

  private stream(channel: string): StreamHistory {
    const now = this.now();
    let stream = this.streams.get(channel);
    if (stream && !stream.expired(now)) {
      this.streams.delete(channel); // to the back: most recently used
    } else {
      stream = new StreamHistory(this.historySize, this.historyTtlMs, now);
      if (this.streams.size >= this.maxStreams) this.streams.delete(this.streams.keys().next().value!);
    }
    this.streams.set(channel, stream);
    return stream;
  }

  /** Streams unused for the metadata TTL, from the front of the LRU order: stops at the first one still in use. */
  private forgetIdle(): void {
    const now = this.now();
    for (const [channel, stream] of this.streams) {
      if (!stream.expired(now)) return;
      this.streams.delete(channel);
    }
  }
}
