import { randomBytes } from 'node:crypto';
import type { HistoryOptions, HistoryResult, Publication } from './broker.js';

export const newEpoch = () => randomBytes(6).toString('base64url');

/** A stream's offset, epoch and position are kept this long after its last use. */
export const STREAM_META_TTL_MS = 24 * 60 * 60 * 1000;

interface Entry {
  offset: number;
  data: string;
  ts: number;
}

/**
 * One stream's history in memory: the last `size` entries, each kept `ttlMs`.
 * Pure logic with an injectable clock; the memory broker holds one per stream.
 */
export class StreamHistory {
  readonly epoch: string;
  private offset = 0;
  /** None while the stream is idle: then it holds only its offset and epoch. */
  private entries: Entry[] | undefined = undefined;
  lastUsed: number;

  constructor(
    private readonly size: number,
    private readonly ttlMs: number,
    now: number,
    epoch = newEpoch(),
  ) {
    this.lastUsed = now;
    this.epoch = epoch;
  }

  append(stream: string, data: string, now: number): Publication {
    this.offset += 1;
    const entries = (this.entries ??= []);
    entries.push({ offset: this.offset, data, ts: now });
    if (entries.length > this.size) entries.splice(0, entries.length - this.size);
    this.lastUsed = now;
    return { stream, data, offset: this.offset, epoch: this.epoch };
  }

  read(stream: string, now: number, options: HistoryOptions = {}): HistoryResult {
    this.lastUsed = now;
    const cutoff = now - this.ttlMs;
    if (this.entries !== undefined) this.keep(this.entries.filter((e) => e.ts >= cutoff));
    const position = { offset: this.offset, epoch: this.epoch };
    const { since, limit } = options;
    if (since === undefined || this.entries === undefined) return { position, publications: [] };
    const publications: Publication[] = [];
    for (const e of this.entries) {
      if (e.offset <= since) continue;
      if (limit !== undefined && publications.length >= limit) break;
      publications.push({ stream, data: e.data, offset: e.offset, epoch: this.epoch });
    }
    return { position, publications };
  }

  /** The memory broker's expiry wheel slot for this stream while it holds entries (0: none). */
  deadlineSlot = 0;

  /** When the oldest entry held was appended (undefined when idle). */
  oldestTs(): number | undefined {
    return this.entries?.[0].ts;
  }

  /** Drops the entries appended at or before `cutoff`; an emptied stream keeps only its position. */
  dropOlderThan(cutoff: number): void {
    if (this.entries === undefined) return;
    let n = 0;
    while (n < this.entries.length && this.entries[n].ts <= cutoff) n++;
    if (n > 0) this.keep(this.entries.slice(n));
  }

  /** Entries held (for tests and the memory bound). */
  get held(): number {
    return this.entries?.length ?? 0;
  }

  private keep(entries: Entry[]): void {
    this.entries = entries.length > 0 ? entries : undefined;
  }

  expired(now: number): boolean {
    return now - this.lastUsed > Math.max(this.ttlMs, STREAM_META_TTL_MS);
  }
}
