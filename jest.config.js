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
  // Three workers for 2 cores: an e2e test spends part of its time waiting on its child process or on the
  // (scaled) clock, and a third worker fills those gaps; more only adds contention, which the timing of the e2e
  // scenarios feels.
  maxWorkers: 3,
  // Coverage of src/ by the tests that import it (Istanbul's instrumentation, cached with the transform). The e2e
  // tests run the bundle in dist/ in a child process, which is not counted.
  collectCoverage: true,
  collectCoverageFrom: ['src/**/*.ts'],
  coverageReporters: ['text-summary'],
  clearMocks: true
}
