import { Logger } from '@nestjs/common';
import { type Broker, DuplicatePublicationError, type HistoryOptions, type HistoryResult, type Publication, type PublishOptions, type StreamPosition } from './broker.js';
import { MemoryIdempotency } from './memory.stores.js';
import { StreamHistory } from './stream-history.js';

const NO_POSITION: StreamPosition = { offset: 0, epoch: '' };

/**
 * One process, everything in memory: the default without REDIS_URL. A
 * publish is atomic because it is synchronous; interest is a Set, and
 * nothing is ever lost in between, so resync is never signalled.
 */
export class MemoryBroker implements Broker {
  private readonly log = new Logger('MemoryBroker');
  private readonly streams = new Map<string, StreamHistory>();
  private readonly subscribed = new Set<string>();
  private handler: (pub: Publication) => void = () => undefined;
  private readonly sweeper: NodeJS.Timeout;
  private readonly idempotency: MemoryIdempotency;

  constructor(
    private readonly historySize: number,
    private readonly historyTtlMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.idempotency = new MemoryIdempotency(now);
    this.sweeper = setInterval(() => this.sweep(), 60_000);
    this.sweeper.unref();
  }

  async publish(streams: readonly string[], data: string, options: PublishOptions): Promise<StreamPosition[]> {
    const { idempotency } = options;
    if (idempotency) {
      const first = this.idempotency.claimNow(idempotency.key, idempotency.id, idempotency.ttlMs);
      if (first !== undefined) throw new DuplicatePublicationError(first);
    }
    const now = this.now();
    const pubs = streams.map((stream): Publication =>
      options.history ? this.stream(stream).append(stream, data, now) : { stream, data, offset: 0, epoch: '' },
    );
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

  async close(): Promise<void> {
    clearInterval(this.sweeper);
  }

  private stream(name: string): StreamHistory {
    let stream = this.streams.get(name);
    if (!stream || stream.expired(this.now())) {
      stream = new StreamHistory(this.historySize, this.historyTtlMs, this.now());
      this.streams.set(name, stream);
    }
    return stream;
  }

  private sweep(): void {
    const now = this.now();
    for (const [name, stream] of this.streams) {
      if (stream.expired(now)) this.streams.delete(name);
    }
  }
}
