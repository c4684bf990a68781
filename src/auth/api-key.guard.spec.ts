import type { HeraldConfig } from '../config/herald-config.js';
import { ApiKeyGuard, bearerToken } from './api-key.guard.js';

const guard = (apiKeys: string[]) => new ApiKeyGuard({ apiKeys } as HeraldConfig);

describe('ApiKeyGuard.isValid', () => {
  const long = 'k'.repeat(200);
  const g = guard(['key-one', 'schlüssel-zwei', long]);

  it('accepts every configured key, many times over (the shared buffer is reset between calls)', () => {
    for (let i = 0; i < 3; i++) {
      expect(g.isValid('key-one')).toBe(true);
      expect(g.isValid('schlüssel-zwei')).toBe(true);
      expect(g.isValid(long)).toBe(true);
    }
  });

  it.each([
    ['a prefix', 'key-on'],
    ['an extension', 'key-one1'],
    ['a trailing NUL (the padding byte)', 'key-one\u0000'],
    ['another case', 'KEY-ONE'],
    ['empty', ''],
    ['a longer key that starts like the longest', `${long}k`],
    ['a key longer than any slot', 'x'.repeat(10_000)],
  ])('refuses %s', (_name, key) => {
    expect(g.isValid(key)).toBe(false);
    // and a failed attempt leaves nothing behind for the next check
    expect(g.isValid('key-one')).toBe(true);
  });

  it('refuses everything without keys, and undefined always', () => {
    expect(guard([]).isValid('anything')).toBe(false);
    expect(g.isValid(undefined)).toBe(false);
  });
});

describe('bearerToken', () => {
  it.each([
    ['Bearer abc', 'abc'],
    ['bearer abc', 'abc'],
    ['BEARER   abc  ', 'abc'],
    ['Bearer a b', 'a b'],
    ['Bearer', undefined],
    ['Bearer ', undefined],
    ['Bearerx abc', undefined],
    ['Basic abc', undefined],
    ['Xearer abc', undefined],
    [undefined, undefined],
  ])('%j → %j', (header, token) => {
    expect(bearerToken(header)).toBe(token);
  });
});
