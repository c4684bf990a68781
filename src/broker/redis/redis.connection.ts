import { Logger, ServiceUnavailableException } from '@nestjs/common';
import { Redis, type RedisOptions } from 'ioredis';
import { SCRIPTS, type ScriptName } from './redis.scripts.js';

/** A command that waits longer than this fails, so a hung Redis still answers 503 well within 5 s. */
export const COMMAND_TIMEOUT_MS = 2000;
/** Each client is pinged this often; a failed ping turns readiness off until one succeeds. */
const PING_INTERVAL_MS = 1000;
/** Consecutive failed pings on an open socket before it is dropped and redialled (half-open links). */
const PINGS_BEFORE_REDIAL = 3;
const ERROR_LOG_EVERY_MS = 30_000;

export const REDIS = Symbol('REDIS');

/** Anything Redis could not do: REST maps it to 503, the upgrade path refuses with 503. */
export class RedisUnavailableError extends ServiceUnavailableException {
  constructor(cause: unknown) {
    super('redis unavailable; try again', { cause });
  }
}

/**
 * One Redis deployment as Herald sees it: a command client shared by every
 * Redis-backed store, extra clients on demand (the subscriber), the key prefix
 * (REDIS_KEY_PREFIX), Lua scripts, and readiness. Clients fail fast instead of
 * queueing: no offline queue, no resend after a reconnect (a resent publish
 * could deliver a notification whose REST call already answered 503).
 */
export class RedisConnection {
  readonly client: Redis;
  private readonly log = new Logger('Redis');
  private readonly clients: Redis[] = [];
  private readonly health = new WeakMap<Redis, { ok: boolean; failures: number; pinging: boolean }>();
  private readonly pinger: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly url: string,
    readonly prefix: string,
  ) {
    this.client = this.createClient('cmd');
    this.pinger = setInterval(() => this.clients.forEach((c) => this.ping(c)), PING_INTERVAL_MS);
    this.pinger.unref();
  }

  /** A key or pub/sub channel name under REDIS_KEY_PREFIX. */
  key(name: string): string {
    return `${this.prefix}${name}`;
  }

  /** A new client with Herald's fail-fast options and the Lua scripts; closed with this connection. */
  createClient(role: string): Redis {
    const options: RedisOptions = {
      // Named after the deployment, so `CLIENT LIST` shows whose connection is whose.
      connectionName: `${this.prefix}${role}`.replace(/[^\x21-\x7e]/g, '_'),
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      autoResubscribe: false,
      commandTimeout: COMMAND_TIMEOUT_MS,
      connectTimeout: COMMAND_TIMEOUT_MS,
      retryStrategy: (times) => Math.min(100 * times, 1000) + Math.floor(Math.random() * 100),
      scripts: SCRIPTS,
    };
    const client = new Redis(this.url, options);
    let lastError = { message: '', at: 0 };
    client.on('error', (err: Error) => {
      const now = Date.now();
      if (err.message === lastError.message && now - lastError.at < ERROR_LOG_EVERY_MS) return;
      lastError = { message: err.message, at: now };
      this.log.warn({ role, err: err.message }, 'redis client error');
    });
    const health = { ok: false, failures: 0, pinging: false };
    this.health.set(client, health);
    client.on('ready', () => {
      Object.assign(health, { ok: true, failures: 0 });
      this.log.log({ role }, 'redis connected');
    });
    client.on('close', () => {
      health.ok = false;
      if (!this.closed) this.log.warn({ role }, 'redis connection lost; reconnecting');
    });
    this.clients.push(client);
    return client;
  }

  /** Connected and answering, on every client this connection made. */
  isReady(): boolean {
    return !this.closed && this.clients.every((c) => c.status === 'ready' && this.health.get(c)?.ok === true);
  }

  /** Resolves true once ready, false after `timeoutMs` (startup does not wait forever for Redis). */
  async waitReady(timeoutMs: number, extra: () => boolean = () => true): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!(this.isReady() && extra())) {
      if (Date.now() >= deadline || this.closed) return false;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return true;
  }

  /** Runs one of the Lua scripts of redis.scripts.ts; any failure is a RedisUnavailableError. */
  script<T>(name: ScriptName, keys: string[], args: Array<string | number>): Promise<T> {
    const run = (this.client as unknown as Record<string, (...a: unknown[]) => Promise<T>>)[name];
    return this.call(() => run.call(this.client, ...keys, ...args));
  }

  /** Runs a command; a failure (down, timed out) becomes a RedisUnavailableError. */
  async call<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (err) {
      throw new RedisUnavailableError(err);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.pinger);
    await Promise.allSettled(this.clients.map((c) => c.quit()));
    this.clients.forEach((c) => c.disconnect());
  }

  private ping(client: Redis): void {
    const health = this.health.get(client)!;
    if (client.status !== 'ready' || health.pinging) return;
    health.pinging = true;
    client.ping().then(
      () => Object.assign(health, { ok: true, failures: 0, pinging: false }),
      () => {
        Object.assign(health, { ok: false, failures: health.failures + 1, pinging: false });
        if (health.failures >= PINGS_BEFORE_REDIAL && client.status === 'ready') {
          health.failures = 0;
          this.log.warn('redis not answering pings; reconnecting');
          client.disconnect(true);
        }
      },
    );
  }
}
