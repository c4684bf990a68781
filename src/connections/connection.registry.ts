import { Injectable } from '@nestjs/common';
import { addOne, itemsOf, type OneOrSet, removeOne } from '../common/one-or-set.js';
import { Connection, GatewayName } from './connection.js';

/**
 * This instance's sockets, indexed for fan-out. `all` holds every open socket;
 * the gateway and user indexes hold authenticated ones only, since nothing is
 * delivered before `auth_ok`.
 */
@Injectable()
export class ConnectionRegistry {
  readonly all = new Set<Connection>();
  private readonly byGateway = new Map<GatewayName, Set<Connection>>();
  /** Most users hold one connection: that one is stored as is, a Set only for two or more. */
  private readonly byUser = new Map<string, OneOrSet<Connection>>();
  /** Open sockets per ticket user, authenticated or not (the 429 limit). */
  private readonly openPerUser = new Map<string, number>();

  add(conn: Connection): void {
    this.all.add(conn);
    this.openPerUser.set(conn.ticketUserId, (this.openPerUser.get(conn.ticketUserId) ?? 0) + 1);
  }

  authenticate(conn: Connection): void {
    addTo(this.byGateway, conn.gateway, conn);
    addOne(this.byUser, conn.userId!, conn);
  }

  remove(conn: Connection): void {
    if (!this.all.delete(conn)) return;
    const open = (this.openPerUser.get(conn.ticketUserId) ?? 1) - 1;
    if (open > 0) this.openPerUser.set(conn.ticketUserId, open);
    else this.openPerUser.delete(conn.ticketUserId);
    if (conn.authenticated) {
      removeFrom(this.byGateway, conn.gateway, conn);
      removeOne(this.byUser, conn.userId!, conn);
    }
  }

  get size(): number {
    return this.all.size;
  }

  openCount(userId: string): number {
    return this.openPerUser.get(userId) ?? 0;
  }

  onGateway(gateway: GatewayName): Iterable<Connection> {
    return this.byGateway.get(gateway) ?? [];
  }

  ofUser(userId: string, gateway?: GatewayName): Connection[] {
    const conns = itemsOf(this.byUser, userId);
    return gateway ? conns.filter((c) => c.gateway === gateway) : conns;
  }

  countByGateway(): Record<GatewayName, number> {
    const counts = { demo: 0, notification: 0 };
    for (const conn of this.all) counts[conn.gateway]++;
    return counts;
  }
}

function addTo<K>(index: Map<K, Set<Connection>>, key: K, conn: Connection): void {
  let set = index.get(key);
  if (!set) index.set(key, (set = new Set()));
  set.add(conn);
}

function removeFrom<K>(index: Map<K, Set<Connection>>, key: K, conn: Connection) {
  const set = index.get(key);
  if (!set) return;
  set.delete(conn);
  if (set.size === 0) index.delete(key);
}
