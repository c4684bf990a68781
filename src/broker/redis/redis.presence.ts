import { Logger } from '@nestjs/common';
import type { ChannelPresence, PresenceManager } from '../broker.js';
import type { RedisConnection } from './redis.connection.js';

/**
 * Presence counted across the cluster (PROTOCOL §6, §9). Each user has a
 * sorted set of connection ids scored by expiry time (Redis's clock). The
 * instance holding a connection re-scores it every `ttlMs / 5`; when an
 * instance dies, its entries stop counting at most `ttlMs` later
 * (PRESENCE_TTL_MS, 25 s by default, under the contract's 30 s).
 */
const CHANNEL_KEY = '\u0000channel:';

export class RedisPresence implements PresenceManager {
  private readonly log = new Logger('RedisPresence');
  /** This instance's authenticated connections: what it keeps alive in Redis. */
  private readonly local = new Map<string, Set<string>>();
  private readonly timer: NodeJS.Timeout;
  private refreshing = false;

  constructor(
    private readonly redis: RedisConnection,
    private readonly ttlMs: number,
  ) {
    this.timer = setInterval(() => void this.refresh(), Math.max(50, Math.floor(ttlMs / 5)));
    this.timer.unref();
  }

  async add(userId: string, connectionId: string): Promise<void> {
    let ids = this.local.get(userId);
    if (!ids) this.local.set(userId, (ids = new Set()));
    ids.add(connectionId);
    // Not fatal: the next refresh writes every local connection again.
    await this.write(userId, [connectionId]).catch((err) =>
      this.log.warn({ err: err.message, connectionId }, 'presence add failed; the next refresh retries'),
    );
  }

  async remove(userId: string, connectionId: string): Promise<void> {
    const ids = this.local.get(userId);
    ids?.delete(connectionId);
    if (ids?.size === 0) this.local.delete(userId);
    // If this fails the entry is no longer refreshed, so it expires within ttlMs.
    await this.redis.call(() => this.redis.client.zrem(this.key(userId), connectionId));
  }

  async count(userId: string): Promise<number> {
    return Number(await this.redis.script<number>('heraldPresenceCount', [this.key(userId)], []));
  }

  /**
   * Interim (C1's, for C2 to replace): a channel's entries live in a sorted
   * set like a user's, members `"<connectionId> <userId>"` (connection ids are
   * UUIDs), kept alive by the same refresh.
   */
  async join(channel: string, userId: string, connectionId: string): Promise<void> {
    await this.add(CHANNEL_KEY + channel, `${connectionId} ${userId}`);
  }

  async leave(channel: string, userId: string, connectionId: string): Promise<void> {
    await this.remove(CHANNEL_KEY + channel, `${connectionId} ${userId}`);
  }

  async channel(channel: string, maxUsers: number): Promise<ChannelPresence> {
    const key = this.key(CHANNEL_KEY + channel);
    const members = await this.redis.call(() => this.redis.client.zrangebyscore(key, `(${Date.now()}`, '+inf'));
    const users = new Set<string>();
    for (const m of members) if (users.size < maxUsers) users.add(m.slice(m.indexOf(' ') + 1));
    return { subscribers: members.length, users: [...users] };
  }

  /** Graceful stop: this instance's entries go at once rather than at expiry. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    const entries = [...this.local];
    this.local.clear();
    await Promise.allSettled(
      entries.map(([userId, ids]) => this.redis.call(() => this.redis.client.zrem(this.key(userId), ...ids))),
    );
  }

  private async refresh(): Promise<void> {
    if (this.refreshing || this.local.size === 0 || this.redis.client.status !== 'ready') return;
    this.refreshing = true;
    try {
      const results = await Promise.allSettled([...this.local].map(([userId, ids]) => this.write(userId, [...ids])));
      const failed = results.filter((r) => r.status === 'rejected').length;
      if (failed > 0) this.log.warn({ failed }, 'presence refresh failed for some users');
    } finally {
      this.refreshing = false;
    }
  }

  private write(userId: string, connectionIds: string[]): Promise<unknown> {
    return this.redis.script('heraldPresenceAdd', [this.key(userId)], [this.ttlMs, ...connectionIds]);
  }

  private key(userId: string): string {
    return this.redis.key(`presence:${userId}`);
  }
}
