/**
 * Idempotency keys of this one instance, forgotten after their TTL. The map's
 * insertion order is expiry order (one TTL, IDEMPOTENCY_TTL_MS), so each claim
 * drops the expired keys at its front: no scan of every key, and no expired key
 * outlives the next claim.
 */
export class MemoryIdempotency {
  private readonly keys = new Map<string, { id: string; expires: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  get size(): number {
    return this.keys.size;
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

  private expire(now: number): void {
    for (const [key, entry] of this.keys) {
      if (entry.expires > now) return;
      this.keys.delete(key);
    }
  }
}
