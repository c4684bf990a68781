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

  it('refuses prototype keys anywhere, spelled out or escaped, naming the field (issue 11: never dropped silently)', () => {
    for (const [json, field] of [
      ['{"event":"e","__proto__":{"polluted":1}}', '__proto__'],
      ['{"event":"e","payload":{"a":[{"constructor":{"x":1}}]}}', 'payload.a.0.constructor'],
      ['{"event":"e","payload":{"\\u005f_proto__":{"x":1}}}', 'payload.__proto__'],
    ] as const) {
      let thrown: any;
      try {
        parse(json);
      } catch (err) {
        thrown = err;
      }
      expect(thrown?.status).toBe(400);
      expect(thrown.getResponse().errors[0].field).toBe(field);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(parse('{"event":"e","payload":{"keep":"proto"}}')).toEqual({ event: 'e', payload: { keep: 'proto' } });
  });

  it('refuses a body nested deeper than WebSocket data may be', () => {
    expect(() => parse(`{"payload":${'['.repeat(80)}${']'.repeat(80)}}`)).toThrow(expect.objectContaining({ status: 400 }));
  });
});
