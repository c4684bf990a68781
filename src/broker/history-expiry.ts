import type { StreamHistory } from './stream-history.js';

/** Entries are dropped at most this late after their TTL (or a tenth of the TTL, when shorter). */
const MAX_SLOT_MS = 1000;

/**
 * Drops memory history entries once past HISTORY_TTL_MS, whether or not their
 * stream is read again: a timing wheel holding each stream with entries once,
 * in the slot of its oldest entry's expiry. Memory: one slot per stream with
 * entries; work per tick: the streams due.
 */
export class HistoryExpiry {
  private readonly slots = new Map<number, Set<StreamHistory>>();
  private readonly slotMs: number;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
    private readonly onTick: () => void = () => undefined,
  ) {
    this.slotMs = Math.max(10, Math.min(MAX_SLOT_MS, Math.floor(ttlMs / 10)));
    this.timer = setInterval(() => this.tick(), this.slotMs);
    this.timer.unref();
  }

  /** Called after an append: a stream already in a slot stays there (it is rescheduled when its slot comes). */
  track(stream: StreamHistory): void {
    if (stream.expirySlot !== undefined) return;
    const oldest = stream.oldestTs();
    if (oldest === undefined) return;
    const slot = Math.ceil((oldest + this.ttlMs) / this.slotMs);
    stream.expirySlot = slot;
    let set = this.slots.get(slot);
    if (!set) this.slots.set(slot, (set = new Set()));
    set.add(stream);
  }

  /** Drops what expired; public so that a test can drive it with its own clock. */
  tick(): void {
    const now = this.now();
    const due = Math.floor(now / this.slotMs);
    for (const [slot, streams] of this.slots) {
      if (slot > due) continue;
      this.slots.delete(slot);
      for (const stream of streams) {
        stream.expirySlot = undefined;
        stream.dropOlderThan(now - this.ttlMs);
        this.track(stream);
      }
    }
    this.onTick();
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
