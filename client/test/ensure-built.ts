import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const clientDir = fileURLToPath(new URL('..', import.meta.url));

function newest(dir: string): number {
  return Math.max(
    0,
    ...readdirSync(dir, { withFileTypes: true }).map((e) =>
      e.isDirectory() ? newest(`${dir}/${e.name}`) : statSync(`${dir}/${e.name}`).mtimeMs,
    ),
  );
}

/** Builds client/dist (what Herald serves at /client/) when it is missing or older than client/src. */
export function ensureClientBuilt(): void {
  const entry = `${clientDir}dist/index.js`;
  if (existsSync(entry) && statSync(entry).mtimeMs >= newest(`${clientDir}src`)) return;
  execFileSync(process.execPath, [fileURLToPath(new URL('../../node_modules/typescript/bin/tsc', import.meta.url)), '-p', `${clientDir}tsconfig.build.json`], {
    stdio: 'inherit',
  });
}
