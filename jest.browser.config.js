import base from './jest.config.js';

/**
 * `npm run test:browser`: the suites that drive Debian's Chromium (/usr/bin/chromium) through playwright-core.
 * Every browser suite is named `*.browser.ts` (jest.config.js, which `npm test` uses, never matches it), so a
 * machine without Chromium passes `npm test`, and CI (.ci/run) installs Chromium and runs this one after it.
 */
/** @type {import('jest').Config} */
export default {
  ...base,
  testMatch: ['**/*.browser.ts'],
};
