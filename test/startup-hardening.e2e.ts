import { jest } from '@jest/globals';
import { ensureBuilt, runMain, type MainProcess } from './support/process.js';

// each test starts `node dist/main.js`: a Nest boot takes seconds on a loaded 2-core machine
jest.setTimeout(120_000);

/** Issue 11 §6: how `node dist/main.js` starts (or refuses to) on a risky or broken configuration. */
describe('startup hardening (node dist/main.js)', () => {
  // Each test starts up to four node processes: a loaded 2-core machine needs the margin.
  jest.setTimeout(90_000);
  const started: MainProcess[] = [];
  const run = (env: Record<string, string>) => {
    const p = runMain(env);
    started.push(p);
    return p;
  };
  const output = (p: MainProcess) => [...p.stderr, ...p.stdout].join('\n');

  beforeAll(() => ensureBuilt(), 120_000);
  afterAll(async () => {
    for (const p of started) {
      if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
      await p.exited;
    }
  });

  it('NODE_ENV=Production (any case, padded) is production: refused on the development keys', async () => {
    for (const nodeEnv of ['Production', ' PRODUCTION ']) {
      const p = run({ NODE_ENV: nodeEnv, PORT: '0', HOST: '127.0.0.1' });
      expect((await p.exited).code).toBe(1);
      expect(output(p)).toMatch(/NODE_ENV=production on built-in development keys: set JWT_SECRET or JWT_PUBLIC_KEY and SERVICE_API_KEYS/);
      expect(output(p)).not.toMatch(/listening/);
    }
  });

  it('any NODE_ENV but development (or unset) needs HERALD_DEV_KEYS=1 for the development keys', async () => {
    const refused = run({ NODE_ENV: 'staging', PORT: '0', HOST: '127.0.0.1' });
    expect((await refused.exited).code).toBe(1);
    expect(output(refused)).toMatch(/NODE_ENV="staging".*HERALD_DEV_KEYS=1/);

    const optedIn = run({ NODE_ENV: 'staging', HERALD_DEV_KEYS: '1', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' });
    await optedIn.line(/DEVELOPMENT KEYS/);
    await optedIn.line(/Herald listening on/);
    optedIn.child.kill('SIGTERM');
    await optedIn.exited;
  });

  it('a bad REDIS_URL stops the start with a one-line reason, never its password, never a stack', async () => {
    const password = 'RedisPassw0rdNeverPrinted';
    for (const url of [`redis://:${password}@127.0.0.1:notaport`, `redis://user:${password}@[bad`, `redis://:${password}@127.0.0.1:6379/abc`, `http://:${password}@host`]) {
      const p = run({ REDIS_URL: url, PORT: '0', HOST: '127.0.0.1' });
      expect((await p.exited).code).toBe(1);
      const out = output(p);
      expect(out).toMatch(/^Herald failed to start: Invalid configuration:/m);
      expect(out).toMatch(/REDIS_URL="[a-z]+:\/\/\*\*\*@/);
      expect(out).not.toContain(password);
      expect(out).not.toMatch(/^\s+at /m);
      expect(out).not.toMatch(/ExceptionHandler|Unhandled|listening/);
    }
  });

  it('other config errors exit the same friendly way, without a stack', async () => {
    const p = run({ PORT: 'abc', SERVICE_API_KEYS: ' ' });
    expect((await p.exited).code).toBe(1);
    expect(output(p)).toMatch(/^Herald failed to start: Invalid configuration:\n {2}PORT="abc"/m);
    expect(output(p)).not.toMatch(/^\s+at /m);
  });
});
