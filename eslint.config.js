// ESLint flat config: TypeScript recommended rules for the app, local tooling and tests.
const tseslint = require('typescript-eslint')

module.exports = tseslint.config(
  {
    ignores: [
      'build/**',
      'node_modules/**',
      'coverage/**',
      'node/node_modules/**',
    ],
  },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
    },
  },
  {
    // The service logs through ctx.vtex.logger (IO's log pipeline); a stray console line is debugging left behind.
    files: ['node/**/*.ts', 'react/**/*.{ts,tsx}'],
    ignores: ['**/__tests__/**'],
    rules: { 'no-console': 'error' },
  },
  {
    // Tests read loosely typed JSON answers.
    files: ['**/__tests__/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['**/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: {
        require: 'readonly',
        module: 'writable',
        process: 'readonly',
        __dirname: 'readonly',
        console: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  }
)
