import fc from 'fast-check';
import { utf8Length } from '../src/utf8.js';

describe('utf8Length', () => {
  it('matches Buffer.byteLength for any string, lone surrogates included', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (s) => utf8Length(s) === Buffer.byteLength(s, 'utf8')), { numRuns: 2000 });
    for (const s of ['', 'a', 'é', '€', '😀', '\ud800', '\udc00x', 'a😀b\ud83d', '\ud83dé', '\ud83d\ud83d\ude00']) expect(utf8Length(s)).toBe(Buffer.byteLength(s, 'utf8'));
  });
});
