import { randomFillSync } from 'node:crypto';

export interface IssuedTicket {
  ticket: string;
  expiresIn: number;
}

/** One-time upgrade tickets (PROTOCOL §2.1): bound to a user, short-lived, single use. */
export interface TicketStore {
  issue(userId: string): Promise<IssuedTicket>;
  /** The ticket's user if it is live and unused; does not use it up. */
  peek(ticket: string): Promise<string | undefined>;
  /** Uses the ticket up; only one caller in the whole deployment gets the user back. */
  consume(ticket: string): Promise<string | undefined>;
}

export const TICKETS = Symbol('TICKETS');

const TICKET_BYTES = 24;
/** Random bytes drawn 256 tickets at a time (one CSPRNG call, not one per ticket); each byte is used once. */
const pool = Buffer.allocUnsafe(TICKET_BYTES * 256);
let poolOffset = pool.length;

/** 24 random bytes: 192 bits, 32 base64url characters. */
export function newTicket(): string {
  if (poolOffset === pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const ticket = pool.toString('base64url', poolOffset, poolOffset + TICKET_BYTES);
  poolOffset += TICKET_BYTES;
  return ticket;
}

export class MemoryTicketStore implements TicketStore {
  private readonly tickets = new Map<string, { userId: string; expires: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Tickets held, used or not, until they expire (for tests and metrics). */
  get size(): number {
    return this.tickets.size;
  }

  async issue(userId: string): Promise<IssuedTicket> {
    const now = this.now();
    this.dropExpired(now);
    const ticket = newTicket();
    this.tickets.set(ticket, { userId, expires: now + this.ttlMs });
    return { ticket, expiresIn: Math.ceil(this.ttlMs / 1000) };
  }

  async peek(ticket: string): Promise<string | undefined> {
    const entry = this.tickets.get(ticket);
    if (!entry) return undefined;
    if (entry.expires <= this.now()) {
      this.tickets.delete(ticket);
      return undefined;
    }
    return entry.userId;
  }

  async consume(ticket: string): Promise<string | undefined> {
    // Read and delete with no await between: concurrent consumers must not both get the user.
    const entry = this.tickets.get(ticket);
    this.tickets.delete(ticket);
    return entry && entry.expires > this.now() ? entry.userId : undefined;
  }

  /**
   * Every ticket lives the same TTL, so the Map (insertion order) is in expiry
   * order: expired tickets are dropped from its front, and the walk stops at the
   * first live one. O(1) per issue, amortised, however many tickets are out.
   */
  private dropExpired(now: number) {
    for (const [ticket, entry] of this.tickets) {
      if (entry.expires > now) return;
      this.tickets.delete(ticket);
    }
  }
}
