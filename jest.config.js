/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/node', '<rootDir>/local'],
  testMatch: ['**/__tests__/**/*.test.ts'],
  transform: {
    // tsconfig sets isolatedModules: tests only transpile; `npm run typecheck` checks types.
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
  },
  testTimeout: 60000,
}
