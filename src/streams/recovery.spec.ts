import type { HistoryResult, Publication } from '../broker/broker.js';
import { recoverStream } from './recovery.js';
import { StreamHistory } from '../broker/stream-history.js';

const pub = (offset: number, epoch = 'e1'): Publication => ({ stream: 'ch', data: `m${offset}`, offset, epoch });
const history = (offset: number, retained: number[], epoch = 'e1'): HistoryResult => ({
  position: { offset, epoch },
  publications: retained.map((o) => pub(o, epoch)),
});

describe('recoverStream', () => {
  it('recovers exactly the missed publications, in order', () => {
    const out = recoverStream({ offset: 2, epoch: 'e1' }, history(5, [3, 4, 5]));
    expect(out.recovered).toBe(true);
    expect(out.publications.map((p) => p.offset)).toEqual([3, 4, 5]);
  });

  it('ignores retained publications at or before the client offset', () => {
    const out = recoverStream({ offset: 3, epoch: 'e1' }, history(5, [1, 2, 3, 4, 5]));
    expect(out).toEqual({ recovered: true, publications: [pub(4), pub(5)] });
  });

  it('recovers from offset 0 when the whole stream is retained', () => {
    expect(recoverStream({ offset: 0, epoch: 'e1' }, history(2, [1, 2])).publications.map((p) => p.offset)).toEqual([1, 2]);
  });

  it('an up-to-date client recovers with nothing to replay', () => {
    expect(recoverStream({ offset: 5, epoch: 'e1' }, history(5, [3, 4, 5]))).toEqual({ recovered: true, publications: [] });
    expect(recoverStream({ offset: 0, epoch: 'e1' }, history(0, []))).toEqual({ recovered: true, publications: [] });
  });

  it('does not recover when the epoch differs, even at the same offset', () => {
    expect(recoverStream({ offset: 2, epoch: 'old' }, history(5, [3, 4, 5]))).toEqual({ recovered: false, publications: [] });
    expect(recoverStream({ offset: 5, epoch: 'old' }, history(5, [5]))).toEqual({ recovered: false, publications: [] });
  });

  it('does not recover when some missed publications were trimmed (gap at the start)', () => {
    expect(recoverStream({ offset: 1, epoch: 'e1' }, history(5, [3, 4, 5]))).toEqual({ recovered: false, publications: [] });
  });

  it('does not recover when history has a hole in the middle', () => {
    expect(recoverStream({ offset: 1, epoch: 'e1' }, history(5, [2, 3, 5]))).toEqual({ recovered: false, publications: [] });
  });

  it('does not recover when the tail of history is missing', () => {
    expect(recoverStream({ offset: 1, epoch: 'e1' }, history(5, [2, 3]))).toEqual({ recovered: false, publications: [] });
  });

  it('does not recover when nothing missed is retained (all expired)', () => {
    expect(recoverStream({ offset: 1, epoch: 'e1' }, history(3, []))).toEqual({ recovered: false, publications: [] });
  });

  it('does not recover an offset from the future', () => {
    expect(recoverStream({ offset: 9, epoch: 'e1' }, history(5, [3, 4, 5]))).toEqual({ recovered: false, publications: [] });
  });

  it('works end to end with StreamHistory trimming and TTL', () => {
    const s = new StreamHistory(3, 1_000, 0);
    for (let i = 1; i <= 5; i++) s.append('ch', `m${i}`, i);
    const epoch = s.epoch;
    expect(recoverStream({ offset: 2, epoch }, s.read('ch', 10, { since: 2 })).publications.map((p) => p.data)).toEqual(['m3', 'm4', 'm5']);
    expect(recoverStream({ offset: 1, epoch }, s.read('ch', 10, { since: 1 })).recovered).toBe(false);
    expect(recoverStream({ offset: 4, epoch }, s.read('ch', 2_000, { since: 4 })).recovered).toBe(false);
  });
});
