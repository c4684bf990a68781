import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import type { HistoryResult, Publication } from '../broker.js';
import { RedisUnavailableError, type RedisConnection } from '../../redis/redis.connection.js';
import { RedisPayloads } from './redis.payloads.js';
import { accept, catchUpFrom, covered, type Incoming, parseStreamMessage, readPositions, SUBSCRIBE_BATCH, type StreamState } from './redis.stream-state.js';

const RETRY_MS = 250;

interface Waiter {
  resolve: () => void;
  reject: (err: unknown) => void;
}

export interface SubscriptionDeps {
  /** Reads a stream's history after `since` (the broker's own read, payload references resolved). */
  history(stream: string, since: number): Promise<HistoryResult>;
  deliver(pub: Publication): void;
  resync(streams: string[]): void;
}

/**
 * Interest routing for the Redis broker, after centrifuge: one pub/sub
 * channel per stream (`<prefix>s:<stream>`), subscribed while this instance
 * holds the stream, SUBSCRIBE/UNSUBSCRIBE batched per turn on one dedicated
 * connection. An instance receives only what its connections hold.
 *
 * Pub/sub drops what is published while the connection is away, so each
 * stream's last delivered offset is kept here: a publication that skips
 * ahead, and every stream after a reconnect whose Redis position moved, is
 * caught up from history (in order, once, live publications held back
 * meanwhile). What history cannot give back (trimmed, expired, a new epoch,
 * a stream without history) is reported through `resync`, never dropped silently.
 */
export class RedisSubscriptions {
  private readonly log = new Logger('RedisSubscriptions');
  private readonly sub: Redis;
  private readonly payloads: RedisPayloads;
  private readonly channelPrefix: string;
  private readonly states = new Map<string, StreamState>();
  private readonly toSubscribe = new Map<string, Waiter[]>();
  private readonly toUnsubscribe = new Set<string>();
  private flushing = false;
  private flushQueued = false;
  /** Bumped on every connection loss: work of an older connection stops. */
  private generation = 0;
  private synced = false;
  private closed = false;

  constructor(
    private readonly conn: RedisConnection,
    private readonly deps: SubscriptionDeps,
  ) {
    this.channelPrefix = conn.key('s:');
    this.sub = conn.createClient('sub');
    this.payloads = new RedisPayloads(conn);
    this.sub.on('message', (channel: string, message: string) => this.receive(channel, message));
    this.sub.on('ready', () => void this.resubscribe(++this.generation));
    this.sub.on('close', () => {
      this.generation++;
      this.synced = false;
      for (const state of this.states.values()) state.held ??= [];
    });
  }

  /** The pub/sub channel of a stream. */
  channelOf(stream: string): string {
    return this.channelPrefix + stream;
  }

  /** Connected, every held stream subscribed and caught up. */
  isSynced(): boolean {
    return this.synced && !this.closed;
  }

  /** How many streams this instance is subscribed to. */
  get size(): number {
    return this.states.size;
  }

  subscribe(stream: string): Promise<void> {
    if (this.toUnsubscribe.delete(stream)) return Promise.resolve();
    if (this.states.has(stream) && !this.toSubscribe.has(stream)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiters = this.toSubscribe.get(stream) ?? [];
      waiters.push({ resolve, reject });
      this.toSubscribe.set(stream, waiters);
      this.scheduleFlush();
    });
  }

  /** Publications of `stream` may still arrive until the turn's UNSUBSCRIBE batch goes out. */
  async unsubscribe(stream: string): Promise<void> {
    if (!this.states.has(stream) || this.toSubscribe.has(stream)) return;
    this.toUnsubscribe.add(stream);
    this.scheduleFlush();
  }

  close(): void {
    this.closed = true;
    this.generation++;
    for (const waiters of this.toSubscribe.values()) for (const w of waiters) w.reject(new RedisUnavailableError('closing'));
    this.toSubscribe.clear();
  }

  private scheduleFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    setImmediate(() => {
      this.flushQueued = false;
      void this.flush();
    });
  }

  /** Sends the turn's UNSUBSCRIBEs and SUBSCRIBEs in batches; one flush at a time keeps their order. */
  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      const leaving = [...this.toUnsubscribe];
      this.toUnsubscribe.clear();
      for (const stream of leaving) this.states.delete(stream);
      const joining = [...this.toSubscribe];
      this.toSubscribe.clear();
      if (leaving.length > 0 && this.sub.status === 'ready') {
        for (let i = 0; i < leaving.length; i += SUBSCRIBE_BATCH) {
          const channels = leaving.slice(i, i + SUBSCRIBE_BATCH).map((s) => this.channelOf(s));
          // Not fatal: a reconnect subscribes only the streams still held.
          this.sub.unsubscribe(...channels).catch(() => undefined);
        }
      }
      for (let i = 0; i < joining.length; i += SUBSCRIBE_BATCH) await this.join(joining.slice(i, i + SUBSCRIBE_BATCH));
    } finally {
      this.flushing = false;
      if (this.toSubscribe.size > 0 || this.toUnsubscribe.size > 0) this.scheduleFlush();
    }
  }

  /** SUBSCRIBE a batch, then read where each stream stands: publications up to there are the subscriber's history read's. */
  private async join(batch: Array<[string, Waiter[]]>): Promise<void> {
    const generation = this.generation;
    const streams = batch.map(([stream]) => stream);
    for (const stream of streams) this.states.set(stream, { offset: 0, epoch: '', held: [], plain: false });
    try {
      if (this.sub.status !== 'ready' || !this.synced) throw new RedisUnavailableError('pub/sub connection not ready');
      await this.conn.call(() => this.sub.subscribe(...streams.map((s) => this.channelOf(s))));
      const positions = await readPositions(this.conn, streams);
      if (generation !== this.generation) throw new RedisUnavailableError('pub/sub connection lost while subscribing');
      streams.forEach((stream, i) => {
        const state = this.states.get(stream);
        if (!state) return;
        Object.assign(state, positions[i]);
        this.release(stream, state);
      });
      for (const [, waiters] of batch) for (const w of waiters) w.resolve();
    } catch (err) {
      for (const stream of streams) this.states.delete(stream);
      if (this.sub.status === 'ready') this.sub.unsubscribe(...streams.map((s) => this.channelOf(s))).catch(() => undefined);
      const error = err instanceof RedisUnavailableError ? err : new RedisUnavailableError(err);
      for (const [, waiters] of batch) for (const w of waiters) w.reject(error);
    }
  }

  private receive(channel: string, message: string): void {
    if (!channel.startsWith(this.channelPrefix)) return;
    const stream = channel.slice(this.channelPrefix.length);
    const state = this.states.get(stream);
    if (!state) return;
    let pub: Incoming;
    try {
      pub = parseStreamMessage(stream, message);
    } catch (err) {
      this.log.error({ err, stream }, 'dropped a malformed stream message');
      return;
    }
    if (state.held) state.held.push(pub);
    else if (pub.ref !== undefined && !covered(state, pub)) {
      state.held = [pub];
      this.readData(stream, state, pub.ref);
    } else if (!accept(state, this.deliverOne, pub)) {
      state.held = [pub];
      void this.catchUpUntilDone([stream], this.generation);
    }
  }

  /**
   * The stream waits (held) while the shared data of `ref` is read, then
   * continues in order. Data already gone counts as a gap: the catch-up
   * then finds history incomplete too and reports a resync.
   */
  private readData(stream: string, state: StreamState, ref: string): void {
    const generation = this.generation;
    this.payloads.get(ref).then(
      (data) => {
        if (this.states.get(stream) !== state) return;
        for (const pub of state.held ?? []) {
          if (pub.ref !== ref) continue;
          pub.ref = undefined;
          if (data === null) pub.lost = true;
          else pub.data = data;
        }
        if (generation === this.generation && this.synced) this.release(stream, state);
      },
      () => {
        // Redis unreachable: retry, unless a reconnect (which catches up from history anyway) took over.
        setTimeout(() => generation === this.generation && this.states.get(stream) === state && this.readData(stream, state, ref), RETRY_MS).unref();
      },
    );
  }

  /** Delivers what waited during a catch-up, in arrival order; a new gap among them starts another catch-up. */
  private release(stream: string, state: StreamState): void {
    const held = state.held ?? [];
    state.held = null;
    for (let i = 0; i < held.length; i++) {
      const ref = held[i].ref;
      if (ref !== undefined && !covered(state, held[i])) {
        state.held = held.slice(i);
        this.readData(stream, state, ref);
        return;
      }
      if (!accept(state, this.deliverOne, held[i])) {
        state.held = held.slice(i);
        void this.catchUpUntilDone([stream], this.generation);
        return;
      }
    }
  }

  private readonly deliverOne = (pub: Incoming): void => this.deliver(pub);

  private deliver(pub: Incoming): void {
    try {
      this.deps.deliver(pub.ref === undefined && pub.lost === undefined ? pub : { stream: pub.stream, data: pub.data, offset: pub.offset, epoch: pub.epoch });
    } catch (err) {
      this.log.error({ err, stream: pub.stream }, 'publication handler failed');
    }
  }

  /**
   * After every (re)connect: subscribe every held stream again, read where
   * each stands, catch up those that moved. Publications arriving meanwhile
   * are held, so each stream continues in order.
   */
  private async resubscribe(generation: number): Promise<void> {
    let failures = 0;
    while (generation === this.generation && !this.closed) {
      try {
        const streams = [...this.states.keys()];
        for (const state of this.states.values()) state.held ??= [];
        for (let i = 0; i < streams.length; i += SUBSCRIBE_BATCH) {
          await this.conn.call(() => this.sub.subscribe(...streams.slice(i, i + SUBSCRIBE_BATCH).map((s) => this.channelOf(s))));
        }
        if (generation !== this.generation) return;
        await this.catchUp(streams, generation);
        if (generation !== this.generation) return;
        this.synced = true;
        return;
      } catch (err) {
        if (++failures % 20 === 4) this.log.warn({ err: (err as Error).message }, 'resubscribe failing; retrying');
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      }
    }
  }

  /** A live gap: caught up in the background; a reconnect (new generation) takes over from a failing one. */
  private async catchUpUntilDone(streams: string[], generation: number): Promise<void> {
    while (generation === this.generation && !this.closed) {
      try {
        return await this.catchUp(streams, generation);
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'catch-up failing; retrying');
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      }
    }
  }

  /**
   * Brings held-back streams up to date: reads where each stands in Redis;
   * those that moved are read from history after the last delivered offset.
   * A stream history cannot complete is moved to its current position and
   * reported through `resync` before its live publications flow again.
   */
  private async catchUp(streams: string[], generation: number): Promise<void> {
    const current = streams.filter((s) => this.states.has(s));
    const positions = await readPositions(this.conn, current);
    if (generation !== this.generation) return;
    const lost: string[] = [];
    await Promise.all(
      current.map(async (stream, i) => {
        const state = this.states.get(stream);
        if (!state) return;
        const now = positions[i];
        if (state.plain || now.epoch === '') lost.push(stream);
        if (now.epoch === state.epoch && now.offset === state.offset) return;
        if (state.offset === 0 && now.offset === 0) return void (state.epoch = now.epoch);
        const read = await this.deps.history(stream, state.offset);
        if (generation !== this.generation || this.states.get(stream) !== state) return;
        if (!catchUpFrom(state, read, this.deliverOne) && !lost.includes(stream)) lost.push(stream);
      }),
    );
    if (generation !== this.generation) return;
    if (lost.length > 0) {
      this.log.warn({ streams: lost.length }, 'publications missed and not all in history: resyncing their connections');
      try {
        this.deps.resync(lost);
      } catch (err) {
        this.log.error({ err }, 'resync handler failed');
      }
    }
    for (const stream of current) {
      const state = this.states.get(stream);
      if (state?.held) this.release(stream, state);
    }
  }
}

