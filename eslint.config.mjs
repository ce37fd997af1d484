// Lint rules for the whole workspace (flat config).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'libs/db/src/generated/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'off',
      'no-restricted-syntax': [
        'error',
        {
          selector: "NewExpression[callee.name='Error'] > CallExpression[callee.name='String']",
          message: 'Throw a typed domain error instead of new Error(String(e)).',
        },
      ],
    },
  },
  {
    // Tests poke at loosely typed GraphQL responses.
    files: ['**/test/**/*.ts', '**/*.spec.ts', '**/*.test.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    // Transport stays thin: resolvers, controllers, routes and processors never touch Prisma.
    files: ['**/*.resolver.ts', '**/*.controller.ts', '**/*.routes.ts', '**/*.processor.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/generated/prisma*', '@prisma/client'], message: 'Use a repository.' }] },
      ],
    },
  },
);
