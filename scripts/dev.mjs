// `npm run start:dev`: watch mode. `tsc --watch` recompiles src/ into dist/ on every save and `node --watch`
// restarts Herald whenever dist/ changes. The SDK (client/) is built once at start; rebuild it with
// `npm run build -w @herald/client` after changing it. Ctrl-C stops both.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isStale } from './build-if-stale.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const tscBin = join(root, 'node_modules/typescript/bin/tsc');
const run = (args, opts = {}) => spawn(process.execPath, args, { cwd: root, stdio: 'inherit', ...opts });
const exited = (child) => new Promise((resolve) => child.once('exit', (code) => resolve(code ?? 1)));

if (isStale()) {
  // a first full build, so that `node --watch` has something to start and /client/ is served
  const code = await exited(spawn('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' }));
  if (code !== 0) process.exit(code);
}

const tsc = run([tscBin, '-p', 'tsconfig.build.json', '--watch', '--preserveWatchOutput']);
const server = run(['--watch-path=dist', '--watch-preserve-output', 'dist/main.js']);
const children = [tsc, server];
let stopping = false;
const stop = (code) => {
  if (stopping) return;
  stopping = true;
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  Promise.all(children.map(exited)).then(() => process.exit(code));
};
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));
for (const child of children) child.once('exit', (code) => stop(code ?? 1));
