import { parseJsonBody } from './json-body.middleware.js';

const parse = (text: string) => parseJsonBody(Buffer.from(text));

describe('parseJsonBody', () => {
  it('parses objects and arrays, an empty body as {}', () => {
    expect(parse(' {"event":"e"}')).toEqual({ event: 'e' });
    expect(parse('[1]')).toEqual([1]);
    expect(parse('')).toEqual({});
  });

  it.each(['"str"', '1', 'null', 'nope', '{"a":', ' '])('refuses %j with 400 and a field error', (text) => {
    expect(() => parse(text)).toThrow(expect.objectContaining({ status: 400, response: expect.objectContaining({ errors: [expect.objectContaining({ field: 'body' })] }) }));
  });

  it('strips prototype keys everywhere, spelled out or escaped, as the validation pipe would', () => {
    const body = parse('{"event":"e","__proto__":{"polluted":1},"payload":{"a":[{"constructor":{"prototype":1}}],"\\u005f_proto__":{"x":1},"keep":"proto"}}') as Record<string, any>;
    expect(Object.getPrototypeOf(body)).toBe(Object.prototype);
    expect(Object.keys(body)).toEqual(['event', 'payload']);
    expect(body.payload).toEqual({ a: [{}], keep: 'proto' });
    expect(Object.hasOwn(body.payload, '__proto__')).toBe(false);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses a body nested deeper than WebSocket data may be', () => {
    expect(() => parse(`{"payload":${'['.repeat(80)}${']'.repeat(80)}}`)).toThrow(expect.objectContaining({ status: 400 }));
  });
});
