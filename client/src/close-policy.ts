import { CloseCode, HERALD_CLOSE_CODES } from './protocol.js';

/** Why a connection ended, as the client saw it. */
export type Disconnect =
  /** The socket opened and then closed with this code. */
  | { kind: 'closed'; code: number; reason?: string }
  /** The upgrade failed; `status` is the HTTP status when the platform shows it (Node's ws does, browsers don't). */
  | { kind: 'refused'; status?: number }
  /** POST /auth/ticket failed; `status` is absent on a network error. */
  | { kind: 'ticket'; status?: number }
  /** The app's getToken() threw or rejected: no ticket was asked for. */
  | { kind: 'token'; message: string }
  /** No pong (nor any frame) in time: the client gave the server up. */
  | { kind: 'dead' };

export type Reaction =
  | {
      action: 'reconnect';
      /** `now` for one immediate try (the attempt counter still grows), else the backoff delay. */
      delay: 'now' | 'backoff';
      /** Call getToken({ forceRefresh: true }) before the next ticket. */
      freshToken: boolean;
      /** Wait at least this long (ms), e.g. after being rate limited. */
      minDelayMs?: number;
      /** 1009: the largest frame sent on that connection was over the server's limit; never send one that size again. */
      shrinkFrameLimit?: boolean;
    }
  | { action: 'stop'; reason: string };

export const RATE_LIMIT_PAUSE_MS = 5_000;

const backoff = (extra: Partial<Extract<Reaction, { action: 'reconnect' }>> = {}): Reaction => ({
  action: 'reconnect',
  delay: 'backoff',
  freshToken: false,
  ...extra,
});

/** PROTOCOL §2.2 and §7 as a pure decision: what the client does after a disconnect. */
export function reactTo(d: Disconnect): Reaction {
  switch (d.kind) {
    case 'dead':
    case 'token':
      return backoff();
    case 'ticket':
      // 401: the JWT was refused, so ask the app for a new one; anything else is the network or the server.
      return backoff({ freshToken: d.status === 401 });
    case 'refused':
      if (d.status === 403) return { action: 'stop', reason: 'upgrade refused with 403 (origin not allowed)' };
      if (d.status === 404) return { action: 'stop', reason: 'upgrade refused with 404 (no gateway at this path)' };
      if (d.status === 400) return { action: 'stop', reason: 'upgrade refused with 400 (not a valid WebSocket request)' };
      // 401 used the ticket up (every attempt gets a new one anyway); 429/503/unknown are transient.
      return backoff();
    case 'closed':
      switch (d.code) {
        case CloseCode.GOING_AWAY:
        case CloseCode.INSUFFICIENT_STATE:
          // shutting down, or a stream lost notifications: at once, with recovery (which then says recovered: false)
          return { action: 'reconnect', delay: 'now', freshToken: false };
        case CloseCode.UNAUTHORIZED:
          return backoff({ freshToken: true });
        case CloseCode.RATE_LIMITED:
          return backoff({ minDelayMs: RATE_LIMIT_PAUSE_MS });
        case CloseCode.MESSAGE_TOO_BIG:
          return backoff({ shrinkFrameLimit: true });
        default:
          // 1006, 4000, 4001, 4408, 1011 and anything unknown.
          return backoff();
      }
  }
}

/** The close codes the client knows, with the contract's advice (docs/protocol.md §7); the AsyncAPI test compares them. */
export const KNOWN_CLOSE_CODES = HERALD_CLOSE_CODES;
