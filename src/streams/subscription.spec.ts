import type { Connection } from '../connections/connection.js';
import { Subscription } from './subscription.js';

const conn = {} as Connection;
const pub = (offset: number, epoch = 'e1') => ({ stream: 's', data: `d${offset}`, offset, epoch });

function live(offset: number, epoch = 'e1'): Subscription {
  const sub = new Subscription(conn, 's', 'user');
  sub.moveTo({ offset, epoch });
  sub.unpark();
  return sub;
}

describe('Subscription: the one writer of its position', () => {
  it('starts parked, keeping what arrives in order, and hands it back on unpark', () => {
    const sub = new Subscription(conn, 's', 'user');
    expect(sub.parked).toBe(true);
    expect(sub.offer(pub(1))).toBe('parked');
    expect(sub.offer(pub(2))).toBe('parked');
    expect(sub.unpark().map((p) => p.offset)).toEqual([1, 2]);
    expect(sub.parked).toBe(false);
    expect(sub.position()).toEqual({ offset: 0, epoch: '' });
  });

  it('moves to the next publication, drops a repeat, and parks from a gap', () => {
    const sub = live(4);
    expect(sub.offer(pub(5))).toBe('next');
    expect(sub.position()).toEqual({ offset: 5, epoch: 'e1' });
    expect(sub.offer(pub(5))).toBe('duplicate');
    expect(sub.offer(pub(3))).toBe('duplicate');
    expect(sub.offer(pub(7))).toBe('gap');
    expect(sub.position()).toEqual({ offset: 5, epoch: 'e1' });
    expect(sub.parked).toBe(true);
    expect(sub.offer(pub(8))).toBe('parked');
    expect(sub.unpark().map((p) => p.offset)).toEqual([7, 8]);
  });

  it('counts a new epoch from its offset 0: its first publication is next, a later one a gap from 0', () => {
    const sub = live(9);
    expect(sub.offer(pub(1, 'e2'))).toBe('next');
    expect(sub.position()).toEqual({ offset: 1, epoch: 'e2' });
    const other = live(9);
    expect(other.offer(pub(3, 'e2'))).toBe('gap');
    expect(other.position()).toEqual({ offset: 0, epoch: 'e2' });
  });

  it('takes a batch only when it is the next run of its epoch, and not while parked', () => {
    const sub = live(4);
    expect(sub.offerBatch('e1', 6, 8)).toBe(false);
    expect(sub.offerBatch('e2', 5, 8)).toBe(false);
    expect(sub.offerBatch('e1', 5, 8)).toBe(true);
    expect(sub.position()).toEqual({ offset: 8, epoch: 'e1' });
    expect(sub.park()).toBe(true);
    expect(sub.park()).toBe(false);
    expect(sub.offerBatch('e1', 9, 10)).toBe(false);
    expect(sub.offset).toBe(8);
  });

  it('never parks a plain fan-out for recovery; it parks its publications only while opening', () => {
    const sub = new Subscription(conn, 'g', 'plain');
    expect(sub.offerPlain(pub(0))).toBe(false);
    expect(sub.unpark()).toHaveLength(1);
    expect(sub.offerPlain(pub(0))).toBe(true);
    expect(sub.park()).toBe(false);
  });
});
