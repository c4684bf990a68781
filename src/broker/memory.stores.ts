import type { IdempotencyStore, PresenceManager } from './broker.js';

/** Presence of this one instance. */
export class MemoryPresence implements PresenceManager {
  /** A user's one connection id as is; a Set only for two or more (most users hold one). */
  private readonly users = new Map<string, string | Set<string>>();

  async add(userId: string, connectionId: string): Promise<void> {
    const held = this.users.get(userId);
    if (held === undefined) this.users.set(userId, connectionId);
    else if (typeof held !== 'string') held.add(connectionId);
    else if (held !== connectionId) this.users.set(userId, new Set([held, connectionId]));
  }

  async remove(userId: string, connectionId: string): Promise<void> {
    const held = this.users.get(userId);
    if (held === connectionId) this.users.delete(userId);
    else if (held !== undefined && typeof held !== 'string') {
      held.delete(connectionId);
      if (held.size === 1) this.users.set(userId, held.values().next().value!);
    }
  }

  async count(userId: string): Promise<number> {
    const held = this.users.get(userId);
    return held === undefined ? 0 : typeof held === 'string' ? 1 : held.size;
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
