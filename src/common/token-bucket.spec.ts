import { TokenBucket } from './token-bucket.js';

describe('TokenBucket', () => {
  let now: number;
  const clock = () => now;
  beforeEach(() => {
    now = 0;
  });

  const takeN = (bucket: TokenBucket, n: number) => Array.from({ length: n }, () => bucket.take()).filter(Boolean).length;

  it('allows a burst, then drops', () => {
    const bucket = new TokenBucket(50, 100, clock);
    expect(takeN(bucket, 100)).toBe(100);
    expect(bucket.take()).toBe(false);
  });

  it('refills at ratePerSec', () => {
    const bucket = new TokenBucket(50, 100, clock);
    takeN(bucket, 100);
    now += 100; // 5 tokens
    expect(takeN(bucket, 10)).toBe(5);
    now += 1_000;
    expect(takeN(bucket, 100)).toBe(50);
  });

  it('never holds more than the burst', () => {
    const bucket = new TokenBucket(50, 100, clock);
    now += 60_000;
    expect(takeN(bucket, 200)).toBe(100);
  });

  it('sustains exactly ratePerSec once the burst is spent', () => {
    const bucket = new TokenBucket(8, 16, clock);
    takeN(bucket, 16);
    let ok = 0;
    for (let i = 0; i < 64; i++) {
      now += 31.25; // 2 seconds over 64 tries, 4 tries a token
      if (bucket.take()) ok++;
    }
    expect(ok).toBe(16);
  });

  it('counts drops in a sliding window', () => {
    const bucket = new TokenBucket(1, 2, clock);
    takeN(bucket, 2);
    expect(bucket.dropsWithin(10_000)).toBe(0);
    bucket.take();
    bucket.take();
    expect(bucket.dropsWithin(10_000)).toBe(2);
    now += 5_000;
    takeN(bucket, 20); // 5 tokens refilled, 15 dropped (capped at burst 2: 2 ok, 18 dropped)
    expect(bucket.dropsWithin(10_000)).toBe(20);
    now += 5_001;
    expect(bucket.dropsWithin(10_000)).toBe(18);
    now += 10_000;
    expect(bucket.dropsWithin(10_000)).toBe(0);
  });
});
