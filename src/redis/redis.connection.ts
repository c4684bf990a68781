import { Logger, ServiceUnavailableException } from '@nestjs/common';
import { Redis, type RedisOptions } from 'ioredis';
import { SCRIPTS, type ScriptName } from '../broker/redis/redis.scripts.js';

/** A command that waits longer than this fails, so a hung Redis still answers 503 well within 5 s. */
const COMMAND_TIMEOUT_MS = 2000;
/** Each client is pinged this often; a failed ping turns readiness off until one succeeds. */
const PING_INTERVAL_MS = 1000;
/** Consecutive failed pings on an open socket before it is dropped and redialled (half-open links). */
const PINGS_BEFORE_REDIAL = 3;
const ERROR_LOG_EVERY_MS = 30_000;

export const REDIS = Symbol('REDIS');

interface Health {
  ok: boolean;
  failures: number;
  pinging: boolean;
  pingSentAt: number;
}

/** A ping unanswered this long means Redis hangs: new writes are refused (503) rather than sent into the void. */
const STALL_MS = 1000;

/** Anything Redis could not do: REST maps it to 503, the upgrade path refuses with 503. */
export class RedisUnavailableError extends ServiceUnavailableException {
  constructor(cause: unknown) {
    super('redis unavailable; try again', { cause });
  }
}

/**
 * A write that was sent to Redis and never answered (timed out, or the
 * connection dropped under it): Redis may have run it, or may run it later.
 */
export class RedisOutcomeUnknownError extends Error {
  constructor(cause: unknown) {
    super('redis did not answer; the command may or may not have run', { cause });
  }
}

/** Errors with which Redis refuses a command before running any of it. */
const REFUSED_BEFORE_RUNNING = /^(OOM|BUSY|NOSCRIPT|LOADING|MASTERDOWN|READONLY|NOPERM|NOAUTH|MISCONF|ERR unknown command)/;
/** ioredis's words for a command it never wrote (not connected, offline queue off). */
const NEVER_WRITTEN = /Stream isn't writeable|enableOfflineQueue/;

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
  private readonly health = new WeakMap<Redis, Health>();
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
    const health: Health = { ok: false, failures: 0, pinging: false, pingSentAt: 0 };
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
    return !this.closed && this.clients.every((c) => this.answering(c));
  }

  /** Connected, the last ping answered, and none outstanding for longer than STALL_MS. */
  private answering(client: Redis): boolean {
    const h = this.health.get(client);
    return client.status === 'ready' && h?.ok === true && !(h.pinging && Date.now() - h.pingSentAt > STALL_MS);
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

  /** Runs a script with a variable number of keys (registered without `numberOfKeys`). */
  scriptVar<T>(name: ScriptName, keys: string[], args: Array<string | number>): Promise<T> {
    const run = (this.client as unknown as Record<string, (...a: unknown[]) => Promise<T>>)[name];
    return this.call(() => run.call(this.client, keys.length, ...keys, ...args));
  }

  /**
   * Runs a write whose outcome matters (a publication). Rejects with
   * RedisUnavailableError only when Redis certainly did not run it: not
   * connected or hanging (nothing written), or refused before running it;
   * with RedisOutcomeUnknownError when it was written and not answered.
   */
  async write<T>(name: ScriptName, keys: string[], args: Array<string | number>): Promise<T> {
    if (this.closed || !this.answering(this.client)) throw new RedisUnavailableError('not connected or not answering; nothing sent');
    const run = (this.client as unknown as Record<string, (...a: unknown[]) => Promise<T>>)[name];
    try {
      return await run.call(this.client, keys.length, ...keys, ...args);
    } catch (err) {
      const message = (err as Error)?.message ?? '';
      const replyError = (err as Error)?.name === 'ReplyError';
      if (NEVER_WRITTEN.test(message) || (replyError && REFUSED_BEFORE_RUNNING.test(message))) throw new RedisUnavailableError(err);
      throw new RedisOutcomeUnknownError(err);
    }
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
    health.pingSentAt = Date.now();
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
