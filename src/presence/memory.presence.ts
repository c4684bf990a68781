import type { ChannelPresence, IdempotencyStore, PresenceManager } from './broker.js';
import { addOne, countOf, type OneOrSet, removeOne } from '../common/one-or-set.js';

/** Presence of this one instance: nothing to expire, entries leave with their connections. */
export class MemoryPresence implements PresenceManager {
  private readonly users = new Map<string, OneOrSet<string>>();
  /** channel → connection id → user id */
  private readonly channels = new Map<string, Map<string, string>>();

  async add(userId: string, connectionId: string): Promise<void> {
    addOne(this.users, userId, connectionId);
  }

  async remove(userId: string, connectionId: string): Promise<void> {
    removeOne(this.users, userId, connectionId);
  }

  async count(userId: string): Promise<number> {
    return countOf(this.users, userId);
  }

  async join(channel: string, userId: string, connectionId: string): Promise<void> {
    let held = this.channels.get(channel);
    if (!held) this.channels.set(channel, (held = new Map()));
    held.set(connectionId, userId);
  }

  async leave(channel: string, _userId: string, connectionId: string): Promise<void> {
    const held = this.channels.get(channel);
    if (!held?.delete(connectionId) || held.size > 0) return;
    this.channels.delete(channel);
  }

  async channel(channel: string, maxUsers: number): Promise<ChannelPresence> {
    const held = this.channels.get(channel);
    if (!held) return { subscribers: 0, users: [] };
    const users = new Set<string>();
    for (const userId of held.values()) {
      if (users.size >= maxUsers) break;
      users.add(userId);
    }
    return { subscribers: held.size, users: [...users] };
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
    return this.claimNow(key, id, ttlMs);
  }

  /** `claim`, synchronously: the memory broker claims and publishes in one step. */
  claimNow(key: string, id: string, ttlMs: number): string | undefined {
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
