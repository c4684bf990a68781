import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import { CloseCode, encodeError, HeraldWsException } from '../protocol/envelope.js';
import { TokenBucket } from './token-bucket.js';

export type GatewayName = 'demo' | 'notification';
export type StreamName = 'user' | 'broadcast';

export interface StreamPosition {
  offset: number;
  epoch: string;
}

export interface ConnectionInit {
  gateway: GatewayName;
  /** The user the ticket was issued to: the `auth` JWT must carry the same `sub`. */
  ticketUserId: string;
  remoteAddress?: string;
  userAgent?: string;
  sendBufferMaxBytes: number;
  bucket: TokenBucket;
  hooks: ConnectionHooks;
}

/** What a connection reports to metrics without knowing about them. */
export interface ConnectionHooks {
  slowConsumer(conn: Connection): void;
  errorSent(code: string, conn: Connection): void;
}

const OPEN = 1;

/** Everything Herald knows about one socket. Plain state; services act on it. */
export class Connection {
  readonly id = randomUUID();
  readonly openedAt = Date.now();
  readonly gateway: GatewayName;
  readonly ticketUserId: string;
  readonly remoteAddress?: string;
  readonly userAgent?: string;
  readonly bucket: TokenBucket;

  authenticated = false;
  userId?: string;
  expiresAt?: number;
  /** Heartbeat: set on every pong, cleared when a ping goes out. */
  alive = true;
  closing = false;
  /** The close code Herald chose, when Herald ended the connection (a killed socket reports 1006 locally). */
  closeCode?: number;
  closeReason?: string;

  messagesIn = 0;
  messagesOut = 0;
  bytesIn = 0;
  bytesOut = 0;

  /** Notification streams: last offset delivered per stream, for ordering and dedupe. */
  readonly positions = new Map<StreamName, StreamPosition>();
  /** While non-null, live notifications are parked here (auth/recovery in progress). */
  parked: Array<() => void> | null = null;

  /** Per-connection timers (auth deadline, token expiry); cleared on close. */
  readonly timers = new Map<string, NodeJS.Timeout>();
  /** Serializes message handling so replies keep the order of requests. */
  queue: Promise<void> = Promise.resolve();

  private readonly sendBufferMaxBytes: number;
  private readonly hooks: ConnectionHooks;

  constructor(
    readonly socket: WebSocket,
    init: ConnectionInit,
  ) {
    this.gateway = init.gateway;
    this.ticketUserId = init.ticketUserId;
    this.remoteAddress = init.remoteAddress;
    this.userAgent = init.userAgent;
    this.sendBufferMaxBytes = init.sendBufferMaxBytes;
    this.bucket = init.bucket;
    this.hooks = init.hooks;
    CONNECTIONS.set(socket, this);
  }

  get isOpen(): boolean {
    return this.socket.readyState === OPEN && !this.closing;
  }

  /** Sends one pre-encoded frame. A consumer that stopped reading is cut, not buffered forever. */
  send(frame: Buffer): boolean {
    if (!this.isOpen) return false;
    // the backlog already unsent decides, not the new frame: one frame larger than the limit
    // (a big REST payload) must not cut every healthy reader
    if (this.socket.bufferedAmount > this.sendBufferMaxBytes) {
      this.hooks.slowConsumer(this);
      this.kill(CloseCode.SLOW_CONSUMER, 'slow consumer');
      return false;
    }
    this.socket.send(frame, { binary: false });
    this.messagesOut++;
    this.bytesOut += frame.length;
    return true;
  }

  sendError(error: HeraldWsException, id?: string): boolean {
    this.hooks.errorSent(error.code, this);
    return this.send(encodeError(error, id));
  }

  setTimer(name: string, ms: number, fn: () => void): void {
    this.clearTimer(name);
    const timer = setTimeout(fn, Math.max(0, ms));
    timer.unref();
    this.timers.set(name, timer);
  }

  clearTimer(name: string): void {
    const timer = this.timers.get(name);
    if (timer) clearTimeout(timer);
    this.timers.delete(name);
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

export function connectionOf(socket: unknown): Connection | undefined {
  return CONNECTIONS.get(socket as WebSocket);
}
