import { logFormat } from './logger.options.js';

describe('logFormat', () => {
  it('is pretty only in development (NODE_ENV unset) with a terminal on stdout', () => {
    expect(logFormat('development', true)).toBe('pretty');
  });

  it.each([
    ['development', false],
    ['development', undefined],
    ['production', true],
    ['production', undefined],
    ['test', true],
  ] as const)('is JSON lines with NODE_ENV=%s and stdout a TTY: %s', (nodeEnv, tty) => {
    expect(logFormat(nodeEnv, tty)).toBe('json');
  });
});
