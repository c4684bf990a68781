import { STREAM_META_TTL_MS, StreamHistory } from './stream-history.js';

const T0 = 1_000_000;

describe('StreamHistory', () => {
  it('starts empty at offset 0 with an epoch', () => {
    const s = new StreamHistory(10, 60_000, T0);
    const read = s.read('ch', T0, { since: 0 });
    expect(read.position.offset).toBe(0);
    expect(typeof read.position.epoch).toBe('string');
    expect(read.position.epoch.length).toBeGreaterThan(0);
    expect(read.publications).toEqual([]);
  });

  it('gives the first publication offset 1 and each next one the offset before plus one', () => {
    const s = new StreamHistory(10, 60_000, T0);
    const pubs = ['a', 'b', 'c', 'd'].map((d, i) => s.append('ch', d, T0 + i));
    expect(pubs.map((p) => p.offset)).toEqual([1, 2, 3, 4]);
    expect(new Set(pubs.map((p) => p.epoch))).toEqual(new Set([s.epoch]));
    expect(pubs[0]).toEqual({ stream: 'ch', data: 'a', offset: 1, epoch: s.epoch });
    expect(s.read('ch', T0 + 10).position).toEqual({ offset: 4, epoch: s.epoch });
  });

  it('reads what came after the given offset, oldest first', () => {
    const s = new StreamHistory(10, 60_000, T0);
    for (const d of ['a', 'b', 'c']) s.append('ch', d, T0);
    expect(s.read('ch', T0, { since: 1 }).publications.map((p) => [p.offset, p.data])).toEqual([
      [2, 'b'],
      [3, 'c'],
    ]);
    expect(s.read('ch', T0, { since: 3 }).publications).toEqual([]);
    expect(s.read('ch', T0, { since: 0 }).publications).toHaveLength(3);
  });

  it('returns the position only when no offset is asked for', () => {
    const s = new StreamHistory(10, 60_000, T0);
    s.append('ch', 'a', T0);
    expect(s.read('ch', T0)).toEqual({ position: { offset: 1, epoch: s.epoch }, publications: [] });
  });

  it('keeps only the last `size` publications but keeps counting offsets', () => {
    const s = new StreamHistory(3, 60_000, T0);
    for (let i = 1; i <= 7; i++) s.append('ch', `m${i}`, T0);
    const read = s.read('ch', T0, { since: 0 });
    expect(read.position.offset).toBe(7);
    expect(read.publications.map((p) => p.offset)).toEqual([5, 6, 7]);
  });

  it('drops publications older than the TTL, keeping the offset', () => {
    const s = new StreamHistory(10, 1_000, T0);
    s.append('ch', 'old', T0);
    s.append('ch', 'new', T0 + 800);
    expect(s.read('ch', T0 + 1_000, { since: 0 }).publications.map((p) => p.data)).toEqual(['old', 'new']);
    const later = s.read('ch', T0 + 1_500, { since: 0 });
    expect(later.publications.map((p) => p.data)).toEqual(['new']);
    expect(later.position.offset).toBe(2);
    expect(s.read('ch', T0 + 5_000, { since: 0 }).publications).toEqual([]);
  });

  it('returns at most `limit` publications after `since`, the oldest first', () => {
    const s = new StreamHistory(10, 60_000, T0);
    for (let i = 1; i <= 6; i++) s.append('ch', `m${i}`, T0);
    expect(s.read('ch', T0, { since: 2, limit: 3 }).publications.map((p) => p.offset)).toEqual([3, 4, 5]);
    expect(s.read('ch', T0, { since: 0, limit: 100 }).publications).toHaveLength(6);
  });

  it('uses a fresh epoch per stream', () => {
    expect(new StreamHistory(1, 1, T0).epoch).not.toBe(new StreamHistory(1, 1, T0).epoch);
  });

  it('expires only after the longer of its TTL and the metadata TTL without use', () => {
    const s = new StreamHistory(10, 1_000, T0);
    expect(s.expired(T0 + 5_000)).toBe(false);
    expect(s.expired(T0 + STREAM_META_TTL_MS + 1)).toBe(true);
    s.read('ch', T0 + STREAM_META_TTL_MS);
    expect(s.expired(T0 + STREAM_META_TTL_MS + 1)).toBe(false);
  });
});

describe('MemoryBroker memory bounds (issue 11 §3)', () => {
  it('drops entries at their TTL without a read, keeping the position; forgets the least recently used stream past the bound', async () => {
    const { MemoryBroker } = await import('./memory.broker.js');
    let now = T0;
    const broker = new MemoryBroker(10, 1_000, () => now, 3);
    try {
      await broker.publish(['a'], 'x'.repeat(100), { history: true });
      const { position } = await broker.history('a');
      now += 1_001;
      (broker as unknown as { expiry: { tick(): void } }).expiry.tick(); // the wheel's tick, on the test's clock
      const stream = (broker as unknown as { streams: Map<string, StreamHistory> }).streams.get('a')!;
      expect(stream.held).toBe(0);
      expect(await broker.history('a', { since: 0 })).toEqual({ position, publications: [] });
      for (const c of ['b', 'c', 'd']) await broker.history(c);
      expect(broker.streamCount).toBe(3);
      // 'a' was the least recently used: forgotten, so it comes back in a new epoch
      expect((await broker.history('a')).position.epoch).not.toBe(position.epoch);
    } finally {
      await broker.close();
    }
  });
});
