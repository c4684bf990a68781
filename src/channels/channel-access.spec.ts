import { grantedBy } from './channel-access.js';

describe('grantedBy (PROTOCOL §10 rules 1 and 2)', () => {
  it('grants an exact name only that channel', () => {
    expect(grantedBy('team:7', ['team:7'], [])).toBe(true);
    expect(grantedBy('team:70', ['team:7'], [])).toBe(false);
    expect(grantedBy('team:7:docs', ['team:7'], [])).toBe(false);
  });

  it('grants a prefix ending in * every channel that starts with it', () => {
    expect(grantedBy('team:7:docs', ['team:7:*'], [])).toBe(true);
    expect(grantedBy('team:7:', ['team:7:*'], [])).toBe(true);
    expect(grantedBy('team:7', ['team:7:*'], [])).toBe(false);
    expect(grantedBy('team:70:docs', ['team:7:*'], [])).toBe(false);
    expect(grantedBy('anything', ['*'], [])).toBe(true);
  });

  it('grants a channel under a public prefix to anyone, without a claim', () => {
    expect(grantedBy('public:lobby', undefined, ['public:'])).toBe(true);
    expect(grantedBy('publicity', undefined, ['public:'])).toBe(false);
    expect(grantedBy('news:1', [], ['public:', 'news:'])).toBe(true);
  });

  it('grants nothing without a claim or public prefix', () => {
    expect(grantedBy('team:7', undefined, [])).toBe(false);
    expect(grantedBy('team:7', [], [])).toBe(false);
  });
});
