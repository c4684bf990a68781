import { Injectable } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from '../logging/pino-logger.js';
import { safeUrl } from '../logging/safe-url.js';
import type { IncomingMessage } from 'node:http';
import { Connection } from './connection.js';

/**
 * The "morgan for websockets": one JSON line per connection event, every line
 * with its connectionId, never a token or ticket.
 */
@Injectable()
export class AccessLog {
  constructor(@InjectPinoLogger('ws') private readonly log: PinoLogger) {}

  refused(req: IncomingMessage, status: number, reason: string): void {
    this.log.info(
      { event: 'ws.refused', status, reason, url: safeUrl(req.url), remoteAddress: req.socket.remoteAddress, userAgent: req.headers['user-agent'] },
      'upgrade refused',
    );
  }

  opened(conn: Connection): void {
    this.log.info({ event: 'ws.open', ...this.base(conn), remoteAddress: conn.remoteAddress, userAgent: conn.userAgent }, 'connection opened');
  }

  authenticated(conn: Connection, refresh: boolean): void {
    this.log.info({ event: refresh ? 'ws.refresh' : 'ws.auth', ...this.base(conn), expiresAt: conn.expiresAt }, refresh ? 'token refreshed' : 'connection authenticated');
  }

  message(conn: Connection, type: string, bytes: number): void {
    if (this.log.logger.isLevelEnabled('debug')) this.log.debug({ event: 'ws.message', ...this.base(conn), type, bytes }, 'message');
  }

  closed(conn: Connection, code: number, initiator: 'client' | 'server', reason: string): void {
    this.log.info(
      {
        event: 'ws.close',
        ...this.base(conn),
        code,
        initiator,
        reason,
        remoteAddress: conn.remoteAddress,
        userAgent: conn.userAgent,
        durationMs: Date.now() - conn.openedAt,
        messagesIn: conn.messagesIn,
        messagesOut: conn.messagesOut,
        bytesIn: conn.bytesIn,
        bytesOut: conn.bytesOut,
      },
      'connection closed',
    );
  }

  private base(conn: Connection) {
    return { connectionId: conn.id, path: conn.path, userId: conn.userId ?? conn.ticketUserId };
  }
}
