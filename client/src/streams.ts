import type { AuthOkData, StreamNotificationData, StreamName, StreamPosition, StreamPositions } from './protocol.js';

const STREAMS: StreamName[] = ['user', 'broadcast'];

/**
 * The client's position in each `/notification` stream: what it sends as
 * `recover` on every reconnect, and the filter that makes each notification
 * reach the app exactly once and in order.
 */
export class StreamTracker {
  private readonly positions = new Map<StreamName, StreamPosition>();

  constructor(initial?: Partial<StreamPositions>) {
    for (const stream of STREAMS) {
      const p = initial?.[stream];
      if (p) this.positions.set(stream, { ...p });
    }
  }

  /** What to send as `auth.data.recover`, or undefined when nothing was seen yet. */
  recover(): Partial<StreamPositions> | undefined {
    if (this.positions.size === 0) return undefined;
    return Object.fromEntries([...this.positions].map(([s, p]) => [s, { ...p }]));
  }

  snapshot(): Partial<StreamPositions> {
    return this.recover() ?? {};
  }

  /**
   * Applies `auth_ok`. A stream whose epoch is new (or that we never saw)
   * starts at the server's position. A stream with the same epoch keeps ours:
   * whatever the server replays next is after it, and on `recovered: false`
   * it may still have replayed this stream (the flag covers both streams).
   */
  authenticated(ok: AuthOkData): void {
    if (!ok.streams) return;
    for (const stream of STREAMS) {
      const server = ok.streams[stream];
      if (!server) continue;
      const ours = this.positions.get(stream);
      if (!ours || ours.epoch !== server.epoch || ours.offset > server.offset) this.positions.set(stream, { ...server });
    }
  }

  /** True when the notification is new (and records it); false for one already seen. */
  accept(n: StreamNotificationData<unknown>): boolean {
    const ours = this.positions.get(n.stream);
    if (ours && ours.epoch === n.epoch && n.offset <= ours.offset) return false;
    this.positions.set(n.stream, { offset: n.offset, epoch: n.epoch });
    return true;
  }
}
