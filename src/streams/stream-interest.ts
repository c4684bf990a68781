import type { Broker } from '../broker/broker.js';

interface Interest {
  /** Local holders of the stream (connections, or anything else that needs its publications). */
  holders: number;
  /** What the broker was last told. */
  subscribed: boolean;
  /** The broker call in flight for this stream, if any: calls for one stream run one after another. */
  queue: Promise<void> | null;
}

/**
 * This instance's interest in streams, counted: the broker is asked to
 * subscribe when the first local holder of a stream appears and to
 * unsubscribe when the last one leaves, never with two calls for one stream
 * in flight (the Broker contract). An instance so receives only the
 * publications its connections need.
 */
export class StreamInterest {
  private readonly streams = new Map<string, Interest>();

  constructor(private readonly broker: Broker) {}

  /**
   * One more holder of `stream`, counted at once. Resolves once the broker
   * delivers the stream's publications (subscribe, then read history);
   * rejects when the broker could not subscribe. Either way the holder is
   * counted until `release`.
   */
  async hold(stream: string): Promise<void> {
    let interest = this.streams.get(stream);
    if (!interest) this.streams.set(stream, (interest = { holders: 0, subscribed: false, queue: null }));
    interest.holders++;
    if (interest.subscribed && interest.queue === null) return;
    await this.reconcile(stream, interest);
    // released meanwhile (the connection closed): nothing to wait for
    if (interest.holders === 0) return;
    // an unsubscribe step queued before ours may have run last; the last word must be "subscribed"
    if (!interest.subscribed) await this.reconcile(stream, interest);
    if (!interest.subscribed && interest.holders > 0) throw new Error(`could not subscribe to ${stream}`);
  }

  /** One holder fewer; the broker unsubscribes once none is left. */
  release(stream: string): void {
    const interest = this.streams.get(stream);
    if (!interest || interest.holders === 0) return;
    interest.holders--;
    if (interest.holders === 0) void this.reconcile(stream, interest).catch(() => undefined);
  }

  /** Queues one step that brings the broker in line with the holder count at the time it runs. */
  private reconcile(stream: string, interest: Interest): Promise<void> {
    const step = async (): Promise<void> => {
      const want = interest.holders > 0;
      if (want && !interest.subscribed) {
        await this.broker.subscribe(stream);
        interest.subscribed = true;
      } else if (!want && interest.subscribed) {
        interest.subscribed = false;
        await this.broker.unsubscribe(stream);
      }
    };
    const previous = interest.queue ?? Promise.resolve();
    const run = previous.catch(() => undefined).then(step);
    const settle = (): void => {
      if (interest.queue !== tail) return;
      interest.queue = null;
      if (interest.holders === 0 && !interest.subscribed && this.streams.get(stream) === interest) this.streams.delete(stream);
    };
    const tail: Promise<void> = run.then(settle, settle);
    interest.queue = tail;
    return run;
  }
}
