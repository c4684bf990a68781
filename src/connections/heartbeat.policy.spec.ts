import { authDeadlineIn, expiryIn, heartbeatAction } from './heartbeat.policy.js';

describe('heartbeat policy', () => {
  it('pings a connection that answered the previous ping, terminates one that did not', () => {
    expect(heartbeatAction({ alive: true })).toBe('ping');
    expect(heartbeatAction({ alive: false })).toBe('terminate');
  });

  it('counts the auth deadline from the opening, never below zero', () => {
    expect(authDeadlineIn(1_000, 1_000, 10_000)).toBe(10_000);
    expect(authDeadlineIn(1_000, 4_000, 10_000)).toBe(7_000);
    expect(authDeadlineIn(1_000, 11_000, 10_000)).toBe(0);
    expect(authDeadlineIn(1_000, 50_000, 10_000)).toBe(0);
  });

  it('closes an unrefreshed connection at exp plus the clock tolerance, never below zero', () => {
    expect(expiryIn(60_000, 0, 5)).toBe(65_000);
    expect(expiryIn(60_000, 60_000, 5)).toBe(5_000);
    expect(expiryIn(60_000, 0, 0)).toBe(60_000);
    expect(expiryIn(60_000, 100_000, 5)).toBe(0);
  });
});
