// `npm start` and `npm run token` run this first: it builds only when dist/ or client/dist/ is missing or older
// than a source file, so a built tree starts (and mints a token) in about a second instead of recompiling.
// Build output goes to stderr: `npm run -s token` prints nothing but the token on stdout.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The newest modification time under `path` (a file or a directory), 0 when it does not exist. */
export function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newestMtime(join(path, name))));
}

/** True when a build output is missing or older than anything it is compiled from. */
export function isStale(dir = root) {
  const outputs = [join(dir, 'dist/main.js'), join(dir, 'dist/cli/token.js'), join(dir, 'client/dist/index.js')];
  if (!outputs.every((file) => existsSync(file))) return true;
  const built = Math.min(...outputs.map((file) => statSync(file).mtimeMs));
  const inputs = [
    'src',
    'client/src',
    'tsconfig.json',
    'tsconfig.build.json',
    'client/tsconfig.json',
    'client/tsconfig.build.json',
    'package-lock.json',
  ];
  return inputs.some((input) => newestMtime(join(dir, input)) > built);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (isStale()) {
    process.stderr.write('herald: sources changed since the last build, running `npm run build`…\n');
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: ['ignore', process.stderr, process.stderr] });
  }
}
