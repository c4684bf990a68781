import type { RedisConnection } from '../../redis/redis.connection.js';

/**
 * Reads the shared data of a publication whose pub/sub messages carry only a
 * reference (a multi-stream publication with large data: redis.scripts.ts),
 * once per instance however many of its streams the publication reached:
 * concurrent asks for one reference share one GET.
 */
export class RedisPayloads {
  private readonly pending = new Map<string, Promise<string | null>>();

  constructor(private readonly conn: RedisConnection) {}

  /** The data, or null when it is gone (older than HISTORY_TTL_MS). Rejects when Redis cannot answer. */
  get(ref: string): Promise<string | null> {
    let read = this.pending.get(ref);
    if (!read) {
      read = this.conn.call(() => this.conn.client.get(this.conn.key(`pl:${ref}`)));
      this.pending.set(ref, read);
      // The messages of one publication arrive together: keep the answer a moment for the streams still to ask.
      const forget = () => setTimeout(() => this.pending.delete(ref), 1000).unref();
      read.then(forget, () => this.pending.delete(ref));
    }
    return read;
  }
}
