import { MemoryIdempotency } from './memory.stores.js';

describe('MemoryIdempotency', () => {
  it('forgets expired keys on the next claim, however few there are (they waited for 10,000 before)', async () => {
    let now = 0;
    const store = new MemoryIdempotency(() => now);
    for (let i = 0; i < 100; i++) expect(await store.claim(`k${i}`, `id${i}`, 1000)).toBeUndefined();
    expect(store.size).toBe(100);
    now = 999;
    expect(await store.claim('k5', 'other', 1000)).toBe('id5');
    now = 1000;
    expect(await store.claim('fresh', 'f', 1000)).toBeUndefined();
    expect(store.size).toBe(1);
  });

  it('keeps expiry order when an expired key is claimed again, and after a release', async () => {
    let now = 0;
    const store = new MemoryIdempotency(() => now);
    await store.claim('a', 'a1', 100);
    await store.claim('b', 'b1', 100);
    now = 150;
    expect(await store.claim('a', 'a2', 100)).toBeUndefined(); // b expired and dropped; a renewed at the back
    expect(store.size).toBe(1);
    now = 200;
    expect(await store.claim('a', 'a3', 100)).toBe('a2');
    await store.release('a');
    expect(await store.claim('a', 'a4', 100)).toBeUndefined();
    now = 300;
    await store.claim('c', 'c1', 100); // a4 (expires at 300) is dropped
    expect(store.size).toBe(1);
    expect(await store.claim('c', 'c2', 100)).toBe('c1');
  });
});
