import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

/** The newest modification time of the `.ts`/`.tsx` files under `dir` (0 when none). */
function newestSource(dir: string): number {
  return Math.max(
    0,
    ...readdirSync(dir, { withFileTypes: true }).map((e) =>
      e.isDirectory() ? newestSource(join(dir, e.name)) : /\.tsx?$/.test(e.name) ? statSync(join(dir, e.name)).mtimeMs : 0,
    ),
  );
}

/** The one build-freshness check: `entry` exists and is at least as new as every source file under `srcDir`. */
function isFresh(entry: string, srcDir: string): boolean {
  return existsSync(entry) && statSync(entry).mtimeMs >= newestSource(srcDir);
}

/** Runs `tsc -p <project>` unless `entry` is already fresh against `srcDir`, so a test runs the code under test. */
function buildIfStale(entry: string, srcDir: string, project: string): void {
  if (isFresh(entry, srcDir)) return;
  execFileSync(process.execPath, [TSC, '-p', project], { cwd: ROOT, stdio: 'inherit' });
}

/** dist/main.js, for tests that run Herald as a child process. */
export const MAIN = join(ROOT, 'dist', 'main.js');

export function ensureBuilt(): void {
  buildIfStale(MAIN, join(ROOT, 'src'), join(ROOT, 'tsconfig.build.json'));
}

/** client/dist (what Herald serves at /client/), for the demo page and browser tests. */
export function ensureClientBuilt(): void {
  buildIfStale(join(ROOT, 'client', 'dist', 'index.js'), join(ROOT, 'client', 'src'), join(ROOT, 'client', 'tsconfig.build.json'));
}
