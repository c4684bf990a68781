import { createHash } from 'node:crypto';
import { newTicket, type IssuedTicket, type TicketStore } from './ticket.store.js';
import type { RedisConnection } from '../redis/redis.connection.js';

/**
 * Tickets shared by the cluster (PROTOCOL §9): issued on one instance, usable
 * on any, once. The key holds a hash of the ticket, so Redis (and anything
 * watching it) never sees a usable one.
 */
export class RedisTicketStore implements TicketStore {
  constructor(
    private readonly redis: RedisConnection,
    private readonly ttlMs: number,
  ) {}

  async issue(userId: string): Promise<IssuedTicket> {
    for (;;) {
      const ticket = newTicket();
      const stored = await this.redis.call(() => this.redis.client.set(this.key(ticket), userId, 'PX', this.ttlMs, 'NX'));
      if (stored) return { ticket, expiresIn: Math.ceil(this.ttlMs / 1000) };
    }
  }

  async peek(ticket: string): Promise<string | undefined> {
    return (await this.redis.call(() => this.redis.client.get(this.key(ticket)))) ?? undefined;
  }

  /** GETDEL: of all instances racing for one ticket, exactly one gets the user. */
  async consume(ticket: string): Promise<string | undefined> {
    return (await this.redis.call(() => this.redis.client.getdel(this.key(ticket)))) ?? undefined;
  }

  private key(ticket: string): string {
    return this.redis.key(`ticket:${createHash('sha256').update(ticket).digest('base64url')}`);
  }
}
