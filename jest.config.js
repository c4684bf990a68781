/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
    // the wire vocabulary the server imports from the SDK: its source, so tests need no client build
    '^@herald/client/protocol$': '<rootDir>/client/src/protocol.ts',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }],
  },
  // client/test: the @herald/client workspace's tests (SDK, React hooks in jsdom, the demo page in Chromium).
  roots: ['<rootDir>/src', '<rootDir>/test', '<rootDir>/client/test'],
  testMatch: ['**/*.spec.ts', '**/*.e2e.ts'],
  // generous: the suite must pass on a loaded 2-core machine; waits inside tests have their own, shorter deadlines
  testTimeout: 60000,
};
