import { jest } from '@jest/globals';
import { spawn } from 'node:child_process';
import { MAIN } from './support/build.js';
import { ensureBuilt, runMain, type MainProcess } from './support/process.js';

// each test starts `node dist/main.js`: a Nest boot takes seconds on a loaded 2-core machine
jest.setTimeout(120_000);

const SECRET = 'config-e2e-secret-long-enough-0123456789';

/** PROTOCOL §8: a bad value or production on development keys stops `node dist/main.js` with a message naming it. */
describe('configuration at startup (node dist/main.js)', () => {
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

  it('exits non-zero on PORT=abc, naming PORT', async () => {
    const p = run({ PORT: 'abc' });
    const { code } = await p.exited;
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    expect(p.stderr.join('\n')).toMatch(/PORT/);
    expect(output(p)).not.toMatch(/listening/);
  });

  it('names every bad variable at once', async () => {
    const p = run({ HEARTBEAT_INTERVAL_MS: 'soon', HISTORY_SIZE: '0', PORT: '0' });
    expect((await p.exited).code).not.toBe(0);
    expect(output(p)).toMatch(/HEARTBEAT_INTERVAL_MS/);
    expect(output(p)).toMatch(/HISTORY_SIZE/);
  });

  it('exits non-zero with NODE_ENV=production on development keys, naming both missing settings', async () => {
    const p = run({ NODE_ENV: 'production', PORT: '0' });
    const { code } = await p.exited;
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    expect(output(p)).toMatch(/JWT_SECRET/);
    expect(output(p)).toMatch(/SERVICE_API_KEYS/);
  });

  it('starts on development keys outside production and says so loudly, in JSON log lines', async () => {
    const p = run({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' });
    const warning = JSON.parse(await p.line(/DEVELOPMENT KEYS/));
    expect(warning.level).toBeGreaterThanOrEqual(40);
    expect(warning.msg).toMatch(/JWT_SECRET/);
    expect(warning.msg).toMatch(/SERVICE_API_KEYS/);
    const url = /Herald listening on (http:\/\/\S+)/.exec(await p.line(/Herald listening on/))![1];
    expect((await fetch(`${url}/health/live`)).status).toBe(200);
    for (const line of p.stdout) expect(() => JSON.parse(line)).not.toThrow();
    p.child.kill('SIGTERM');
    await p.exited;
  });

  it('logs the address it binds: all interfaces when HOST is unset, the one given otherwise', async () => {
    const wildcard = run({ PORT: '0' });
    const line = JSON.parse(await wildcard.line(/Herald listening on/)).msg as string;
    const port = /^Herald listening on http:\/\/0\.0\.0\.0:(\d+) \(all interfaces; on this machine http:\/\/localhost:\1\)/.exec(line)?.[1];
    expect(port).toBeDefined();
    expect((await fetch(`http://127.0.0.1:${port}/health/live`)).status).toBe(200);
    wildcard.child.kill('SIGTERM');
    await wildcard.exited;

    const loopback = run({ PORT: '0', HOST: '127.0.0.1' });
    expect(JSON.parse(await loopback.line(/Herald listening on/)).msg).toMatch(/^Herald listening on http:\/\/127\.0\.0\.1:\d+ \(REST/);
    loopback.child.kill('SIGTERM');
    await loopback.exited;
  });

  it('starts in production with its keys set, without the development-keys warning', async () => {
    const p = run({ NODE_ENV: 'production', PORT: '0', HOST: '127.0.0.1', JWT_SECRET: SECRET, SERVICE_API_KEYS: 'k1,k2' });
    await p.line(/Herald listening on/);
    expect(p.stdout.join('\n')).not.toMatch(/DEVELOPMENT KEYS/);
    for (const line of p.stdout) expect(() => JSON.parse(line)).not.toThrow();
    p.child.kill('SIGTERM');
    await p.exited;
  });

  it('logs human-readable lines, not JSON, with NODE_ENV unset and a terminal on stdout', async () => {
    // script(1) gives the process a pseudo-terminal as stdout
    const child = spawn('script', ['-qfec', `${process.execPath} ${MAIN}`, '/dev/null'], {
      env: { PATH: process.env.PATH, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const exited = new Promise((resolve) => child.once('close', resolve));
    try {
      let out = '';
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no listening line; got: ${out}`)), 60_000);
        child.stdout!.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (/Herald listening on/.test(out)) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      const line = out.split(/\r?\n/).find((l) => /Herald listening on/.test(l))!;
      expect(() => JSON.parse(line)).toThrow();
      expect(line).toMatch(/INFO/);
      expect(out).toMatch(/DEVELOPMENT KEYS/);
    } finally {
      process.kill(-child.pid!, 'SIGKILL');
      await exited;
    }
  });
});
