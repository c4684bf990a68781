/** What the wheel needs of an item: a slot field it owns (0 = not scheduled). */
export interface WheelItem {
  deadlineSlot: number;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Deadlines for many items on one timer: an item sits in the slot of
 * `resolutionMs` its deadline falls in and fires at most that much late,
 * never early. One Timeout for the process instead of a Timeout and a
 * closure per connection (about 250 bytes per idle socket). JWT `exp` is in
 * whole seconds, so the number of distinct slots stays small.
 */
export class DeadlineWheel<T extends WheelItem> {
  private readonly slots = new Map<number, Set<T>>();
  private timer?: NodeJS.Timeout;
  private armedSlot = Infinity;

  constructor(
    private readonly resolutionMs: number,
    private readonly fire: (item: T) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** (Re)schedules `item` for `at` (epoch ms); any earlier deadline of it is dropped. */
  schedule(item: T, at: number): void {
    this.cancel(item);
    const slot = Math.max(1, Math.ceil(at / this.resolutionMs));
    let items = this.slots.get(slot);
    if (!items) this.slots.set(slot, (items = new Set()));
    items.add(item);
    item.deadlineSlot = slot;
    if (slot < this.armedSlot) this.arm(slot);
  }

  cancel(item: T): void {
    const slot = item.deadlineSlot;
    if (slot === 0) return;
    item.deadlineSlot = 0;
    const items = this.slots.get(slot);
    if (!items) return;
    items.delete(item);
    if (items.size === 0) this.slots.delete(slot);
  }

  get size(): number {
    let n = 0;
    for (const items of this.slots.values()) n += items.size;
    return n;
  }

  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.armedSlot = Infinity;
    for (const items of this.slots.values()) for (const item of items) item.deadlineSlot = 0;
    this.slots.clear();
  }

  private arm(slot: number): void {
    clearTimeout(this.timer);
    this.armedSlot = slot;
    // setTimeout fires at once past 2^31-1 ms (~24.8 days): wake up then and look again
    const ms = Math.min(MAX_TIMER_MS, Math.max(0, slot * this.resolutionMs - this.now()));
    this.timer = setTimeout(this.tick, ms);
    this.timer.unref();
  }

  private readonly tick = (): void => {
    this.timer = undefined;
    this.armedSlot = Infinity;
    const due: Set<T>[] = [];
    let earliest = Infinity;
    const nowSlot = Math.floor(this.now() / this.resolutionMs);
    for (const [slot, items] of this.slots) {
      if (slot <= nowSlot) {
        this.slots.delete(slot);
        due.push(items);
      } else if (slot < earliest) earliest = slot;
    }
    if (earliest !== Infinity) this.arm(earliest);
    for (const items of due) {
      for (const item of items) {
        item.deadlineSlot = 0;
        this.fire(item);
      }
    }
  };
}
