/**
 * What one publication can cost in Redis memory (docs/deployment.md, "Redis memory"),
 * an upper bound checked by test/redis-memory.e2e.ts against `used_memory`:
 * its data once (a multi-stream publication stores it once, under `pl:`,
 * for HISTORY_TTL_MS), plus per recipient stream its offset/epoch hash and
 * a history entry that refers to the data (the first publication to a
 * stream also creates those two keys).
 */
export const REDIS_BYTES_PER_RECIPIENT = 600;
/** Key, expiry and allocator overhead of the stored data. */
const DATA_OVERHEAD_BYTES = 256;

export function redisBytesBound(dataBytes: number, recipients: number): number {
  return dataBytes + DATA_OVERHEAD_BYTES + recipients * REDIS_BYTES_PER_RECIPIENT;
}
