/** Pure heartbeat decisions (PROTOCOL §7), kept apart so they test without sockets. */

export type HeartbeatAction = 'ping' | 'terminate';

/** At each tick: a connection that has not answered the previous ping is cut; others are pinged. */
export function heartbeatAction(conn: { alive: boolean }): HeartbeatAction {
  return conn.alive ? 'ping' : 'terminate';
}

/** Milliseconds left before an unauthenticated connection must be closed with 4408. */
export function authDeadlineIn(openedAt: number, now: number, authTimeoutMs: number): number {
  return Math.max(0, openedAt + authTimeoutMs - now);
}

/** When to close a connection whose token is not refreshed: `exp` plus the allowed clock skew. */
export function expiryIn(expiresAt: number, now: number, clockToleranceSec: number): number {
  return Math.max(0, expiresAt + clockToleranceSec * 1000 - now);
}
