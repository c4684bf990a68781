import type { StreamNotificationData } from '../src/protocol.js';
import { StreamTracker } from '../src/streams.js';

const n = (stream: 'user' | 'broadcast', offset: number, epoch = 'e1'): StreamNotificationData => ({
  id: `${stream}-${offset}`, event: 'x', payload: {}, stream, offset, epoch, ts: 0,
});
const ok = (user: [number, string], broadcast: [number, string], recovered?: boolean) => ({
  connectionId: 'c', userId: 'u', expiresAt: 0, heartbeatMs: 1000, recovered,
  streams: { user: { offset: user[0], epoch: user[1] }, broadcast: { offset: broadcast[0], epoch: broadcast[1] } },
});

describe('StreamTracker', () => {
  it('asks for no recovery before it saw anything, then learns the epochs from auth_ok', () => {
    const t = new StreamTracker();
    expect(t.recover()).toBeUndefined();
    t.authenticated(ok([3, 'e1'], [0, 'b1']));
    expect(t.recover()).toEqual({ user: { offset: 3, epoch: 'e1' }, broadcast: { offset: 0, epoch: 'b1' } });
  });

  it('accepts each offset once and drops what it already saw', () => {
    const t = new StreamTracker();
    t.authenticated(ok([0, 'e1'], [0, 'b1']));
    expect([1, 2, 2, 1, 3].map((o) => t.accept(n('user', o)))).toEqual([true, true, false, false, true]);
    expect(t.accept(n('broadcast', 1, 'b1'))).toBe(true);
    expect(t.recover()).toEqual({ user: { offset: 3, epoch: 'e1' }, broadcast: { offset: 1, epoch: 'b1' } });
  });

  it('keeps its own position when the epoch is unchanged, so a replay after it is accepted', () => {
    const t = new StreamTracker({ user: { offset: 2, epoch: 'e1' } });
    t.authenticated(ok([5, 'e1'], [0, 'b1'], true));
    expect(t.accept(n('user', 2))).toBe(false);
    expect([3, 4, 5].map((o) => t.accept(n('user', o)))).toEqual([true, true, true]);
  });

  it('starts over at the server position when the epoch changed (history lost)', () => {
    const t = new StreamTracker({ user: { offset: 9, epoch: 'old' } });
    t.authenticated(ok([1, 'new'], [0, 'b1'], false));
    expect(t.recover()?.user).toEqual({ offset: 1, epoch: 'new' });
    expect(t.accept(n('user', 1, 'new'))).toBe(false);
    expect(t.accept(n('user', 2, 'new'))).toBe(true);
  });
});
