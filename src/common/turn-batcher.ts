/**
 * Collects items until the end of the current event-loop turn (setImmediate)
 * and hands them over together. Idle, that is one item per turn and costs a
 * setImmediate; under load many publications land in one turn, and fanning
 * them out together lets one socket write carry all of them.
 */
export class TurnBatcher<T> {
  private items: T[] = [];

  constructor(private readonly flush: (items: T[]) => void) {}

  push(item: T): void {
    this.items.push(item);
    if (this.items.length === 1) setImmediate(this.run);
  }

  private readonly run = (): void => {
    const items = this.items;
    this.items = [];
    this.flush(items);
  };
}
