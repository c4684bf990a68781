import type { IdempotencyStore } from '../broker.js';
import type { RedisConnection } from './redis.connection.js';

/** `idempotencyKey`s shared by the cluster: the first instance to claim one wins for `ttlMs`. */
export class RedisIdempotency implements IdempotencyStore {
  constructor(private readonly redis: RedisConnection) {}

  async claim(key: string, id: string, ttlMs: number): Promise<string | undefined> {
    const first = await this.redis.script<string | null>('heraldClaim', [this.redis.key(key)], [id, ttlMs]);
    return first ?? undefined;
  }

  async release(key: string): Promise<void> {
    await this.redis.call(() => this.redis.client.del(this.redis.key(key)));
  }
}
