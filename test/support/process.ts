import { spawn, type ChildProcess } from 'node:child_process';
import { MAIN, ROOT } from './build.js';

export { ensureBuilt, ROOT } from './build.js';

export interface MainProcess {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the first stdout line matching `pattern`; rejects if the process exits first. */
  line(pattern: RegExp, timeoutMs?: number): Promise<string>;
}

/** Runs `node dist/main.js` with only PATH and `env`: nothing leaks in from the test's own environment. */
export function runMain(env: Record<string, string>): MainProcess {
  const child = spawn(process.execPath, [MAIN], { cwd: ROOT, env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const waiters: Array<() => void> = [];
  const collect = (into: string[]) => {
    let rest = '';
    return (chunk: Buffer) => {
      const parts = (rest + chunk.toString()).split('\n');
      rest = parts.pop()!;
      into.push(...parts.filter(Boolean));
      waiters.forEach((w) => w());
    };
  };
  child.stdout!.on('data', collect(stdout));
  child.stderr!.on('data', collect(stderr));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  const line = (pattern: RegExp, timeoutMs = 60_000) =>
    new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no line matching ${pattern}; stdout: ${stdout.join('\n')}`)), timeoutMs);
      const check = () => {
        const found = stdout.find((l) => pattern.test(l));
        if (found) {
          clearTimeout(timer);
          resolve(found);
        }
      };
      waiters.push(check);
      check();
      exited.then(({ code }) => {
        clearTimeout(timer);
        reject(new Error(`exited with ${code} before a line matching ${pattern}; stderr: ${stderr.join('\n')}`));
      });
    });
  return { child, stdout, stderr, exited, line };
}
