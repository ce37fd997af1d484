// Lint rules for the whole workspace (flat config).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const NO_STRING_ERRORS = {
  selector: "NewExpression[callee.name='Error'] > CallExpression[callee.name='String']",
  message: 'Throw a typed domain error instead of new Error(String(e)).',
};

// Prisma lives in repositories (*.repository.ts) and libs/db. Everywhere else, code calls a
// repository method and passes the transaction client it was given (the `Db` type) through.
// Enum values (OperationStatus) and model types (Cluster) from @meshfleet/db stay importable;
// the client, the `Prisma` namespace (query input types, Prisma.sql, Prisma.DbNull) and the
// Prisma error helpers do not.
const PRISMA_OUTSIDE_REPOSITORIES =
  'Prisma belongs in a repository: add a method to the owning *.repository.ts.';
const PRISMA_FREE_FILES = ['libs/*/src/**/*.ts', 'apps/*/src/**/*.ts'];
const PRISMA_ALLOWED = [
  '**/*.repository.ts',
  'libs/db/**',
  'libs/testing/**',
  '**/*.spec.ts',
  '**/*.test.ts',
  // Assembly: modules import DbModule and hand PrismaService to the readiness check.
  '**/*.module.ts',
  'apps/worker/src/worker.ts',
];
const PRISMA_DELEGATE_CALLS =
  'findMany|findFirst|findUnique|findFirstOrThrow|findUniqueOrThrow|createMany|createManyAndReturn|updateMany|updateManyAndReturn|deleteMany|upsert|aggregate|groupBy';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'libs/db/src/generated/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'off',
      'no-restricted-syntax': ['error', NO_STRING_ERRORS],
    },
  },
  {
    // The GraphQL IDE's page script runs in the browser.
    files: ['apps/api/ide/**/*.js'],
    languageOptions: { globals: { ...globals.browser }, sourceType: 'script' },
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
  {
    files: PRISMA_FREE_FILES,
    ignores: PRISMA_ALLOWED,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: '@meshfleet/db',
              importNames: ['PrismaService', 'Prisma', 'isUniqueViolation', 'translatePrismaError'],
              message: PRISMA_OUTSIDE_REPOSITORIES,
            },
          ],
          patterns: [
            {
              group: ['**/generated/prisma*', '@prisma/*', '@meshfleet/db/*'],
              message: PRISMA_OUTSIDE_REPOSITORIES,
            },
          ],
        },
      ],
      'no-restricted-syntax': [
        'error',
        NO_STRING_ERRORS,
        {
          selector:
            'MemberExpression[property.name=/^\\$(transaction|queryRaw|queryRawUnsafe|executeRaw|executeRawUnsafe)$/]',
          message: PRISMA_OUTSIDE_REPOSITORIES,
        },
        {
          // db.cluster.findMany(...) on a transaction client handed in.
          selector: `CallExpression[callee.object.type='MemberExpression'][callee.property.name=/^(${PRISMA_DELEGATE_CALLS})$/]`,
          message: PRISMA_OUTSIDE_REPOSITORIES,
        },
      ],
    },
  },
);
