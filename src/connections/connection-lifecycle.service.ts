import { Inject, Injectable, Logger } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import { PRESENCE, type PresenceManager } from '../presence/presence.js';
import { HERALD_CONFIG, type HeraldConfig } from '../config/herald-config.js';
import { HERALD_CLOSE_CODES } from '@herald/client/protocol';
import { MetricsService } from '../metrics/metrics.service.js';
import { AccessLog } from './access-log.js';
import { Connection, connectionOf, ConnectionShared, gatewayLabel } from './connection.js';
import { ConnectionRegistry } from './connection.registry.js';
import { HeartbeatService } from './heartbeat.service.js';
import { TokenBucket } from '../common/token-bucket.js';

/** Opening, authenticating and closing a connection: the bookkeeping both gateways share. */
@Injectable()
export class ConnectionLifecycle {
  private readonly log = new Logger('ConnectionLifecycle');
  private readonly shared: ConnectionShared;
  /** One 'close' listener for every socket (`this` is the socket), not a closure per connection. */
  private readonly onClose: (this: WebSocket, code: number, reason: Buffer) => void;

  constructor(
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    @Inject(PRESENCE) private readonly presence: PresenceManager,
    private readonly registry: ConnectionRegistry,
    private readonly heartbeat: HeartbeatService,
    private readonly metrics: MetricsService,
    private readonly access: AccessLog,
  ) {
    this.shared = {
      sendBufferMaxBytes: config.sendBufferMaxBytes,
      hooks: {
        slowConsumer: () => metrics.kills.inc({ reason: 'slow_consumer' }),
        errorSent: (code: string, conn: Connection) => {
          metrics.errors.inc({ code });
          metrics.messagesOut.inc({ gateway: gatewayLabel(conn.path), type: 'error' });
        },
        replySent: (type: string, conn: Connection) => metrics.messagesOut.inc({ gateway: gatewayLabel(conn.path), type }),
      },
    };
    const closed = (conn: Connection, code: number, reason: string) => this.closed(conn, code, reason);
    this.onClose = function (this: WebSocket, code: number, reason: Buffer) {
      const conn = connectionOf(this);
      if (conn) closed(conn, code, reason.toString());
    };
  }

  /** What the layers above do when a connection ends (the streams layer lets go of its subscriptions). */
  private readonly closeListeners: Array<(conn: Connection) => void> = [];

  onClosed(listener: (conn: Connection) => void): void {
    this.closeListeners.push(listener);
  }

  open(socket: WebSocket, req: IncomingMessage, path: string, userId: string): Connection {
    const { rateLimitPerSec } = this.config;
    const conn = new Connection(socket, {
      path,
      ticketUserId: userId,
      remoteAddress: req.socket.remoteAddress,
      userAgent: req.headers['user-agent'],
      bucket: new TokenBucket(rateLimitPerSec, rateLimitPerSec * 2),
      shared: this.shared,
    });
    this.registry.add(conn);
    this.heartbeat.track(conn);
    this.metrics.connections.inc({ gateway: gatewayLabel(path) });
    socket.on('close', this.onClose);
    this.access.opened(conn);
    return conn;
  }

  /** Marks a verified `auth`; the first one makes the connection a delivery target. */
  async authenticate(conn: Connection, userId: string, expiresAt: number): Promise<void> {
    const refresh = conn.authenticated;
    conn.expiresAt = expiresAt;
    if (!refresh) {
      // the guard checked the JWT's sub is the ticket's user: keep one copy of the string
      conn.userId = userId === conn.ticketUserId ? conn.ticketUserId : userId;
      conn.authenticated = true;
      await this.presence.add(userId, conn.id);
      // closed while presence was being written: the close handler ran before the add
      if (!this.registry.all.has(conn)) await this.presence.remove(userId, conn.id);
    }
    this.heartbeat.authenticated(conn);
    this.access.authenticated(conn, refresh);
  }

  /** `code` is what the peer sent (1006: none); a close Herald started is recorded with Herald's own code. */
  private closed(conn: Connection, peerCode: number, peerReason: string): void {
    this.heartbeat.untrack(conn);
    this.registry.remove(conn);
    for (const listener of this.closeListeners) {
      try {
        listener(conn);
      } catch (err) {
        this.log.error({ err, connectionId: conn.id }, 'close listener failed');
      }
    }
    const code = conn.closeCode ?? peerCode;
    const gateway = gatewayLabel(conn.path);
    this.metrics.connections.dec({ gateway });
    this.metrics.closes.inc({ gateway, code: closeCodeLabel(code) });
    if (conn.authenticated) {
      this.presence.remove(conn.userId!, conn.id).catch((err) => this.log.warn({ err, connectionId: conn.id }, 'presence remove failed'));
    }
    const byServer = conn.closeCode !== undefined;
    this.access.closed(conn, code, byServer ? 'server' : 'client', byServer ? conn.closeReason! : peerReason);
  }
}

const HERALD_CODES = new Set<number>(HERALD_CLOSE_CODES);

/** Peers choose their own close codes (3000-4999): anything but the standard and Herald's own is `other`, to bound the label. */
function closeCodeLabel(code: number): string {
  return code <= 1015 || HERALD_CODES.has(code) ? String(code) : 'other';
}
