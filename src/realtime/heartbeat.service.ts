import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { HERALD_CONFIG, type HeraldConfig } from '../config/herald-config.js';
import { CloseCode } from '../protocol/envelope.js';
import { MetricsService } from '../ops/metrics.service.js';
import type { WebSocket } from 'ws';
import { Connection, connectionOf } from './connection.js';
import { DeadlineWheel } from './deadline-wheel.js';
import { ConnectionRegistry } from './connection.registry.js';
import { authDeadlineIn, expiryIn, heartbeatAction } from './heartbeat.policy.js';

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

  onModuleInit(): void {
    this.timer = setInterval(() => this.tick(), this.config.heartbeatIntervalMs);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
    this.expiries.close();
  }

  /** Starts watching a new connection: pongs, and the AUTH_TIMEOUT_MS deadline. */
  track(conn: Connection): void {
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

  tick(): void {
    for (const conn of this.registry.all) {
      if (heartbeatAction(conn) === 'terminate') {
        this.metrics.kills.inc({ reason: 'heartbeat' });
        conn.kill(CloseCode.HEARTBEAT_TIMEOUT, 'heartbeat timeout');
        continue;
      }
      conn.alive = false;
      try {
        conn.socket.ping();
      } catch {
        // socket already closing; its close handler cleans up
      }
    }
  }
}
