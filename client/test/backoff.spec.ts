import { backoffDelay, DEFAULT_BACKOFF } from '../src/backoff.js';

describe('backoffDelay (full jitter)', () => {
  it('grows the ceiling exponentially from baseMs and caps it at maxMs', () => {
    const top = () => 0.999999;
    const ceilings = [0, 1, 2, 3, 4, 5, 6, 7, 8, 20].map((a) => backoffDelay(a, { baseMs: 100, maxMs: 5000 }, top));
    expect(ceilings).toEqual([99, 199, 399, 799, 1599, 3199, 4999, 4999, 4999, 4999]);
  });

  it('is uniform in [0, ceiling): random 0 gives 0, random 0.5 half the ceiling', () => {
    expect(backoffDelay(3, { baseMs: 100 }, () => 0)).toBe(0);
    expect(backoffDelay(3, { baseMs: 100 }, () => 0.5)).toBe(400);
  });

  it('uses defaults of 500 ms base, 30 s cap, factor 2', () => {
    expect(DEFAULT_BACKOFF).toEqual({ baseMs: 500, maxMs: 30_000, factor: 2 });
    expect(backoffDelay(0, {}, () => 0.5)).toBe(250);
    expect(backoffDelay(100, {}, () => 0.5)).toBe(15_000);
  });

  it('never leaves [0, maxMs) whatever the random source says', () => {
    for (const r of [-1, 0, 0.3, 1, 2, Number.NaN]) {
      for (let attempt = 0; attempt < 40; attempt++) {
        const d = backoffDelay(attempt, { baseMs: 50, maxMs: 1000 }, () => r);
        expect(Number.isInteger(d) && d >= 0 && d < 1000).toBe(true);
      }
    }
  });

  it('spreads clients dropped together (not all at the same delay)', () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelay(5, { baseMs: 100 })));
    expect(delays.size).toBeGreaterThan(30);
  });
});
