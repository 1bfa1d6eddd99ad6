/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }]
  },
  testMatch: ['<rootDir>/__tests__/**/*.test.ts'],
  testTimeout: 60000,
  // Six workers for 2 cores: most of an end-to-end test is spent waiting, on its child process or on the (scaled)
  // clock, and the suites that wait most (faults, backup, the CLI) overlap with those that compute. Measured on this
  // 2-core machine: 3 workers 53-58 s, 4 about 48 s, 6 about 40 s for the whole suite (for some 10% more CPU time).
  maxWorkers: 6,
  // Coverage of src/ by the tests that import it (Istanbul's instrumentation, cached with the transform). The e2e
  // tests run the bundle in dist/ in a child process, which is not counted.
  collectCoverage: true,
  collectCoverageFrom: ['src/**/*.ts'],
  coverageReporters: ['text-summary'],
  clearMocks: true
}
