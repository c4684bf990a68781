import { Logger } from '@nestjs/common';
import type { Broker, HistoryResult, Publication } from './broker.js';
import { StreamHistory } from './stream-history.js';

/** One process, everything in memory: the default without REDIS_URL. */
export class MemoryBroker implements Broker {
  private readonly log = new Logger('MemoryBroker');
  private readonly streams = new Map<string, StreamHistory>();
  private handler: (pub: Publication) => void = () => undefined;
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly historySize: number,
    private readonly historyTtlMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.sweeper = setInterval(() => this.sweep(), 60_000);
    this.sweeper.unref();
  }

  async publish(channel: string, data: string, options?: { history?: boolean }): Promise<Publication> {
    const pub = options?.history ? this.stream(channel).append(channel, data, this.now()) : { channel, data };
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

  async close(): Promise<void> {
    clearInterval(this.sweeper);
  }

  private stream(channel: string): StreamHistory {
    let stream = this.streams.get(channel);
    if (!stream || stream.expired(this.now())) {
      stream = new StreamHistory(this.historySize, this.historyTtlMs, this.now());
      this.streams.set(channel, stream);
    }
    return stream;
  }

  private sweep(): void {
    const now = this.now();
    for (const [channel, stream] of this.streams) {
      if (stream.expired(now)) this.streams.delete(channel);
    }
  }
}
