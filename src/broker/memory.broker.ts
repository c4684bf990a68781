import { Logger } from '@nestjs/common';
import { type Broker, DuplicatePublicationError, type HistoryOptions, type HistoryResult, type Publication, type PublishOptions, type StreamPosition } from './broker.js';
import { HistoryExpiry } from './history-expiry.js';
import { MemoryIdempotency } from './memory.stores.js';
import { StreamHistory } from './stream-history.js';

const NO_POSITION: StreamPosition = { offset: 0, epoch: '' };

/**
 * One process, everything in memory: the default without REDIS_URL. A
 * publish is atomic because it is synchronous; interest is a Set, and
 * nothing is ever lost in between, so resync is never signalled. Memory is
 * bounded: entries leave at HISTORY_TTL_MS (a timer, not on the next read), an
 * idle stream keeps only its offset and epoch, and at most `maxStreams` streams
 * are kept, the least recently used forgotten first (its next use starts a new
 * epoch: recovery answers `recovered: false`, never a silent gap).
 */
export class MemoryBroker implements Broker {
  private readonly log = new Logger('MemoryBroker');
  /** In least-recently-used order: every use moves a stream to the back. */
  private readonly streams = new Map<string, StreamHistory>();
  private readonly subscribed = new Set<string>();
  private handler: (pub: Publication) => void = () => undefined;
  private readonly expiry: HistoryExpiry;
  private readonly idempotency: MemoryIdempotency;

  constructor(
    private readonly historySize: number,
    private readonly historyTtlMs: number,
    private readonly now: () => number = Date.now,
    private readonly maxStreams = 100_000,
  ) {
    this.idempotency = new MemoryIdempotency(now);
    this.expiry = new HistoryExpiry(historyTtlMs, now, () => this.forgetIdle());
  }

  async publish(streams: readonly string[], data: string, options: PublishOptions): Promise<StreamPosition[]> {
    const { idempotency } = options;
    if (idempotency) {
      const first = this.idempotency.claimNow(idempotency.key, idempotency.id, idempotency.ttlMs);
      if (first !== undefined) throw new DuplicatePublicationError(first);
    }
    const now = this.now();
    const pubs = streams.map((name): Publication => {
      if (!options.history) return { stream: name, data, offset: 0, epoch: '' };
      const stream = this.stream(name);
      const pub = stream.append(name, data, now);
      this.expiry.track(stream);
      return pub;
    });
    for (const pub of pubs) {
      if (!this.subscribed.has(pub.stream)) continue;
      try {
        this.handler(pub);
      } catch (err) {
        this.log.error({ err, stream: pub.stream }, 'publication handler failed');
      }
    }
    return pubs.map((pub) => (options.history ? { offset: pub.offset, epoch: pub.epoch } : NO_POSITION));
  }

  onPublication(handler: (pub: Publication) => void): void {
    this.handler = handler;
  }

  async subscribe(stream: string): Promise<void> {
    this.subscribed.add(stream);
  }

  async unsubscribe(stream: string): Promise<void> {
    this.subscribed.delete(stream);
  }

  /** Nothing is lost between a publish and its delivery in one process. */
  onResync(): void {}

  async history(stream: string, options?: HistoryOptions): Promise<HistoryResult> {
    return this.stream(stream).read(stream, this.now(), options);
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

  private stream(name: string): StreamHistory {
    const now = this.now();
    let stream = this.streams.get(name);
    if (stream && !stream.expired(now)) {
      this.streams.delete(name); // to the back: most recently used
    } else {
      stream = new StreamHistory(this.historySize, this.historyTtlMs, now);
      if (this.streams.size >= this.maxStreams) this.streams.delete(this.streams.keys().next().value!);
    }
    this.streams.set(name, stream);
    return stream;
  }

  /** Streams unused for the metadata TTL, from the front of the LRU order: stops at the first one still in use. */
  private forgetIdle(): void {
    const now = this.now();
    for (const [name, stream] of this.streams) {
      if (!stream.expired(now)) return;
      this.streams.delete(name);
    }
  }
}
