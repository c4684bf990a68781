import { Logger } from '@nestjs/common';
import type { ChannelPresence, PresenceManager } from './presence.js';
import type { RedisConnection } from '../redis/redis.connection.js';

/** Presence keys written per refresh script (one round trip each, pipelined). */
const REFRESH_BATCH = 200;

/**
 * Presence counted across the cluster (PROTOCOL §6, §9, §10). Each user and
 * each channel has a sorted set of entries scored by expiry time (Redis's
 * clock): `presence:<userId>` holds connection ids, `chpresence:<channel>`
 * holds `"<connectionId> <userId>"`. The instance holding a connection
 * pushes its entries' expiry forward every `ttlMs / 5`, in batched scripts;
 * when an instance dies, its entries stop counting at most `ttlMs` later
 * (PRESENCE_TTL_MS, 25 s by default, under the contract's 30 s), for users
 * and channels alike. A Redis that lost its data gets every live entry back
 * on the next refresh.
 */
export class RedisPresence implements PresenceManager {
  private readonly log = new Logger('RedisPresence');
  /** This instance's entries, by full key: what it keeps alive in Redis. */
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

  add(userId: string, connectionId: string): Promise<void> {
    return this.hold(this.userKey(userId), connectionId);
  }

  remove(userId: string, connectionId: string): Promise<void> {
    return this.drop(this.userKey(userId), connectionId);
  }

  async count(userId: string): Promise<number> {
    return Number(await this.redis.script<number>('heraldPresenceCount', [this.userKey(userId)], []));
  }

  join(channel: string, userId: string, connectionId: string): Promise<void> {
    return this.hold(this.channelKey(channel), `${connectionId} ${userId}`);
  }

  leave(channel: string, userId: string, connectionId: string): Promise<void> {
    return this.drop(this.channelKey(channel), `${connectionId} ${userId}`);
  }

  async channel(channel: string, maxUsers: number): Promise<ChannelPresence> {
    const [subscribers, ...users] = await this.redis.script<[number, ...string[]]>('heraldChannelPresence', [this.channelKey(channel)], [maxUsers]);
    return { subscribers: Number(subscribers), users };
  }

  /** Graceful stop: this instance's entries go at once rather than at expiry. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    const entries = [...this.local];
    this.local.clear();
    await Promise.allSettled(entries.map(([key, members]) => this.redis.call(() => this.redis.client.zrem(key, ...members))));
  }

  private async hold(key: string, member: string): Promise<void> {
    let members = this.local.get(key);
    if (!members) this.local.set(key, (members = new Set()));
    members.add(member);
    // Not fatal: the next refresh writes every local entry again.
    await this.write([[key, [member]]]).catch((err) => this.log.warn({ err: err.message }, 'presence write failed; the next refresh retries'));
  }

  private async drop(key: string, member: string): Promise<void> {
    const members = this.local.get(key);
    members?.delete(member);
    if (members?.size === 0) this.local.delete(key);
    // If this fails the entry is no longer refreshed, so it expires within ttlMs.
    await this.redis.call(() => this.redis.client.zrem(key, member));
  }

  private async refresh(): Promise<void> {
    if (this.refreshing || this.local.size === 0 || this.redis.client.status !== 'ready') return;
    this.refreshing = true;
    try {
      const entries = [...this.local].map(([key, members]): [string, string[]] => [key, [...members]]);
      const batches: Array<Promise<unknown>> = [];
      for (let i = 0; i < entries.length; i += REFRESH_BATCH) batches.push(this.write(entries.slice(i, i + REFRESH_BATCH)));
      const failed = (await Promise.allSettled(batches)).filter((r) => r.status === 'rejected').length;
      if (failed > 0) this.log.warn({ failed }, 'presence refresh failed for some entries');
    } finally {
      this.refreshing = false;
    }
  }

  /** One script: each key's members re-scored to expire `ttlMs` from now (ARGV: ttl, then per key its count and members). */
  private write(entries: Array<[string, string[]]>): Promise<unknown> {
    const args: Array<string | number> = [this.ttlMs];
    for (const [, members] of entries) args.push(members.length, ...members);
    return this.redis.scriptVar('heraldPresenceAdd', entries.map(([key]) => key), args);
  }

  private userKey(userId: string): string {
    return this.redis.key(`presence:${userId}`);
  }

  private channelKey(channel: string): string {
    return this.redis.key(`chpresence:${channel}`);
  }
}
