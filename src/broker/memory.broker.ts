import { Logger } from '@nestjs/common';
import { type Broker, DuplicatePublicationError, type HistoryOptions, type HistoryResult, type Publication, type PublishOptions, type StreamPosition } from './broker.js';
import { DeadlineWheel } from '../common/deadline-wheel.js';
import { MemoryIdempotency } from './memory-idempotency.js';
import { StreamHistory } from './stream-history.js';

const NO_POSITION: StreamPosition = { offset: 0, epoch: '' };
/** History entries are dropped at most this late after their TTL (or a tenth of the TTL, when shorter). */
const MAX_EXPIRY_SLOT_MS = 1000;

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
  /** History entries dropped at their TTL whether or not the stream is read again: each stream with entries sits in the slot of its oldest entry's expiry. */
  private readonly expiry: DeadlineWheel<StreamHistory>;
  private readonly idempotency: MemoryIdempotency;

  constructor(
    private readonly historySize: number,
    private readonly historyTtlMs: number,
    private readonly now: () => number = Date.now,
    private readonly maxStreams = 100_000,
  ) {
    this.idempotency = new MemoryIdempotency(now);
    const slotMs = Math.max(10, Math.min(MAX_EXPIRY_SLOT_MS, Math.floor(historyTtlMs / 10)));
    this.expiry = new DeadlineWheel(slotMs, (stream) => this.dropExpired(stream), now);
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
      this.track(stream);
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
    this.expiry.close();
  }

  private stream(name: string): StreamHistory {
    const now = this.now();
    let stream = this.streams.get(name);
    if (stream && !stream.expired(now)) {
      this.streams.delete(name); // to the back: most recently used
    } else {
      this.forgetIdle();
      stream = new StreamHistory(this.historySize, this.historyTtlMs, now);
      if (this.streams.size >= this.maxStreams) this.streams.delete(this.streams.keys().next().value!);
    }
    this.streams.set(name, stream);
    return stream;
  }

  /** A stream already scheduled stays in its slot: its oldest entry expires first. */
  private track(stream: StreamHistory): void {
    if (stream.deadlineSlot !== 0) return;
    const oldest = stream.oldestTs();
    if (oldest !== undefined) this.expiry.schedule(stream, oldest + this.historyTtlMs);
  }

  private dropExpired(stream: StreamHistory): void {
    stream.dropOlderThan(this.now() - this.historyTtlMs);
    this.track(stream);
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
