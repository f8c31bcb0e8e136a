// ESLint (flat config): the recommended rules of ESLint and typescript-eslint, over the sources and tests.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['build/**', 'coverage/**', 'node_modules/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        fetch: 'readonly',
      },
    },
    rules: {
      // `_name` marks a parameter kept for its position
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
    },
  },
  // tests read the JSON that clients get, whatever its shape
  { files: ['test/**'], rules: { '@typescript-eslint/no-explicit-any': 'off' } },
  // the status page's script runs in a browser, a classic script written inline into the page: the browser's globals,
  // not Node's; lines of 120 at most, as Prettier cannot split its strings
  {
    files: ['core/operator/status-page/*.js'],
    languageOptions: {
      sourceType: 'script',
      globals: { document: 'readonly', EventSource: 'readonly', process: 'off', Buffer: 'off' },
    },
    rules: { 'max-len': ['error', { code: 120 }] },
  },
);
