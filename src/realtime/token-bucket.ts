/**
 * Token bucket: `ratePerSec` tokens a second, holding at most `burst`.
 * Also counts drops in a sliding 10 s window, for the 4429 rule of PROTOCOL §7.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private drops: number[] = [];

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
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    this.drops.push(now);
    return false;
  }

  /** Messages dropped within the last `windowMs`. */
  dropsWithin(windowMs = 10_000): number {
    const since = this.now() - windowMs;
    while (this.drops.length > 0 && this.drops[0] < since) this.drops.shift();
    return this.drops.length;
  }
}
