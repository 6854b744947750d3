/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/node', '<rootDir>/local'],
  testMatch: ['**/__tests__/**/*.test.ts'],
  transform: {
    // tsconfig sets isolatedModules: tests only transpile; `npm run typecheck` checks types.
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
  },
  // A limit for a hung test, not a speed target: the job suites' own waits (up to 120 s for a
  // 20,000-item job on a loaded 2-core machine) must end first. Speed targets live in the bench.
  testTimeout: 180000,
}
