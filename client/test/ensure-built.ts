// One build-freshness checker for the whole repository lives in test/support/build.ts.
export { ensureClientBuilt } from '../../test/support/build.js';
