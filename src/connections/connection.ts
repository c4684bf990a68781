import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import { CloseCode, encode, encodeError, HeraldWsException } from '../protocol/envelope.js';
import { TokenBucket } from '../common/token-bucket.js';
import { writeFrame } from './ws-frame.js';

export type TimerName = 'auth' | 'expiry';

export interface ConnectionInit {
  /** The gateway's path (`/demo`): one string shared by its connections. */
  path: string;
  /** The user the ticket was issued to: the `auth` JWT must carry the same `sub`. */
  ticketUserId: string;
  remoteAddress?: string;
  userAgent?: string;
  bucket: TokenBucket;
  /** Shared by every connection: one object, not a copy per socket. */
  shared: ConnectionShared;
}

/** What every connection of an app has in common. */
export interface ConnectionShared {
  sendBufferMaxBytes: number;
  hooks: ConnectionHooks;
}

/** What a connection reports to metrics without knowing about them. */
interface ConnectionHooks {
  slowConsumer(conn: Connection): void;
  errorSent(code: string, conn: Connection): void;
  replySent(type: string, conn: Connection): void;
}

/** Message handling of an idle connection: one settled promise for all of them. */
export const IDLE_QUEUE: Promise<void> = Promise.resolve();

const OPEN = 1;

/** Everything Herald knows about one socket. Plain state; services act on it. */
export class Connection {
  readonly id = randomUUID();
  readonly openedAt = Date.now();
  /** The gateway's path, e.g. `/notification`: the core knows gateways by path, never by name. */
  readonly path: string;
  readonly ticketUserId: string;
  readonly remoteAddress?: string;
  readonly userAgent?: string;
  readonly bucket: TokenBucket;

  authenticated = false;
  userId?: string;
  expiresAt?: number;
  /** Heartbeat: set on every pong, cleared when a ping goes out. */
  alive = true;
  /** Which of HeartbeatService's ticks pings this connection. */
  heartbeatSlice = 0;
  closing = false;
  /** The close code Herald chose, when Herald ended the connection (a killed socket reports 1006 locally). */
  closeCode?: number;
  closeReason?: string;

  messagesIn = 0;
  messagesOut = 0;
  bytesIn = 0;
  bytesOut = 0;

  /** What the layers above keep per connection (the streams layer's subscriptions); the core never reads it. */
  attachment: object | null = null;

  /** The auth deadline (until `auth_ok`); cleared on auth and on close. */
  private authTimer?: NodeJS.Timeout;
  /** Token expiry: the slot HeartbeatService's deadline wheel holds this connection in (0: none). */
  deadlineSlot = 0;
  /** Serializes message handling so replies keep the order of requests. */
  queue: Promise<void> = IDLE_QUEUE;
  /** Messages in `queue` not yet handled: capped at the rate limit's burst (issue 11: unbounded while Redis hung). */
  waiting = 0;
  /** The gateway's message handlers, bound to this socket by Nest; looked up by the adapter's shared index. */
  handlers?: Array<(...args: unknown[]) => unknown>;

  private readonly shared: ConnectionShared;

  constructor(
    readonly socket: WebSocket,
    init: ConnectionInit,
  ) {
    this.path = init.path;
    this.ticketUserId = init.ticketUserId;
    this.remoteAddress = init.remoteAddress;
    this.userAgent = init.userAgent;
    this.bucket = init.bucket;
    this.shared = init.shared;
    CONNECTIONS.set(socket, this);
  }

  get isOpen(): boolean {
    return this.socket.readyState === OPEN && !this.closing;
  }

  /**
   * Sends one pre-encoded text message. With `wire`, the same message already
   * framed (`textFrame`), shared by a whole fan-out and written as is.
   */
  send(payload: Buffer, wire?: Buffer): boolean {
    if (!this.admit()) return false;
    if (wire === undefined || !writeFrame(this.socket, wire)) this.socket.send(payload, { binary: false });
    this.messagesOut++;
    this.bytesOut += payload.length;
    return true;
  }

  /** Several messages in one write: `wire` is all of them framed back to back (`textFrame` each). */
  sendBatch(payloads: Buffer[], wire: Buffer, payloadBytes: number): boolean {
    if (!this.admit()) return false;
    if (!writeFrame(this.socket, wire)) for (const payload of payloads) this.socket.send(payload, { binary: false });
    this.messagesOut += payloads.length;
    this.bytesOut += payloadBytes;
    return true;
  }

  /**
   * Open, and not a consumer that stopped reading: that one is cut, not
   * buffered forever. The backlog already unsent decides, not the new frame:
   * one frame larger than the limit (a big REST payload) must not cut every healthy reader.
   */
  private admit(): boolean {
    const socket = this.socket;
    if (socket.readyState !== OPEN || this.closing) return false;
    if (socket.bufferedAmount > this.shared.sendBufferMaxBytes) {
      this.shared.hooks.slowConsumer(this);
      this.kill(CloseCode.SLOW_CONSUMER, 'slow consumer');
      return false;
    }
    return true;
  }

  /** The direct answer to a request: the request's `id`, counted as a reply. */
  reply(type: string, data: unknown, id: string | undefined): boolean {
    this.shared.hooks.replySent(type, this);
    return this.send(encode(type, data, id));
  }

  sendError(error: HeraldWsException, id?: string): boolean {
    this.shared.hooks.errorSent(error.code, this);
    return this.send(encodeError(error, id));
  }

  /** Arms the auth deadline (token expiry lives on HeartbeatService's wheel, not a timer per socket). */
  setAuthTimer(ms: number, fn: () => void): void {
    this.clearAuthTimer();
    this.authTimer = setTimeout(fn, Math.max(0, ms));
    this.authTimer.unref();
  }

  clearAuthTimer(): void {
    if (this.authTimer === undefined) return;
    clearTimeout(this.authTimer);
    this.authTimer = undefined;
  }

  /** What is armed for this connection, by name (for inspection). */
  get timers(): Set<TimerName> {
    const timers = new Set<TimerName>();
    if (this.authTimer) timers.add('auth');
    if (this.deadlineSlot !== 0) timers.add('expiry');
    return timers;
  }

  /** Closing handshake with a code; the peer has `closeTimeout` (ws: 30s) to answer. */
  close(code: number, reason: string): void {
    if (this.closing) return;
    this.closing = true;
    if (this.socket.readyState === OPEN) [this.closeCode, this.closeReason] = [code, reason];
    this.socket.close(code, reason);
  }

  /** Sends the close frame if the socket takes it, then drops the TCP connection at once. */
  kill(code: number, reason: string): void {
    if (this.socket.readyState === OPEN) {
      this.socket.close(code, reason);
      this.closeCode ??= code;
      this.closeReason ??= reason;
    }
    this.closing = true;
    this.socket.terminate();
  }
}

const CONNECTIONS = new WeakMap<WebSocket, Connection>();

const LABELS = new Map<string, string>();

/** A gateway's metric and log label: its path without the slash (`/demo` → `demo`), one string per path. */
export function gatewayLabel(path: string): string {
  let label = LABELS.get(path);
  if (label === undefined) LABELS.set(path, (label = path.slice(1)));
  return label;
}

export function connectionOf(socket: unknown): Connection | undefined {
  return CONNECTIONS.get(socket as WebSocket);
}
