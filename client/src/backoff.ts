export interface BackoffOptions {
  /** Ceiling of the first attempt's delay (ms). Default 500. */
  baseMs?: number;
  /** No delay exceeds this (ms). Default 30000. */
  maxMs?: number;
  /** Growth per attempt. Default 2. */
  factor?: number;
}

export const DEFAULT_BACKOFF: Required<BackoffOptions> = { baseMs: 500, maxMs: 30_000, factor: 2 };

/**
 * Exponential backoff with full jitter: a uniform delay in
 * [0, min(maxMs, baseMs * factor^attempt)), so that clients dropped together
 * do not come back together. `attempt` counts from 0; `random` is injectable.
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const { baseMs, maxMs, factor } = { ...DEFAULT_BACKOFF, ...options };
  const ceiling = Math.min(maxMs, baseMs * Math.pow(factor, Math.max(0, attempt)));
  const r = random();
  const unit = Number.isFinite(r) ? Math.min(Math.max(r, 0), 0.999999) : 0;
  return Math.floor(unit * ceiling);
}
