import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { Publication } from '../broker.js';
import type { RedisConnection } from './redis.connection.js';

/** How long the fan-out log keeps a message for subscribers that reconnect (see catchUp). */
export const LOG_WINDOW_MS = 60_000;
const CATCH_UP_PAGE = 1000;
const RETRY_MS = 250;

/** Orders Redis stream ids (`<ms>-<seq>`). */
export function compareLogIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(Number);
  const [bm, bs] = b.split('-').map(Number);
  return am - bm || (as ?? 0) - (bs ?? 0);
}

/** Parses a fan-out message (format in redis.scripts.ts). */
export function parseFanoutMessage(message: string): { id: string; pub: Publication } {
  const newline = message.indexOf('\n');
  const head = message.slice(0, newline);
  const s1 = head.indexOf(' ');
  const s2 = head.indexOf(' ', s1 + 1);
  const s3 = head.indexOf(' ', s2 + 1);
  if (newline < 0 || s1 < 0 || s2 < 0 || s3 < 0) throw new Error('malformed fan-out message');
  const offset = head.slice(s1 + 1, s2);
  const pub: Publication = {
    stream: JSON.parse(head.slice(s3 + 1)) as string,
    data: message.slice(newline + 1),
    offset: offset === '' ? 0 : Number(offset),
    epoch: offset === '' ? '' : head.slice(s2 + 1, s3),
  };
  return { id: head.slice(0, s1), pub };
}

/**
 * The receiving half of the Redis broker: one subscription per instance to
 * the deployment's pub/sub channel, handing every message to the node once,
 * in the order Redis ran the publish scripts.
 *
 * Pub/sub alone drops what is published while a subscriber is away (Redis
 * restarting, a reconnect racing other instances' publishes, a subscriber
 * cut for a full output buffer). So every message is also appended to a
 * short log, and after each (re)subscribe the instance reads the log from the
 * last message it handled: anything missed is delivered first, then what
 * arrived meanwhile, skipping ids already handled.
 */
export class RedisFanout {
  private readonly log = new Logger('RedisFanout');
  private readonly sub: Redis;
  private readonly channel: string;
  private readonly logKey: string;
  private handler: (pub: Publication) => void = () => undefined;
  /** Id of the last message handed to the handler; unknown until the first sync. */
  private lastId?: string;
  /** Non-null while (re)syncing: live messages wait here, in arrival order. */
  private buffer: string[] | null = [];
  private generation = 0;
  private closed = false;

  constructor(private readonly conn: RedisConnection) {
    this.channel = conn.key('pub');
    this.logKey = conn.key('log');
    this.sub = conn.createClient('sub');
    this.sub.on('message', (channel: string, message: string) => {
      if (channel === this.channel) this.receive(message);
    });
    this.sub.on('ready', () => void this.sync(++this.generation));
    this.sub.on('close', () => {
      this.generation++;
      this.buffer = [];
    });
  }

  onPublication(handler: (pub: Publication) => void): void {
    this.handler = handler;
  }

  /** Subscribed and caught up. */
  isSynced(): boolean {
    return this.buffer === null && !this.closed;
  }

  close(): void {
    this.closed = true;
    this.generation++;
  }

  private receive(message: string): void {
    if (this.buffer) this.buffer.push(message);
    else this.deliver(message);
  }

  private deliver(message: string): void {
    let parsed: ReturnType<typeof parseFanoutMessage>;
    try {
      parsed = parseFanoutMessage(message);
    } catch (err) {
      this.log.error({ err }, 'dropped a malformed fan-out message');
      return;
    }
    if (this.lastId !== undefined && compareLogIds(parsed.id, this.lastId) <= 0) return;
    this.lastId = parsed.id;
    try {
      this.handler(parsed.pub);
    } catch (err) {
      this.log.error({ err, stream: parsed.pub.stream }, 'publication handler failed');
    }
  }

  private async sync(generation: number): Promise<void> {
    this.buffer = [];
    let failures = 0;
    while (generation === this.generation && !this.closed) {
      try {
        await this.resumePoint();
        await this.sub.subscribe(this.channel);
        await this.catchUp(generation);
        if (generation !== this.generation) return;
        const arrived = this.buffer ?? [];
        this.buffer = null;
        for (const message of arrived) this.deliver(message);
        return;
      } catch (err) {
        // The subscriber often connects a moment before the command client: only persisting failures are news.
        if (++failures % 20 === 4) this.log.warn({ err: (err as Error).message }, 'fan-out sync failing; retrying');
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      }
    }
  }

  /** Where to read the log from: the last handled id, or its current end on the first sync. */
  private async resumePoint(): Promise<void> {
    const [top] = await this.conn.client.xrevrange(this.logKey, '+', '-', 'COUNT', 1);
    const topId = top?.[0];
    if (this.lastId === undefined) {
      this.lastId = topId ?? '0-0';
    } else if (topId === undefined || compareLogIds(topId, this.lastId) < 0) {
      // The log is gone or restarted below us: Redis lost its data (streams got new epochs) or sat idle.
      this.lastId = '0-0';
    }
  }

  private async catchUp(generation: number): Promise<void> {
    let start = this.lastId!;
    for (let page = 0; ; page++) {
      const entries = await this.conn.client.xrange(this.logKey, start, '+', 'COUNT', CATCH_UP_PAGE);
      if (generation !== this.generation) return;
      if (page === 0 && start !== '0-0' && entries[0]?.[0] !== start && entries.length > 0) {
        this.log.error({ since: start }, `fan-out log trimmed past this instance's position: publications older than ${LOG_WINDOW_MS} ms may be missing`);
      }
      for (const [id, fields] of entries) this.deliver(`${id} ${fields[1]}`);
      if (entries.length < CATCH_UP_PAGE) return;
      start = entries[entries.length - 1][0];
    }
  }
}
