import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { HERALD_CONFIG, type HeraldConfig } from '../config/herald-config.js';
import { CloseCode } from '../protocol/envelope.js';
import { MetricsService } from '../metrics/metrics.service.js';
import type { WebSocket } from 'ws';
import { Connection, connectionOf } from './connection.js';
import { DeadlineWheel } from '../common/deadline-wheel.js';
import { writeFrame } from './ws-frame.js';
import { ConnectionRegistry } from './connection.registry.js';
import { authDeadlineIn, expiryIn, heartbeatAction } from './heartbeat.policy.js';

/**
 * Each interval is cut into this many ticks, each pinging its share of the
 * connections: 10k sockets pinged in one go block the event loop for a few
 * hundred ms (a latency spike for everything else), a tenth of them at a time do not.
 */
const SLICES = 10;

/** An empty protocol ping (FIN + opcode 9, no payload), the same bytes for every socket. */
const PING_FRAME = Buffer.from([0x89, 0x00]);

/** Token expiry closes at most this late (never early). */
const EXPIRY_RESOLUTION_MS = 100;

/** One 'pong' listener for every socket (`this` is the socket), not a closure per connection. */
function onPong(this: WebSocket): void {
  const conn = connectionOf(this);
  if (conn) conn.alive = true;
}

/**
 * The one scheduler for every connection of both gateways: a protocol ping
 * every HEARTBEAT_INTERVAL_MS (cutting connections that missed the last one),
 * the auth deadline, and token expiry. Every timer is unref'd and cleared.
 */
@Injectable()
export class HeartbeatService implements OnModuleInit, OnModuleDestroy {
  private timer?: NodeJS.Timeout;
  private readonly expiries = new DeadlineWheel<Connection>(EXPIRY_RESOLUTION_MS, (conn) => conn.close(CloseCode.UNAUTHORIZED, 'token expired'));

  constructor(
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    private readonly registry: ConnectionRegistry,
    private readonly metrics: MetricsService,
  ) {}

  private slice = 0;
  private nextSlice = 0;

  onModuleInit(): void {
    this.timer = setInterval(() => this.tick(), Math.max(1, Math.floor(this.config.heartbeatIntervalMs / SLICES)));
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
    this.expiries.close();
  }

  /** Starts watching a new connection: pongs, and the AUTH_TIMEOUT_MS deadline. */
  track(conn: Connection): void {
    conn.heartbeatSlice = this.nextSlice;
    this.nextSlice = (this.nextSlice + 1) % SLICES;
    conn.socket.on('pong', onPong);
    const ms = authDeadlineIn(conn.openedAt, Date.now(), this.config.authTimeoutMs);
    conn.setAuthTimer(ms, () => {
      if (!conn.authenticated) conn.close(CloseCode.AUTH_TIMEOUT, 'auth timeout');
    });
  }

  /** Called on every successful `auth`: the deadline is met and the token's expiry (re)scheduled. */
  authenticated(conn: Connection): void {
    conn.clearAuthTimer();
    const ms = expiryIn(conn.expiresAt!, Date.now(), this.config.jwt.clockToleranceSec);
    this.expiries.schedule(conn, Date.now() + ms);
  }

  /** A closed connection: nothing left to fire for it. */
  untrack(conn: Connection): void {
    conn.clearAuthTimer();
    this.expiries.cancel(conn);
  }

  /** One slice: every connection is visited once per HEARTBEAT_INTERVAL_MS. */
  tick(): void {
    const slice = this.slice;
    this.slice = (slice + 1) % SLICES;
    for (const conn of this.registry.all) {
      if (conn.heartbeatSlice !== slice) continue;
      if (heartbeatAction(conn) === 'terminate') {
        this.metrics.kills.inc({ reason: 'heartbeat' });
        conn.kill(CloseCode.HEARTBEAT_TIMEOUT, 'heartbeat timeout');
        continue;
      }
      conn.alive = false;
      try {
        if (!writeFrame(conn.socket, PING_FRAME)) conn.socket.ping();
      } catch {
        // socket already closing; its close handler cleans up
      }
    }
  }
}
