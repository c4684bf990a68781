import type { IdempotencyStore, PresenceManager } from './broker.js';
import { addOne, countOf, type OneOrSet, removeOne } from './one-or-set.js';

/** Presence of this one instance. */
export class MemoryPresence implements PresenceManager {
  private readonly users = new Map<string, OneOrSet<string>>();

  async add(userId: string, connectionId: string): Promise<void> {
    addOne(this.users, userId, connectionId);
  }

  async remove(userId: string, connectionId: string): Promise<void> {
    removeOne(this.users, userId, connectionId);
  }

  async count(userId: string): Promise<number> {
    return countOf(this.users, userId);
  }

  async close(): Promise<void> {}
}

/** Idempotency keys of this one instance, forgotten after their TTL. */
export class MemoryIdempotency implements IdempotencyStore {
  private readonly keys = new Map<string, { id: string; expires: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  async claim(key: string, id: string, ttlMs: number): Promise<string | undefined> {
    const now = this.now();
    const found = this.keys.get(key);
    if (found && found.expires > now) return found.id;
    if (this.keys.size > 10_000) this.sweep(now);
    this.keys.set(key, { id, expires: now + ttlMs });
    return undefined;
  }

  async release(key: string): Promise<void> {
    this.keys.delete(key);
  }

  private sweep(now: number) {
    for (const [key, entry] of this.keys) if (entry.expires <= now) this.keys.delete(key);
  }
}
