import { Injectable } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import type { IncomingMessage } from 'node:http';
import { Connection } from './connection.js';

/**
 * A request target as it may be logged: the path, and every query value
 * redacted whatever its name (`?tick%65t=T` decodes to `ticket` too). A part
 * without `=` could be a bare secret, so it is redacted whole. Parses nothing:
 * a malformed target is safe too.
 */
export function safeUrl(url: string | undefined): string {
  const target = (url ?? '').slice(0, 2048);
  const q = target.indexOf('?');
  if (q < 0) return target;
  const query = target
    .slice(q + 1)
    .split('&')
    .map((part) => {
      const eq = part.indexOf('=');
      return eq < 0 ? (part === '' ? '' : '[redacted]') : `${part.slice(0, eq)}=[redacted]`;
    });
  return `${target.slice(0, q)}?${query.join('&')}`;
}

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
    return { connectionId: conn.id, path: `/${conn.gateway}`, userId: conn.userId ?? conn.ticketUserId };
  }
}
