import { Emitter, type Listener } from './emitter.js';
import { HeraldError } from './errors.js';
import {
  CHANNEL_NAME_PATTERN,
  type ChannelNotificationData,
  type Envelope,
  type ErrorData,
  type NotificationPayload,
  type StreamPosition,
  type SubscribeData,
  type SubscribedData,
} from './protocol.js';

export type SubscriptionState =
  /** Waiting for a connection or for `subscribed`; re-entered after every disconnect. */
  | 'subscribing'
  | 'subscribed'
  /** Refused (`forbidden`, `channel_limit`, `invalid`): not retried; unsubscribe() and subscribe again. */
  | 'failed'
  | 'unsubscribed';

export interface SubscribeOptions {
  /** A subscription token (PROTOCOL §10) issued by your backend for this channel. */
  token?: string;
  /** Called before every `subscribe` (the first and the one after each reconnect): a fresh subscription token. */
  getToken?: (channel: string) => string | Promise<string>;
  /** The last position seen in this channel (e.g. saved by a previous page load): what was missed since is replayed. */
  recover?: StreamPosition;
}

export interface ChannelRecovery {
  channel: string;
  /** False: some of what was missed is no longer in history (or the epoch changed); refetch from your backend. */
  recovered: boolean;
  position: StreamPosition;
}

export type ChannelEvents<P = NotificationPayload> = {
  /** Every `subscribed` answer: the first and the one after each reconnect. */
  subscribed: SubscribedData;
  /** Each notification of the channel once, in offset order, across reconnects. */
  notification: ChannelNotificationData<P>;
  /** After a re-subscribe that asked for recovery. */
  recovered: ChannelRecovery;
  error: HeraldError;
};

/** What the channel table needs of the client's current connection. */
export interface ChannelLink {
  /** True while authenticated; `write` may be called then. */
  isOpen(): boolean;
  write(frame: Envelope): void;
  /** Changes with every connection: work started for an older one is dropped. */
  generation(): number;
}

/** One channel the client holds, shared by every handle subscribe() returned for it. */
class ChannelEntry {
  state: SubscriptionState = 'subscribing';
  position?: StreamPosition;
  /** The id of the `subscribe` waiting for its answer. */
  pendingId?: string;
  askedRecovery = false;
  releaseTimer?: ReturnType<typeof setTimeout>;
  readonly handles = new Set<ChannelSubscription<any>>();

  constructor(
    readonly channel: string,
    public options: SubscribeOptions,
  ) {
    if (options.recover) this.position = { ...options.recover };
  }

  emit<K extends keyof ChannelEvents>(event: K, payload: ChannelEvents[K]): void {
    for (const handle of [...this.handles]) handle.deliver(event, payload);
  }
}

/**
 * A handle on one channel subscription (PROTOCOL §10). Several handles of the
 * same channel on one client share one subscription on the wire; the last
 * unsubscribe() ends it.
 */
export class ChannelSubscription<P = NotificationPayload> {
  private readonly events = new Emitter<ChannelEvents<P>>();
  private released = false;

  /** @internal created by HeraldClient.subscribe() */
  constructor(
    private readonly entry: ChannelEntry,
    private readonly table: ChannelTable,
  ) {}

  get channel(): string {
    return this.entry.channel;
  }

  get state(): SubscriptionState {
    return this.released ? 'unsubscribed' : this.entry.state;
  }

  /** The last position seen (save it to resume after a page reload with `subscribe(channel, { recover })`). */
  get position(): StreamPosition | undefined {
    return this.entry.position && { ...this.entry.position };
  }

  on<K extends keyof ChannelEvents<P>>(event: K, listener: Listener<ChannelEvents<P>[K]>): () => void {
    return this.events.on(event, listener);
  }

  once<K extends keyof ChannelEvents<P>>(event: K, listener: Listener<ChannelEvents<P>[K]>): () => void {
    return this.events.once(event, listener);
  }

  off<K extends keyof ChannelEvents<P>>(event: K, listener: Listener<ChannelEvents<P>[K]>): void {
    this.events.off(event, listener);
  }

  /** Resolves with the next `subscribed` (at once when already subscribed); rejects on the subscription's next error. */
  ready(): Promise<SubscribedData> {
    if (this.state === 'subscribed') {
      const p = this.entry.position!;
      return Promise.resolve({ channel: this.channel, offset: p.offset, epoch: p.epoch });
    }
    if (this.state !== 'subscribing') return Promise.reject(new HeraldError('stopped', `subscription to ${this.channel} is ${this.state}`));
    return new Promise((resolve, reject) => {
      const offs = [
        this.events.once('subscribed', (s) => {
          offs.forEach((off) => off());
          resolve(s);
        }),
        this.events.once('error', (e) => {
          offs.forEach((off) => off());
          reject(e);
        }),
      ];
    });
  }

  /** Ends this handle; the wire `unsubscribe` goes out on the next task once no handle holds the channel (a quick re-subscribe, as in React StrictMode, keeps the subscription). */
  unsubscribe(): void {
    if (this.released) return;
    this.released = true;
    this.events.clear();
    this.table.release(this.entry, this);
  }

  /** @internal */
  deliver<K extends keyof ChannelEvents>(event: K, payload: ChannelEvents[K]): void {
    if (!this.released) this.events.emit(event as keyof ChannelEvents<P>, payload as never);
  }
}

/**
 * The channels a client holds: `subscribe` on every new connection with the
 * last position as `recover`, per-channel de-duplication, and the answers
 * matched by request id.
 */
export class ChannelTable {
  private readonly entries = new Map<string, ChannelEntry>();
  private readonly pending = new Map<string, ChannelEntry>();
  private seq = 0;

  constructor(private readonly link: ChannelLink) {}

  subscribe<P>(channel: string, options: SubscribeOptions = {}): ChannelSubscription<P> {
    if (typeof channel !== 'string' || !CHANNEL_NAME_PATTERN.test(channel)) {
      throw new HeraldError('invalid', `channel names are 1 to 128 characters of [A-Za-z0-9_.:@-]; got ${JSON.stringify(channel)}`);
    }
    let entry = this.entries.get(channel);
    if (!entry) {
      entry = new ChannelEntry(channel, options);
      this.entries.set(channel, entry);
      if (this.link.isOpen()) this.send(entry);
    } else {
      if (entry.releaseTimer !== undefined) clearTimeout(entry.releaseTimer);
      entry.releaseTimer = undefined;
      if (options.token !== undefined || options.getToken) entry.options = { ...entry.options, ...options, recover: undefined };
      if (entry.state === 'failed') {
        // Refused before: a new subscribe (maybe with a token now) asks again.
        entry.state = 'subscribing';
        if (this.link.isOpen()) this.send(entry);
      }
    }
    const handle = new ChannelSubscription<P>(entry, this);
    entry.handles.add(handle);
    return handle;
  }

  /** @internal */
  release(entry: ChannelEntry, handle: ChannelSubscription<any>): void {
    entry.handles.delete(handle);
    if (entry.handles.size > 0 || entry.releaseTimer !== undefined) return;
    entry.releaseTimer = setTimeout(() => {
      entry.releaseTimer = undefined;
      if (entry.handles.size > 0 || this.entries.get(entry.channel) !== entry) return;
      this.entries.delete(entry.channel);
      if (entry.pendingId) this.pending.delete(entry.pendingId);
      entry.state = 'unsubscribed';
      if (this.link.isOpen()) this.link.write({ type: 'unsubscribe', id: `u-${++this.seq}`, data: { channel: entry.channel } });
    }, 0);
  }

  /** A new authenticated connection: (re-)subscribe every channel not refused, with recovery. */
  opened(): void {
    for (const entry of this.entries.values()) if (entry.state !== 'failed') this.send(entry);
  }

  /** The connection is gone: every channel waits for the next one. */
  closed(): void {
    this.pending.clear();
    for (const entry of this.entries.values()) {
      entry.pendingId = undefined;
      if (entry.state === 'subscribed') entry.state = 'subscribing';
    }
  }

  /** The channels held and their last positions (persist with the user/broadcast positions). */
  positions(): Record<string, StreamPosition> {
    const out: Record<string, StreamPosition> = {};
    for (const [channel, entry] of this.entries) if (entry.position) out[channel] = { ...entry.position };
    return out;
  }

  /**
   * A channel notification: the entry to deliver it to (and its position
   * advanced), or undefined for one already seen or of a channel not held.
   */
  accept(n: ChannelNotificationData<unknown>): ChannelEntry | undefined {
    const entry = this.entries.get(n.channel);
    if (!entry || entry.state === 'failed') return undefined;
    const ours = entry.position;
    if (ours && ours.epoch === n.epoch && n.offset <= ours.offset) return undefined;
    entry.position = { offset: n.offset, epoch: n.epoch };
    return entry;
  }

  deliver(entry: ChannelEntry, n: ChannelNotificationData<unknown>): void {
    entry.emit('notification', n as ChannelNotificationData);
  }

  /** Handles the answer to one of our `subscribe`s; false for any other frame. Runs before the frames after it (the replay). */
  answer(frame: Envelope): boolean {
    const entry = frame.id === undefined ? undefined : this.pending.get(frame.id);
    if (!entry) return false;
    this.pending.delete(frame.id!);
    entry.pendingId = undefined;
    if (frame.type === 'subscribed') {
      const data = frame.data as SubscribedData;
      const server = { offset: data.offset, epoch: data.epoch };
      // Recovered: ours stays, the replay that follows advances it. Otherwise start from the server's position.
      if (!(entry.askedRecovery && data.recovered === true)) entry.position = server;
      entry.state = 'subscribed';
      entry.emit('subscribed', data);
      if (data.recovered !== undefined) entry.emit('recovered', { channel: entry.channel, recovered: data.recovered, position: { ...entry.position! } });
      return true;
    }
    if (frame.type === 'error') {
      const data = (frame.data ?? {}) as Partial<ErrorData>;
      const error = new HeraldError(data.code ?? 'internal', data.message ?? 'error', frame.id, data.errors);
      if (error.code !== 'rate_limited' && error.code !== 'internal') entry.state = 'failed';
      entry.emit('error', error);
      return true;
    }
    return false;
  }

  private send(entry: ChannelEntry): void {
    const gen = this.link.generation();
    const { token, getToken } = entry.options;
    if (!getToken) return this.write(entry, token);
    let result: string | Promise<string>;
    try {
      result = getToken(entry.channel);
    } catch (err) {
      return this.tokenFailed(entry, err);
    }
    Promise.resolve(result).then(
      (fresh) => {
        if (gen === this.link.generation() && this.link.isOpen() && this.entries.get(entry.channel) === entry) this.write(entry, fresh);
      },
      (err: unknown) => {
        if (gen === this.link.generation()) this.tokenFailed(entry, err);
      },
    );
  }

  private write(entry: ChannelEntry, token: string | undefined): void {
    const id = `s-${++this.seq}`;
    const data: SubscribeData = { channel: entry.channel };
    if (token !== undefined) data.token = token;
    if (entry.position) data.recover = { ...entry.position };
    entry.askedRecovery = data.recover !== undefined;
    entry.pendingId = id;
    this.pending.set(id, entry);
    entry.state = 'subscribing';
    try {
      this.link.write({ type: 'subscribe', id, data });
    } catch (err) {
      this.pending.delete(id);
      entry.pendingId = undefined;
      entry.emit('error', err instanceof HeraldError ? err : new HeraldError('internal', String(err)));
    }
  }

  /** Stays `subscribing`: the next connection asks for a token again. */
  private tokenFailed(entry: ChannelEntry, err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    entry.emit('error', new HeraldError('token_failed', `getToken for channel ${entry.channel} failed: ${message}`, undefined, undefined, { cause: err }));
  }
}
