import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The repository root: this file sits two levels down, as src/demo/*.ts and as dist/demo/*.js. */
const root = fileURLToPath(new URL('../../', import.meta.url));

export const DEMO_ASSETS = {
  /** index.html and its script, served at `/`. */
  page: `${root}src/demo/public`,
  /** The built @herald/client ESM (npm run build), served at `/client/`. */
  client: `${root}client/dist`,
};

export const clientBuilt = () => existsSync(`${DEMO_ASSETS.client}/index.js`);
