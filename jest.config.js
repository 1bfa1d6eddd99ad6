/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }]
  },
  testMatch: ['<rootDir>/__tests__/**/*.test.ts'],
  // The suites on a real PostgreSQL (__tests__/database/) run on their own (npm run test:database, which .ci/run
  // calls after npm test): they keep npm test within its 45 s on the 2-core machine.
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/__tests__/database/'],
  testTimeout: 60000,
  // Six workers for 2 cores: most of an end-to-end test is spent waiting, on its child process or on the (scaled)
  // clock, and the suites that wait most (faults, backup, the CLI) overlap with those that compute. Measured on this
  // 2-core machine: 3 workers 53-58 s, 4 about 48 s, 6 about 40 s for the whole suite (for some 10% more CPU time).
  maxWorkers: 6,
  // Coverage of src/ by the unit tests (`npm run test:coverage`), not in every run: instrumenting the modules the
  // end-to-end suites load too cost npm test about 20 s of CPU time (111 s instead of 91 s, 58 s instead of 48 s on
  // the 2-core machine) for numbers they cannot add to: they run the bundle in dist/ in a child process.
  collectCoverage: false,
  collectCoverageFrom: ['src/**/*.ts'],
  coverageReporters: ['text-summary'],
  clearMocks: true
}
