import { RATE_LIMIT_PAUSE_MS, reactTo } from '../src/close-policy.js';

const closed = (code: number) => reactTo({ kind: 'closed', code });

describe('close-code policy (PROTOCOL §7, §2.2)', () => {
  it.each([1001, 4010])('%i: reconnect at once (with recovery)', (code) => {
    expect(closed(code)).toEqual({ action: 'reconnect', delay: 'now', freshToken: false });
  });

  it.each([1006, 4000, 4001, 4408, 1011, 1000, 4999])('%i: reconnect with backoff, same token', (code) => {
    expect(closed(code)).toEqual({ action: 'reconnect', delay: 'backoff', freshToken: false });
  });

  it('a failing getToken: backoff, and it is told apart from a failed ticket call', () => {
    expect(reactTo({ kind: 'token', message: 'auth backend down' })).toEqual({ action: 'reconnect', delay: 'backoff', freshToken: false });
  });

  it('4401: a fresh token (and so a fresh ticket), with backoff', () => {
    expect(closed(4401)).toEqual({ action: 'reconnect', delay: 'backoff', freshToken: true });
  });

  it('4429: backoff, but at least a pause', () => {
    expect(closed(4429)).toEqual({ action: 'reconnect', delay: 'backoff', freshToken: false, minDelayMs: RATE_LIMIT_PAUSE_MS });
    expect(RATE_LIMIT_PAUSE_MS).toBeGreaterThanOrEqual(1000);
  });

  it('1009: reconnect, and never send a frame that large again', () => {
    expect(closed(1009)).toMatchObject({ action: 'reconnect', delay: 'backoff', shrinkFrameLimit: true });
  });

  it.each([403, 404, 400])('refused upgrade %i: stop (it will not change)', (status) => {
    expect(reactTo({ kind: 'refused', status })).toMatchObject({ action: 'stop' });
  });

  it.each([401, 429, 503, 500, undefined])('refused upgrade %s: backoff with a new ticket', (status) => {
    expect(reactTo({ kind: 'refused', status })).toEqual({ action: 'reconnect', delay: 'backoff', freshToken: false });
  });

  it('ticket call: 401 asks the app for a new token; network errors and 5xx back off', () => {
    expect(reactTo({ kind: 'ticket', status: 401 })).toEqual({ action: 'reconnect', delay: 'backoff', freshToken: true });
    expect(reactTo({ kind: 'ticket', status: 503 })).toEqual({ action: 'reconnect', delay: 'backoff', freshToken: false });
    expect(reactTo({ kind: 'ticket' })).toEqual({ action: 'reconnect', delay: 'backoff', freshToken: false });
  });

  it('dead server (no pong): backoff', () => {
    expect(reactTo({ kind: 'dead' })).toEqual({ action: 'reconnect', delay: 'backoff', freshToken: false });
  });
});
