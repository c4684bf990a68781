import { Injectable } from '@nestjs/common';
import { Connection } from './connection.js';

/**
 * This instance's open sockets, of every gateway, authenticated or not: what
 * the admission limits count and what drain and heartbeat walk. Who gets
 * which publication is the streams layer's index (StreamSubscriptions), not this.
 */
@Injectable()
export class ConnectionRegistry {
  readonly all = new Set<Connection>();
  /** Open sockets per ticket user, authenticated or not (the 429 limit). */
  private readonly openPerUser = new Map<string, number>();

  add(conn: Connection): void {
    this.all.add(conn);
    this.openPerUser.set(conn.ticketUserId, (this.openPerUser.get(conn.ticketUserId) ?? 0) + 1);
  }

  remove(conn: Connection): void {
    if (!this.all.delete(conn)) return;
    const open = (this.openPerUser.get(conn.ticketUserId) ?? 1) - 1;
    if (open > 0) this.openPerUser.set(conn.ticketUserId, open);
    else this.openPerUser.delete(conn.ticketUserId);
  }

  get size(): number {
    return this.all.size;
  }

  openCount(userId: string): number {
    return this.openPerUser.get(userId) ?? 0;
  }
}
