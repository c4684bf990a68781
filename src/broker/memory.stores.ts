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

/**
 * Idempotency keys of this one instance, forgotten after their TTL. The map's
 * insertion order is expiry order (one TTL, IDEMPOTENCY_TTL_MS), so each claim
 * drops the expired keys at its front: no scan of every key, and no expired key
 * outlives the next claim.
 */
export class MemoryIdempotency implements IdempotencyStore {
  private readonly keys = new Map<string, { id: string; expires: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  get size(): number {
    return this.keys.size;
  }

  async claim(key: string, id: string, ttlMs: number): Promise<string | undefined> {
    const now = this.now();
    this.expire(now);
    const found = this.keys.get(key);
    if (found && found.expires > now) return found.id;
    this.keys.delete(key); // re-inserted at the back, in expiry order
    this.keys.set(key, { id, expires: now + ttlMs });
    return undefined;
  }

  async release(key: string): Promise<void> {
    this.keys.delete(key);
  }

  private expire(now: number): void {
    for (const [key, entry] of this.keys) {
      if (entry.expires > now) return;
      this.keys.delete(key);
    }
  }
}
