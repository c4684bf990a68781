import type { StreamPosition } from '../realtime/connection.js';

export type { StreamPosition };

/** One message on a channel. Channels with history carry an offset and epoch. */
export interface Publication {
  channel: string;
  /** Opaque to the broker: JSON text. */
  data: string;
  offset?: number;
  epoch?: string;
}

export interface HistoryResult {
  /** The stream's last offset (0 when empty) and epoch. */
  position: StreamPosition;
  /** Retained publications with an offset above the one asked for, oldest first. */
  publications: Publication[];
}

/**
 * What the node needs from a broker (after Centrifugo's Broker): fan-out to
 * every instance, and per-stream history with offsets and epochs. The memory
 * and Redis implementations are chosen at startup; nothing else knows which runs.
 */
export interface Broker {
  /**
   * Delivers `data` to every instance's publication handler, this one's
   * included, exactly once each. With `history`, assigns the stream's next
   * offset and appends atomically, so concurrent publishers never share one.
   * Rejects when the publication could not be handed to the broker.
   */
  publish(channel: string, data: string, options?: { history?: boolean }): Promise<Publication>;
  /** Registers the node's single handler for every publication on every channel. */
  onPublication(handler: (pub: Publication) => void): void;
  /**
   * The stream's position, plus the publications after `sinceOffset` when it
   * is given. Reading a stream that never had a publication fixes its epoch.
   */
  history(channel: string, sinceOffset?: number): Promise<HistoryResult>;
  /** Connected and able to publish. */
  isReady(): boolean;
  close(): Promise<void>;
}

/** Who is online, counted across every instance (PROTOCOL §6 presence). */
export interface PresenceManager {
  add(userId: string, connectionId: string): Promise<void>;
  remove(userId: string, connectionId: string): Promise<void>;
  count(userId: string): Promise<number>;
  close(): Promise<void>;
}

/** `idempotencyKey` bookkeeping: first writer wins for `ttlMs`. */
export interface IdempotencyStore {
  /** Stores `id` under `key` unless present; returns the id already stored, if any. */
  claim(key: string, id: string, ttlMs: number): Promise<string | undefined>;
  /** Forgets a key whose publish failed, so a retry can deliver. */
  release(key: string): Promise<void>;
}

export const BROKER = Symbol('BROKER');
export const PRESENCE = Symbol('PRESENCE');
export const IDEMPOTENCY = Symbol('IDEMPOTENCY');
