/**
 * The broker contract (after centrifuge's Broker and PresenceManager): what
 * the streams layer needs from the backend that carries publications between
 * instances and keeps their history. Memory (one process) and Redis (a
 * cluster) implement it side by side; nothing above src/broker knows which
 * one runs. Both must pass test/broker/broker.conformance.ts.
 *
 * Vocabulary. A *stream* is a named, ordered sequence of publications. Its
 * name is opaque here (any characters, formatted and parsed only by
 * src/streams/stream-names.ts). A stream *with history* numbers its
 * publications 1, 2, 3… within an *epoch*, a string that changes whenever
 * the stream's numbering restarts (its history and offset were lost: a
 * memory-mode restart, a Redis that came back empty, a stream unused for
 * longer than STREAM_META_TTL_MS). A stream without history is a plain
 * fan-out (the /demo messages): offset 0, epoch ''.
 */

/** Where a stream stands: the offset of its last publication (0 when none yet) in its epoch. */
export interface StreamPosition {
  offset: number;
  epoch: string;
}

/** One publication as one stream carries it. */
export interface Publication {
  /** The stream's name. */
  stream: string;
  /** Opaque to the broker: JSON text, handed back byte for byte. */
  data: string;
  /** 1, 2, 3… within `epoch` on a stream with history; 0 without history. */
  offset: number;
  /** The stream's epoch; '' without history. */
  epoch: string;
}

export interface PublishOptions {
  /**
   * true: each stream assigns the publication its next offset and keeps it in
   * history (the last `HISTORY_SIZE`, each for `HISTORY_TTL_MS`).
   * false: a fan-out only; offset 0, epoch '', nothing kept.
   */
  history: boolean;
  /**
   * PROTOCOL §6 idempotency, atomic with the publish: the publication happens
   * only when no publish claimed `key` within the last `ttlMs`, and then
   * claims it with `id`. A key already claimed rejects with
   * DuplicatePublicationError carrying the first `id`, and nothing is
   * published. `key` is whole (the caller namespaces it per endpoint).
   */
  idempotency?: { key: string; id: string; ttlMs: number };
}

/** `publish` found its idempotency key already claimed: nothing was published; `id` is the first publication's. */
export class DuplicatePublicationError extends Error {
  constructor(readonly id: string) {
    super('idempotency key already used');
  }
}

/**
 * `publish` failed after the backend may have applied it (a timeout once the
 * command was sent): whether it happened is unknown. Retrying with the same
 * idempotency key is safe; REST answers 503 like any failed publish.
 */
export class PublishOutcomeUnknownError extends Error {
  constructor(cause?: unknown) {
    super('publish outcome unknown', { cause });
  }
}

export interface HistoryOptions {
  /**
   * Return the retained publications with an offset above this one. Absent:
   * return none, only the position (the cheap "where does it stand" read).
   */
  since?: number;
  /** Return at most this many of them, the oldest first (default: every one retained). */
  limit?: number;
}

export interface HistoryResult {
  /** The stream's last offset (0 when it never had a publication) and epoch. */
  position: StreamPosition;
  /**
   * Retained publications with an offset above `since`, oldest first,
   * consecutive as far as retention allows (a publication older than
   * HISTORY_TTL_MS or beyond HISTORY_SIZE is gone, never reordered).
   */
  publications: Publication[];
}

/**
 * Carries publications between instances and keeps stream history.
 *
 * Delivery guarantees, for every stream this instance is subscribed to:
 * - each publication reaches the handler at most once, in offset order, and
 *   publications of one stream reach it in the order the broker assigned
 *   their offsets, whichever instance published them;
 * - a publication the broker cannot guarantee to have delivered (pub/sub
 *   connection lost, a message dropped, the backend restarted) is never lost
 *   silently: the broker calls the resync handler for its stream (see
 *   `onResync`). The streams layer additionally treats an offset that skips
 *   ahead, or a new epoch, as a gap.
 */
export interface Broker {
  /**
   * Publishes ONE publication (the same `data`) to every stream of `streams`,
   * atomically: either every stream gets it (each with its own next offset
   * when `history`) or none does, and the promise rejects (a REST call then
   * answers 503, never a 202 for a notification that went nowhere).
   * Concurrent publishers never share an offset. Rejections: a backend
   * failure (nothing published), DuplicatePublicationError,
   * PublishOutcomeUnknownError. Resolves with each stream's
   * position after the publication, in the order of `streams` (offset 0,
   * epoch '' without history) once the broker has accepted it for delivery
   * to every subscribed instance; the handler of this instance may run
   * before or after that. `streams` holds 1..1000 distinct names.
   */
  publish(streams: readonly string[], data: string, options: PublishOptions): Promise<StreamPosition[]>;

  /**
   * Registers this instance's single handler for every delivered publication
   * (of a multi-stream publish: one call per subscribed stream). Called
   * synchronously from the broker's receive path: it must not throw (a
   * throw is logged and dropped) and must not block.
   */
  onPublication(handler: (pub: Publication) => void): void;

  /**
   * Interest: from the moment the returned promise resolves, every
   * publication of `stream` published afterwards reaches the handler
   * (subscribe, then read history: nothing falls between). An instance
   * receives only the publications of streams it subscribed to (the memory
   * broker included). Not reference-counted: the caller (src/streams)
   * calls `subscribe` when its first local holder of the stream appears and
   * `unsubscribe` when its last leaves, and never has two calls for the same
   * stream in flight at once. Subscribing a subscribed stream is a no-op.
   * Rejects when the backend is unreachable; the caller then refuses or
   * retries what needed it.
   */
  subscribe(stream: string): Promise<void>;

  /** Ends interest: publications of `stream` stop reaching the handler (soon, not necessarily at once). No-op when not subscribed. */
  unsubscribe(stream: string): Promise<void>;

  /**
   * Registers the handler the broker calls with the subscribed streams for
   * which some publications may not have reached the publication handler
   * (a dropped pub/sub connection it could not catch up on, a message it
   * lost). It is called once the broker receives those streams' live
   * publications again, so the streams layer can read history from its
   * connections' positions: it replays what they missed, or closes them
   * with a code that makes clients reconnect and recover.
   */
  onResync(handler: (streams: readonly string[]) => void): void;

  /**
   * A stream's position and, with `since`, its retained publications after
   * that offset. Reading a stream that never had a publication fixes its
   * epoch (so a client that learned it at offset 0 can recover after the
   * first publication), and every read keeps the stream's position alive
   * for STREAM_META_TTL_MS.
   */
  history(stream: string, options?: HistoryOptions): Promise<HistoryResult>;

  /** Connected and able to publish and deliver (drives /health/ready). */
  isReady(): boolean;

  close(): Promise<void>;
}

export const BROKER = Symbol('BROKER');
