import { Inject, Injectable } from '@nestjs/common';
import type { IncomingMessage } from 'node:http';
import { TICKETS, type TicketStore } from '../tickets/ticket.store.js';
import { HERALD_CONFIG, type HeraldConfig } from '../config/herald-config.js';
import { DrainState } from './drain.state.js';
import { ConnectionRegistry } from './connection.registry.js';

interface Slot {
  forUser(userId: string): void;
  release(): void;
}

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
   * Upgrades not yet in the registry, counted from the moment their request is
   * complete: against MAX_CONNECTIONS at once, against the per-user limit once
   * the ticket names the user. So upgrades left waiting on the ticket store
   * (a slow Redis) hold slots, and concurrent ones cannot slip under the limits.
   */
  private pendingTotal = 0;
  private readonly pendingPerUser = new Map<string, number>();

  /** Upgrades waiting for admission or registration (for metrics and tests). */
  get pending(): number {
    return this.pendingTotal;
  }

  async admit(req: IncomingMessage, url: URL): Promise<Admission> {
    const unavailable = this.unavailable();
    if (unavailable) return unavailable;
    const slot = this.reserve();
    try {
      const admission = await this.check(req, url, slot);
      if (!admission.ok) slot.release();
      return admission;
    } catch (err) {
      slot.release();
      throw err;
    }
  }

  private async check(req: IncomingMessage, url: URL, slot: Slot): Promise<Admission> {
    const { allowedOrigins, maxConnectionsPerUser } = this.config;
    const origin = req.headers.origin;
    if (origin !== undefined && allowedOrigins.length > 0 && !allowedOrigins.includes(origin)) {
      return { ok: false, status: 403, reason: 'origin not allowed' };
    }
    const ticket = url.searchParams.get('ticket');
    if (!ticket) return { ok: false, status: 401, reason: 'missing ticket' };
    const userId = await this.tickets.peek(ticket);
    if (!userId) return this.burn(ticket, 'unknown, expired or used ticket');
    // the drain may have started while the ticket store answered
    if (this.drain.draining) return { ok: false, status: 503, reason: 'shutting down' };
    if (this.registry.openCount(userId) + (this.pendingPerUser.get(userId) ?? 0) >= maxConnectionsPerUser) {
      return { ok: false, status: 429, reason: 'too many connections for this user' };
    }
    slot.forUser(userId);
    if ((await this.tickets.consume(ticket)) !== userId) return this.burn(ticket, 'unknown, expired or used ticket');
    return { ok: true, userId, release: slot.release };
  }

  private unavailable(): Admission | undefined {
    if (this.drain.draining) return { ok: false, status: 503, reason: 'shutting down' };
    const { maxConnections } = this.config;
    if (maxConnections > 0 && this.registry.size + this.pendingTotal >= maxConnections) {
      return { ok: false, status: 503, reason: 'instance at capacity' };
    }
    return undefined;
  }

  /** One pending upgrade's hold on the instance and, once known, on its user; released once. */
  private reserve(): Slot {
    this.pendingTotal++;
    let userId: string | undefined;
    let released = false;
    return {
      forUser: (id: string) => {
        userId = id;
        this.pendingPerUser.set(id, (this.pendingPerUser.get(id) ?? 0) + 1);
      },
      release: () => {
        if (released) return;
        released = true;
        this.pendingTotal--;
        if (userId === undefined) return;
        const left = this.pendingPerUser.get(userId)! - 1;
        if (left > 0) this.pendingPerUser.set(userId, left);
        else this.pendingPerUser.delete(userId);
      },
    };
  }

  private async burn(ticket: string, reason: string): Promise<Admission> {
    await this.tickets.consume(ticket);
    return { ok: false, status: 401, reason };
  }
}
