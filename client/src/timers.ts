/** Named one-shot timers; setting a name again replaces its timer. */
export class Timers<Name extends string> {
  private readonly timers = new Map<Name, ReturnType<typeof setTimeout>>();

  set(name: Name, ms: number, fn: () => void): void {
    this.clear(name);
    this.timers.set(
      name,
      setTimeout(() => {
        this.timers.delete(name);
        fn();
      }, Math.max(0, ms)),
    );
  }

  has(name: Name): boolean {
    return this.timers.has(name);
  }

  clear(name: Name): void {
    const timer = this.timers.get(name);
    if (timer !== undefined) clearTimeout(timer);
    this.timers.delete(name);
  }

  clearAll(): void {
    for (const name of [...this.timers.keys()]) this.clear(name);
  }
}
