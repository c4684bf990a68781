/**
 * Token bucket: `ratePerSec` tokens a second, holding at most `burst`.
 * Also counts drops in a sliding 10 s window, for the 4429 rule of PROTOCOL §7.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  /** Drop times, oldest first; entries before `head` have left the window. Created on the first drop. */
  private drops: number[] | null = null;
  private head = 0;

  constructor(
    private readonly ratePerSec: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = burst;
    this.last = now();
  }

  /** Takes one token; false when the bucket is empty. */
  take(): boolean {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.ratePerSec);
    this.last = now;
    // refill is fractional: without the epsilon, 10/s can come up a hair short of a whole token
    if (this.tokens >= 1 - 1e-9) {
      this.tokens = Math.max(0, this.tokens - 1);
      return true;
    }
    (this.drops ??= []).push(now);
    return false;
  }

  /** Messages dropped within the last `windowMs`. */
  dropsWithin(windowMs = 10_000): number {
    if (this.drops === null) return 0;
    const since = this.now() - windowMs;
    while (this.head < this.drops.length && this.drops[this.head] < since) this.head++;
    if (this.head > 64 && this.head * 2 > this.drops.length) {
      this.drops = this.drops.slice(this.head);
      this.head = 0;
    }
    return this.drops.length - this.head;
  }
}
