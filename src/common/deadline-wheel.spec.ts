import { jest } from '@jest/globals';
import { DeadlineWheel } from './deadline-wheel.js';

interface Item {
  name: string;
  deadlineSlot: number;
}
const item = (name: string): Item => ({ name, deadlineSlot: 0 });

describe('DeadlineWheel', () => {
  let fired: Array<{ name: string; at: number }>;
  let wheel: DeadlineWheel<Item>;

  beforeEach(() => {
    jest.useFakeTimers({ now: 1_000_000 });
    fired = [];
    wheel = new DeadlineWheel<Item>(100, (i) => fired.push({ name: i.name, at: Date.now() }));
  });
  afterEach(() => {
    wheel.close();
    jest.useRealTimers();
  });

  it('fires each item once, never before its deadline and at most one resolution late', () => {
    const a = item('a');
    const b = item('b');
    wheel.schedule(a, 1_000_250);
    wheel.schedule(b, 1_000_050);
    jest.advanceTimersByTime(49);
    expect(fired).toEqual([]);
    jest.advanceTimersByTime(2000);
    expect(fired.map((f) => f.name)).toEqual(['b', 'a']);
    expect(fired[0].at).toBeGreaterThanOrEqual(1_000_050);
    expect(fired[0].at).toBeLessThanOrEqual(1_000_150);
    expect(fired[1].at).toBeGreaterThanOrEqual(1_000_250);
    expect(fired[1].at).toBeLessThanOrEqual(1_000_350);
    expect(wheel.size).toBe(0);
    expect(a.deadlineSlot).toBe(0);
  });

  it('keeps one deadline per item: rescheduling moves it, cancelling drops it', () => {
    const a = item('a');
    const b = item('b');
    wheel.schedule(a, 1_000_100);
    for (let i = 0; i < 20; i++) wheel.schedule(a, 1_000_500 + i * 100);
    wheel.schedule(b, 1_000_200);
    wheel.cancel(b);
    expect(wheel.size).toBe(1);
    jest.advanceTimersByTime(2399);
    expect(fired).toEqual([]);
    jest.advanceTimersByTime(200);
    expect(fired).toEqual([{ name: 'a', at: 1_002_400 }]);
  });

  it('waits past the 2^31-1 ms setTimeout limit instead of firing at once', () => {
    const far = item('far');
    wheel.schedule(far, Date.now() + 40 * 24 * 3600 * 1000);
    jest.advanceTimersByTime(30 * 24 * 3600 * 1000);
    expect(fired).toEqual([]);
    jest.advanceTimersByTime(11 * 24 * 3600 * 1000);
    expect(fired.map((f) => f.name)).toEqual(['far']);
  });

  it('fires an overdue deadline on the next turn', () => {
    wheel.schedule(item('late'), 10);
    jest.advanceTimersByTime(0);
    expect(fired.map((f) => f.name)).toEqual(['late']);
  });
});
