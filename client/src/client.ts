import { backoffDelay } from './backoff.js';
import { ChannelSubscription, ChannelTable, type SubscribeOptions } from './channels.js';
import type {
  ClientType,
  ConnectionState,
  HeraldClientOptions,
  HeraldEvents,
  ReplyTo,
  RequestArgs,
  SendArgs,
  StateChange,
} from './client-types.js';
import { type Disconnect, reactTo } from './close-policy.js';
import { Emitter, type Listener } from './emitter.js';
import { HeraldError } from './errors.js';
import type { AuthOkData, ChatData, Envelope, ErrorData, GatewayPath, NotificationData, NotificationPayload, StreamPosition, StreamPositions } from './protocol.js';
import { PendingRequests } from './requests.js';
import { StreamTracker } from './streams.js';
import { Timers } from './timers.js';
import { utf8Length } from './utf8.js';
import { discard, fetchTicket, type FetchLike, refusedStatus, socketUrl, TicketError, type WebSocketConstructor, type WebSocketLike } from './transport.js';

export type {
  ClientType,
  ConnectionState,
  HeraldClientOptions,
  HeraldEvents,
  ReplyTo,
  RequestArgs,
  RequestOptions,
  SendArgs,
  ServerType,
  StateChange,
  TokenRequest,
} from './client-types.js';

type TimerName = 'reconnect' | 'deadline' | 'ping' | 'refresh';
const MAX_TIMER_MS = 2 ** 31 - 1;
const MIN_REFRESH_RETRY_MS = 500;

/**
 * One logical connection to a Herald gateway that keeps itself alive:
 * ticket, socket, auth, reconnect with backoff (PROTOCOL §7), token refresh,
 * stream recovery, channel subscriptions and dead-server detection. Call
 * connect(), then close(). `P` (inferred from `options.path`) types what
 * send() and request() accept.
 */
export class HeraldClient<P extends GatewayPath = GatewayPath> {
  private readonly events = new Emitter<HeraldEvents>();
  private readonly requests = new PendingRequests();
  private readonly timers = new Timers<TimerName>();
  private readonly streams: StreamTracker;
  private readonly channels = new ChannelTable({
    isOpen: () => this.current === 'open',
    write: (frame) => this.write(frame),
    generation: () => this.generation,
  });
  private readonly WS: WebSocketConstructor;
  private readonly fetchFn: FetchLike;
  private readonly requestTimeoutMs: number;
  private socket?: WebSocketLike;
  /** Bumped by every attempt and every teardown: callbacks of an older one are ignored. */
  private generation = 0;
  private current: ConnectionState = 'idle';
  private attempt = 0;
  private reconnectCount = 0;
  private everOpened = false;
  private wantFreshToken = false;
  private session?: AuthOkData;
  private frameLimit: number;
  private largestSent = 0;
  private refreshSeq = 0;
  private refreshId?: string;

  constructor(private readonly options: HeraldClientOptions<P>) {
    const WS = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    const fetchFn = options.fetch ?? (globalThis.fetch?.bind(globalThis) as FetchLike | undefined);
    if (!WS) throw new Error('HeraldClient: no global WebSocket here; pass options.WebSocket (e.g. the `ws` package)');
    if (!fetchFn) throw new Error('HeraldClient: no global fetch here; pass options.fetch');
    this.WS = WS;
    this.fetchFn = fetchFn;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.frameLimit = options.maxFrameBytes ?? 65_536;
    this.streams = new StreamTracker(options.recover);
  }

  get state(): ConnectionState {
    return this.current;
  }

  get reconnects(): number {
    return this.reconnectCount;
  }

  /** The authenticated connection's auth_ok (with the latest expiresAt), while open. */
  get connection(): AuthOkData | undefined {
    return this.session;
  }

  /** The last position seen in each stream: persist it to resume across page loads. */
  positions(): Partial<StreamPositions> {
    return this.streams.snapshot();
  }

  /** The last position seen in each subscribed channel: persist it and pass it as `subscribe(channel, { recover })`. */
  channelPositions(): Record<string, StreamPosition> {
    return this.channels.positions();
  }

  /**
   * Subscribes to a channel (PROTOCOL §10, `/notification` only), now or as
   * soon as connected, and again with its last position after every
   * reconnect. Each call returns its own handle; handles of one channel share
   * one subscription, which ends with the last handle's unsubscribe().
   * `T` is the payload type of the channel's notifications.
   */
  subscribe<T = NotificationPayload>(channel: string, options: SubscribeOptions = {}): ChannelSubscription<T> {
    if (this.options.path !== '/notification') throw new HeraldError('unknown_type', 'channels exist on /notification only');
    return this.channels.subscribe<T>(channel, options);
  }

  on<K extends keyof HeraldEvents>(event: K, listener: Listener<HeraldEvents[K]>): () => void {
    return this.events.on(event, listener);
  }

  once<K extends keyof HeraldEvents>(event: K, listener: Listener<HeraldEvents[K]>): () => void {
    return this.events.once(event, listener);
  }

  off<K extends keyof HeraldEvents>(event: K, listener: Listener<HeraldEvents[K]>): void {
    this.events.off(event, listener);
  }

  connect(): void {
    if (this.current !== 'idle' && this.current !== 'closed') return;
    this.attempt = 0;
    void this.open();
  }

  /** Closes for good (until connect() again): no reconnect, pending requests rejected. */
  close(): void {
    if (this.current === 'closed' || this.current === 'idle') return;
    this.generation++;
    this.teardown(1000, 'client closed', new HeraldError('stopped', 'client closed'));
    this.setState('closed');
  }

  /** Sends a frame; false when not connected. Throws `frame_too_large` for a frame Herald would close on (1009). */
  send<K extends ClientType<P>>(type: K, ...[data]: SendArgs<P, K>): boolean {
    if (this.current !== 'open') return false;
    this.write({ type, data });
    return true;
  }

  /** Sends a frame with an `id`; resolves with the reply (`ack`, `echo`, `pong`…), rejects on its `error` or a timeout. */
  request<K extends ClientType<P>>(type: K, ...[data, options]: RequestArgs<P, K>): Promise<ReplyTo<P, K>> {
    if (this.current !== 'open') return Promise.reject(new HeraldError('not_connected', `not connected (${this.current})`));
    const id = this.requests.nextId();
    try {
      this.write({ type, data, id });
    } catch (err) {
      return Promise.reject(err);
    }
    return this.requests.wait(id, options?.timeoutMs ?? this.requestTimeoutMs) as Promise<ReplyTo<P, K>>;
  }

  private write(frame: Envelope): void {
    const text = JSON.stringify(frame);
    const bytes = utf8Length(text);
    if (bytes > this.frameLimit) {
      throw new HeraldError('frame_too_large', `a ${bytes}-byte frame is over the ${this.frameLimit}-byte limit; not sent`, frame.id);
    }
    this.largestSent = Math.max(this.largestSent, bytes);
    this.socket!.send(text);
  }

  private async open(): Promise<void> {
    const gen = ++this.generation;
    this.setState('connecting');
    const fresh = this.wantFreshToken;
    let token: string;
    let ticket: string;
    try {
      token = await this.options.getToken({ reason: fresh ? 'unauthorized' : 'connect', forceRefresh: fresh });
    } catch (err) {
      if (gen !== this.generation) return;
      this.emitError(new HeraldError('token_failed', `getToken failed: ${messageOf(err)}`, undefined, undefined, { cause: err }));
      return this.disconnected(gen, { kind: 'token', message: messageOf(err) });
    }
    if (gen !== this.generation) return;
    try {
      ticket = await fetchTicket(this.fetchFn, this.options.url, token, this.requestTimeoutMs);
    } catch (err) {
      if (gen !== this.generation) return;
      this.emitError(new HeraldError('ticket_failed', messageOf(err), undefined, undefined, { cause: err }));
      return this.disconnected(gen, { kind: 'ticket', status: err instanceof TicketError ? err.status : undefined });
    }
    if (gen !== this.generation) return;
    this.wantFreshToken = false;
    this.largestSent = 0;
    let ws: WebSocketLike;
    try {
      ws = new this.WS(socketUrl(this.options.url, this.options.path, ticket));
    } catch (err) {
      this.emitError(new HeraldError('connection_lost', `cannot open a WebSocket: ${messageOf(err)}`));
      return this.disconnected(gen, { kind: 'refused' });
    }
    this.socket = ws;
    let opened = false;
    let status: number | undefined;
    this.timers.set('deadline', this.requestTimeoutMs, () => this.disconnected(gen, { kind: 'dead' }));
    ws.onopen = () => {
      opened = true;
      this.setState('authenticating');
      this.timers.set('deadline', this.requestTimeoutMs, () => this.disconnected(gen, { kind: 'dead' }));
      const recover = this.options.path === '/notification' ? this.streams.recover() : undefined;
      this.write({ type: 'auth', id: 'auth', data: recover ? { token, recover } : { token } });
    };
    ws.onmessage = (event: { data: unknown }) => this.received(gen, event.data);
    ws.onerror = (event: unknown) => {
      status ??= refusedStatus(event);
    };
    ws.onclose = (event: { code: number; reason?: string }) =>
      this.disconnected(gen, opened ? { kind: 'closed', code: event.code, reason: event.reason } : { kind: 'refused', status });
  }

  private received(gen: number, raw: unknown): void {
    if (gen !== this.generation) return;
    let frame: Envelope;
    try {
      frame = JSON.parse(typeof raw === 'string' ? raw : String(raw)) as Envelope;
    } catch {
      return this.emitError(new HeraldError('bad_json', 'Herald sent a frame that is not JSON'));
    }
    if (!frame || typeof frame.type !== 'string') return;
    if (this.current === 'open') this.timers.clear('deadline');
    if (frame.type === 'auth_ok') {
      this.authenticated(gen, frame);
      if (gen !== this.generation) return;
    }
    let channel: ReturnType<ChannelTable['accept']>;
    if (frame.type === 'notification') {
      const n = frame.data as NotificationData;
      if (n?.stream === 'channel') {
        if (!(channel = this.channels.accept(n))) return;
      } else if (!this.streams.accept(n)) return;
    }
    this.events.emit('message', frame);
    if (gen !== this.generation) return;
    if (this.channels.answer(frame)) return;
    if (this.requests.settle(frame)) return;
    switch (frame.type) {
      case 'notification':
        this.events.emit('notification', frame.data as NotificationData);
        if (channel && gen === this.generation) this.channels.deliver(channel, frame.data as NotificationData & { stream: 'channel' });
        return;
      case 'broadcast':
      case 'direct':
        return this.events.emit(frame.type, frame.data as ChatData);
      case 'error': {
        const data = (frame.data ?? {}) as Partial<ErrorData>;
        if (frame.id !== undefined && frame.id === this.refreshId) {
          this.refreshId = undefined;
          this.retryRefresh(gen);
        }
        return this.emitError(new HeraldError(data.code ?? 'internal', data.message ?? 'error', frame.id, data.errors));
      }
    }
  }

  private authenticated(gen: number, frame: Envelope): void {
    const ok = frame.data as AuthOkData;
    if (this.current === 'open') {
      // A refresh: only the expiry moves.
      const previous = this.session!.expiresAt;
      this.session = { ...this.session!, expiresAt: ok.expiresAt };
      this.refreshId = undefined;
      if (ok.expiresAt > previous) this.scheduleRefresh(gen);
      else this.retryRefresh(gen);
      return;
    }
    this.timers.clear('deadline');
    this.session = ok;
    this.attempt = 0;
    if (this.everOpened) this.reconnectCount++;
    this.everOpened = true;
    this.streams.authenticated(ok);
    this.scheduleRefresh(gen);
    this.startHeartbeat(gen, ok.heartbeatMs);
    // Listeners run last: one may close() the client, which clears what was just set up.
    this.setState('open');
    if (gen === this.generation) this.channels.opened();
    if (gen === this.generation) this.events.emit('open', ok);
    if (gen === this.generation && ok.recovered !== undefined) {
      this.events.emit('recovered', { recovered: ok.recovered, streams: this.streams.snapshot() });
    }
  }

  /** App-level ping (browsers cannot see protocol pings); no frame within the timeout → the server is gone. */
  private startHeartbeat(gen: number, serverMs: number): void {
    const interval = this.options.pingIntervalMs ?? serverMs;
    const timeout = this.options.pongTimeoutMs ?? Math.min(interval, 10_000);
    const tick = () => {
      if (gen !== this.generation) return;
      if (!this.timers.has('deadline')) {
        this.write({ type: 'ping' });
        this.timers.set('deadline', timeout, () => this.disconnected(gen, { kind: 'dead' }));
      }
      this.timers.set('ping', interval, tick);
    };
    this.timers.set('ping', interval, tick);
  }

  private scheduleRefresh(gen: number): void {
    const remaining = this.session!.expiresAt - Date.now();
    const wait = remaining - Math.min(this.options.refreshMarginMs ?? 30_000, remaining / 4);
    if (wait > MAX_TIMER_MS) return this.timers.set('refresh', MAX_TIMER_MS, () => this.scheduleRefresh(gen));
    this.timers.set('refresh', wait, () => void this.refresh(gen));
  }

  private async refresh(gen: number): Promise<void> {
    let token: string;
    try {
      token = await this.options.getToken({ reason: 'refresh', forceRefresh: false });
    } catch (err) {
      if (gen !== this.generation) return;
      this.emitError(new HeraldError('refresh_failed', `getToken failed: ${messageOf(err)}`, undefined, undefined, { cause: err }));
      return this.retryRefresh(gen);
    }
    if (gen !== this.generation || this.current !== 'open') return;
    this.refreshId = `refresh-${++this.refreshSeq}`;
    this.write({ type: 'auth', id: this.refreshId, data: { token } });
  }

  /** Tries again while the token lives; past expiry Herald closes with 4401 and the reconnect gets a fresh token. */
  private retryRefresh(gen: number): void {
    const remaining = (this.session?.expiresAt ?? 0) - Date.now();
    if (remaining <= 0) return;
    this.timers.set('refresh', Math.max(MIN_REFRESH_RETRY_MS, remaining / 2), () => void this.refresh(gen));
  }

  private disconnected(gen: number, d: Disconnect): void {
    if (gen !== this.generation || this.current === 'closed') return;
    this.generation++;
    const reaction = reactTo(d);
    if (reaction.action === 'reconnect' && reaction.shrinkFrameLimit && this.largestSent > 0) {
      this.frameLimit = Math.min(this.frameLimit, this.largestSent - 1);
    }
    this.teardown(d.kind === 'dead' ? 4000 : 1000, 'reconnecting', new HeraldError('connection_lost', 'connection lost'));
    if (reaction.action === 'stop') {
      const error = new HeraldError('stopped', reaction.reason);
      this.setState('closed', { disconnect: d, error });
      return this.emitError(error);
    }
    if (reaction.freshToken) this.wantFreshToken = true;
    const immediate = reaction.delay === 'now' && this.attempt === 0;
    const delayMs = Math.max(immediate ? 0 : backoffDelay(this.attempt, this.options.backoff, this.options.random), reaction.minDelayMs ?? 0);
    this.attempt++;
    this.setState('reconnecting', { delayMs, disconnect: d });
    const next = this.generation;
    this.timers.set('reconnect', delayMs, () => {
      if (next === this.generation) void this.open();
    });
  }

  private teardown(code: number, reason: string, error: HeraldError): void {
    this.timers.clearAll();
    if (this.socket) discard(this.socket, code, reason);
    this.socket = undefined;
    this.session = undefined;
    this.refreshId = undefined;
    this.channels.closed();
    this.requests.rejectAll((id) => new HeraldError(error.code, `${error.message} before a reply to ${id}`, id));
  }

  private setState(state: ConnectionState, extra: Partial<StateChange> = {}): void {
    const previous = this.current;
    this.current = state;
    this.events.emit('state', { state, previous, attempt: this.attempt, reconnects: this.reconnectCount, ...extra });
  }

  private emitError(error: HeraldError): void {
    this.events.emit('error', error);
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
