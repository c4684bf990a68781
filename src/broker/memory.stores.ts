import type { IdempotencyStore, PresenceManager } from './broker.js';

/** Presence of this one instance. */
export class MemoryPresence implements PresenceManager {
  private readonly users = new Map<string, Set<string>>();

  async add(userId: string, connectionId: string): Promise<void> {
    let set = this.users.get(userId);
    if (!set) this.users.set(userId, (set = new Set()));
    set.add(connectionId);
  }

  async remove(userId: string, connectionId: string): Promise<void> {
    const set = this.users.get(userId);
    if (!set) return;
    set.delete(connectionId);
    if (set.size === 0) this.users.delete(userId);
  }

  async count(userId: string): Promise<number> {
    return this.users.get(userId)?.size ?? 0;
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
