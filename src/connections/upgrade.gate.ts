import { Inject, Injectable } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { TICKETS, type TicketStore } from '../auth/ticket.store.js';
import { HERALD_CONFIG, type HeraldConfig } from '../config/herald-config.js';
import { DrainState } from './drain.state.js';
import { ConnectionRegistry } from './connection.registry.js';

export type Admission =
  /** `release` must be called once the socket is registered (or given up): until then the slot stays reserved. */
  | { ok: true; userId: string; release: () => void }
  | { ok: false; status: 401 | 403 | 429 | 503; reason: string };

/**
 * PROTOCOL §2.2: who may open a socket, checked in the contract's order
 * (path is the adapter's: 404; then 503, 403, 401, 429). Only a 401 or an
 * admission uses the ticket up.
 */
@Injectable()
export class UpgradeGate {
  constructor(
    @Inject(HERALD_CONFIG) private readonly config: HeraldConfig,
    @Inject(TICKETS) private readonly tickets: TicketStore,
    private readonly registry: ConnectionRegistry,
    private readonly drain: DrainState,
  ) {}

  /**
   * Admitted upgrades not yet in the registry: counted against both limits, so
   * that concurrent upgrades awaiting the ticket store cannot all slip under them.
   */
  private pendingTotal = 0;
  private readonly pendingPerUser = new Map<string, number>();

  async admit(req: IncomingMessage, url: URL): Promise<Admission> {
    const { allowedOrigins, maxConnectionsPerUser } = this.config;
    const unavailable = this.unavailable();
    if (unavailable) return unavailable;
    const origin = req.headers.origin;
    if (origin !== undefined && allowedOrigins.length > 0 && !allowedOrigins.includes(origin)) {
      return { ok: false, status: 403, reason: 'origin not allowed' };
    }
    const ticket = url.searchParams.get('ticket');
    if (!ticket) return { ok: false, status: 401, reason: 'missing ticket' };
    const userId = await this.tickets.peek(ticket);
    if (!userId) return this.burn(ticket, 'unknown, expired or used ticket');
    // checked again: other upgrades may have been admitted while the ticket store answered
    const full = this.unavailable();
    if (full) return full;
    if (this.registry.openCount(userId) + (this.pendingPerUser.get(userId) ?? 0) >= maxConnectionsPerUser) {
      return { ok: false, status: 429, reason: 'too many connections for this user' };
    }
    const release = this.reserve(userId);
    const consumed = await this.tickets.consume(ticket).catch((err) => {
      release();
      throw err;
    });
    if (consumed !== userId) {
      release();
      return this.burn(ticket, 'unknown, expired or used ticket');
    }
    return { ok: true, userId, release };
  }

  private unavailable(): Admission | undefined {
    if (this.drain.draining) return { ok: false, status: 503, reason: 'shutting down' };
    const { maxConnections } = this.config;
    if (maxConnections > 0 && this.registry.size + this.pendingTotal >= maxConnections) {
      return { ok: false, status: 503, reason: 'instance at capacity' };
    }
    return undefined;
  }

  private reserve(userId: string): () => void {
    this.pendingTotal++;
    this.pendingPerUser.set(userId, (this.pendingPerUser.get(userId) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.pendingTotal--;
      const left = this.pendingPerUser.get(userId)! - 1;
      if (left > 0) this.pendingPerUser.set(userId, left);
      else this.pendingPerUser.delete(userId);
    };
  }

  private async burn(ticket: string, reason: string): Promise<Admission> {
    await this.tickets.consume(ticket);
    return { ok: false, status: 401, reason };
  }
}
