import { encode, encodeError, HeraldWsException, parseFrame, TYPE_PATTERN } from './envelope.js';

const text = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));
const errorOf = (result: ReturnType<typeof parseFrame>) => {
  if (!('error' in result)) throw new Error(`expected an error, got ${JSON.stringify(result)}`);
  return result;
};

describe('parseFrame', () => {
  it.each(['{not json', '', 'undefined', '{"type":"echo"'])('answers bad_json for non-JSON %p', (raw) => {
    expect(errorOf(parseFrame(text(raw), false)).error.code).toBe('bad_json');
  });

  it.each(['[]', '[{"type":"echo"}]', '"echo"', '42', 'null', 'true'])('answers bad_json for JSON that is not an object: %s', (raw) => {
    expect(errorOf(parseFrame(text(raw), false)).error.code).toBe('bad_json');
  });

  it('answers binary_unsupported for a binary frame, even one holding valid JSON', () => {
    expect(errorOf(parseFrame(text({ type: 'echo' }), true)).error.code).toBe('binary_unsupported');
  });

  it('accepts a fragmented frame (Buffer[])', () => {
    const result = parseFrame([Buffer.from('{"type":"ec'), Buffer.from('ho","data":1}')], false);
    expect(result).toEqual({ frame: expect.objectContaining({ type: 'echo', data: 1 }) });
  });

  it.each([
    ['missing type', {}],
    ['non-string type', { type: 5 }],
    ['empty type', { type: '' }],
    ['upper case', { type: 'Echo' }],
    ['space', { type: 'ec ho' }],
    ['slash', { type: 'a/b' }],
    ['65 characters', { type: 'a'.repeat(65) }],
  ])('answers invalid with a `type` field error for %s', (_name, value) => {
    const { error } = errorOf(parseFrame(text(value), false));
    expect(error.code).toBe('invalid');
    expect(error.errors?.map((e) => e.field)).toContain('type');
    expect(error.errors?.find((e) => e.field === 'type')?.messages.length).toBeGreaterThan(0);
  });

  it('accepts every character of the type alphabet and exactly 64 characters', () => {
    for (const type of ['a', 'a-b_c.d:e0', 'x'.repeat(64)]) {
      expect(parseFrame(text({ type }), false)).toEqual({ frame: expect.objectContaining({ type }) });
    }
    expect(TYPE_PATTERN.test('z'.repeat(64))).toBe(true);
    expect(TYPE_PATTERN.test('z'.repeat(65))).toBe(false);
  });

  it('answers invalid for an id over 64 characters, without echoing that id', () => {
    const result = errorOf(parseFrame(text({ type: 'echo', id: 'i'.repeat(65) }), false));
    expect(result.error.code).toBe('invalid');
    expect(result.error.errors?.map((e) => e.field)).toEqual(['id']);
    expect(result.id).toBeUndefined();
  });

  it('answers invalid for a non-string id', () => {
    const result = errorOf(parseFrame(text({ type: 'echo', id: 7 }), false));
    expect(result.error.errors?.map((e) => e.field)).toEqual(['id']);
    expect(result.id).toBeUndefined();
  });

  it('keeps the request id on an invalid envelope so the error can carry it', () => {
    const result = errorOf(parseFrame(text({ type: 'BAD', id: 'req-1' }), false));
    expect(result.id).toBe('req-1');
  });

  it('keeps type, id and any JSON data of a valid frame', () => {
    const data = { nested: [1, 'two', { three: null }], flag: false };
    expect(parseFrame(text({ type: 'echo', id: 'i'.repeat(64), data }), false)).toEqual({
      frame: expect.objectContaining({ type: 'echo', id: 'i'.repeat(64), data }),
    });
    for (const scalar of [0, 'x', null, [1]]) {
      const result = parseFrame(text({ type: 'echo', data: scalar }), false);
      expect('frame' in result && result.frame.data).toEqual(scalar);
    }
  });

  it('leaves data undefined and id undefined when absent', () => {
    const result = parseFrame(text({ type: 'ping' }), false);
    if (!('frame' in result)) throw new Error('expected a frame');
    expect(result.frame.data).toBeUndefined();
    expect(result.frame.id).toBeUndefined();
  });
});

describe('encode / encodeError', () => {
  it('encodes type, data and id, leaving out the absent ones', () => {
    expect(JSON.parse(encode('pong').toString())).toEqual({ type: 'pong' });
    expect(JSON.parse(encode('echo', { a: 1 }, 'c-1').toString())).toEqual({ type: 'echo', data: { a: 1 }, id: 'c-1' });
    expect(JSON.parse(encode('ack', undefined, 'c-2').toString())).toEqual({ type: 'ack', id: 'c-2' });
    expect(JSON.parse(encode('echo', null).toString())).toEqual({ type: 'echo', data: null });
  });

  it('returns a Buffer of UTF-8 JSON', () => {
    const buf = encode('echo', { text: 'héllo ✓' });
    expect(Buffer.isBuffer(buf)).toBe(true);
    expect(JSON.parse(buf.toString('utf8')).data.text).toBe('héllo ✓');
  });

  it('encodes an error frame with code and message, and errors when present', () => {
    expect(JSON.parse(encodeError(new HeraldWsException('bad_json', 'nope')).toString())).toEqual({
      type: 'error',
      data: { code: 'bad_json', message: 'nope' },
    });
    const errors = [{ field: 'data.text', messages: ['too long'] }];
    expect(JSON.parse(encodeError(new HeraldWsException('invalid', 'bad', errors), 'r1').toString())).toEqual({
      type: 'error',
      data: { code: 'invalid', message: 'bad', errors },
      id: 'r1',
    });
  });
});
