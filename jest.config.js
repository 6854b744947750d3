/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/node', '<rootDir>/local'],
  testMatch: ['**/__tests__/**/*.test.ts'],
  transform: {
    // Type errors are caught by `npm run typecheck`; tests only transpile.
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', isolatedModules: true }],
  },
  testTimeout: 60000,
}
