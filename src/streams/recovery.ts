import type { HistoryResult, Publication, StreamPosition } from '../broker/broker.js';

export interface RecoveryOutcome {
  recovered: boolean;
  /** What to replay, oldest first; empty when not recovered. */
  publications: Publication[];
}

/**
 * PROTOCOL §5: a stream recovers when the epoch matches and every publication
 * after the client's offset is still in history; otherwise nothing is replayed.
 */
export function recoverStream(since: StreamPosition, history: HistoryResult): RecoveryOutcome {
  const { position, publications } = history;
  const fail = { recovered: false, publications: [] };
  if (since.epoch !== position.epoch || since.offset > position.offset) return fail;
  if (since.offset === position.offset) return { recovered: true, publications: [] };
  const missed = publications.filter((p) => (p.offset ?? 0) > since.offset);
  const contiguous = missed.every((p, i) => p.offset === since.offset + 1 + i);
  if (!contiguous || missed.length !== position.offset - since.offset) return fail;
  return { recovered: true, publications: missed };
}
