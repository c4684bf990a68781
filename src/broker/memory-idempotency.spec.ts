import { MemoryIdempotency } from './memory-idempotency.js';

describe('MemoryIdempotency', () => {
  it('forgets expired keys on the next claim, however few there are (they waited for 10,000 before)', () => {
    let now = 0;
    const store = new MemoryIdempotency(() => now);
    for (let i = 0; i < 100; i++) expect(store.claimNow(`k${i}`, `id${i}`, 1000)).toBeUndefined();
    expect(store.size).toBe(100);
    now = 999;
    expect(store.claimNow('k5', 'other', 1000)).toBe('id5');
    now = 1000;
    expect(store.claimNow('fresh', 'f', 1000)).toBeUndefined();
    expect(store.size).toBe(1);
  });

  it('keeps expiry order when an expired key is claimed again', () => {
    let now = 0;
    const store = new MemoryIdempotency(() => now);
    store.claimNow('a', 'a1', 100);
    store.claimNow('b', 'b1', 100);
    now = 150;
    expect(store.claimNow('a', 'a2', 100)).toBeUndefined(); // b expired and dropped; a renewed at the back
    expect(store.size).toBe(1);
    now = 200;
    expect(store.claimNow('a', 'a3', 100)).toBe('a2');
    now = 250;
    expect(store.claimNow('a', 'a4', 100)).toBeUndefined(); // a2 expired at 250
    now = 350;
    store.claimNow('c', 'c1', 100); // a4 (expires at 350) is dropped
    expect(store.size).toBe(1);
    expect(store.claimNow('c', 'c2', 100)).toBe('c1');
  });
});
