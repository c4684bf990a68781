import { Inject, Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { HERALD_CONFIG, type HeraldConfig } from '../config/herald-config.js';
import { CloseCode } from '../protocol/envelope.js';
import { MetricsService } from '../ops/metrics.service.js';
import type { WebSocket } from 'ws';
import { Connection, connectionOf } from './connection.js';
import { ConnectionRegistry } from './connection.registry.js';
import { authDeadlineIn, expiryIn, heartbeatAction } from './heartbeat.policy.js';

const MAX_TIMER_MS = 2 ** 31 - 1;

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
  }

  /** Starts watching a new connection: pongs, and the AUTH_TIMEOUT_MS deadline. */
  track(conn: Connection): void {
    conn.socket.on('pong', onPong);
    const ms = authDeadlineIn(conn.openedAt, Date.now(), this.config.authTimeoutMs);
    conn.setTimer('auth', ms, () => {
      if (!conn.authenticated) conn.close(CloseCode.AUTH_TIMEOUT, 'auth timeout');
    });
  }

  /** Called on every successful `auth`: the deadline is met and the token's expiry (re)armed. */
  authenticated(conn: Connection): void {
    conn.clearTimer('auth');
    this.armExpiry(conn);
  }

  /** One `expiry` timer per connection, re-armed in steps: setTimeout fires at once past 2^31-1 ms (~24.8 days). */
  private armExpiry(conn: Connection): void {
    const ms = expiryIn(conn.expiresAt!, Date.now(), this.config.jwt.clockToleranceSec);
    if (ms > MAX_TIMER_MS) return conn.setTimer('expiry', MAX_TIMER_MS, () => this.armExpiry(conn));
    conn.setTimer('expiry', ms, () => conn.close(CloseCode.UNAUTHORIZED, 'token expired'));
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
