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
  private entries: Entry[] = [];
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
    this.entries.push({ offset: this.offset, data, ts: now });
    if (this.entries.length > this.size) this.entries.splice(0, this.entries.length - this.size);
    this.lastUsed = now;
    return { stream, data, offset: this.offset, epoch: this.epoch };
  }

  read(stream: string, now: number, options: HistoryOptions = {}): HistoryResult {
    this.lastUsed = now;
    const cutoff = now - this.ttlMs;
    if (this.entries.length > 0 && this.entries[0].ts < cutoff) this.entries = this.entries.filter((e) => e.ts >= cutoff);
    const position = { offset: this.offset, epoch: this.epoch };
    const { since, limit } = options;
    if (since === undefined) return { position, publications: [] };
    const publications: Publication[] = [];
    for (const e of this.entries) {
      if (e.offset <= since) continue;
      if (limit !== undefined && publications.length >= limit) break;
      publications.push({ stream, data: e.data, offset: e.offset, epoch: this.epoch });
    }
    return { position, publications };
  }

  expired(now: number): boolean {
    return now - this.lastUsed > Math.max(this.ttlMs, STREAM_META_TTL_MS);
  }
}
