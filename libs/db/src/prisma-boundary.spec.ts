// The workspace lint rule that keeps Prisma inside repositories, run through ESLint's Node API
// on small sources placed (virtually) where services, resolvers and repositories live.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { ESLint } from 'eslint';

// dist/src/ -> libs/db -> the workspace root, where eslint.config.mjs is.
const root = resolve(__dirname, '../../../..');

describe('the Prisma boundary lint rule', () => {
  let eslint: ESLint;
  const problems = async (path: string, code: string) => {
    const [result] = await eslint.lintText(code, { filePath: resolve(root, path) });
    return (result?.messages ?? []).map((m) => `${m.ruleId}:${m.line}`);
  };

  before(() => {
    eslint = new ESLint({ cwd: root });
  });

  it('rejects the Prisma client and namespace imported into a service', async () => {
    const found = await problems(
      'libs/clusters/src/fixture.service.ts',
      [
        "import { PrismaService } from '@meshfleet/db';",
        "import type { Prisma } from '@meshfleet/db';",
        "import { PrismaClient } from '../../db/src/generated/prisma/client';",
        'export type T = [PrismaService, Prisma.InputJsonValue, PrismaClient];',
      ].join('\n'),
    );
    assert.deepEqual(found, [
      'no-restricted-imports:1',
      'no-restricted-imports:2',
      'no-restricted-imports:3',
    ]);
  });

  it('rejects queries on a transaction client handed to a resolver or processor', async () => {
    const code = [
      "import { Db } from '@meshfleet/db';",
      'export async function f(db: Db) {',
      '  await db.$queryRaw`SELECT 1`;',
      '  return db.cluster.findMany({});',
      '}',
    ].join('\n');
    for (const path of ['libs/alerts/src/fixture.resolver.ts', 'libs/webhooks/src/fixture.processor.ts'])
      assert.deepEqual(await problems(path, code), ['no-restricted-syntax:3', 'no-restricted-syntax:4']);
  });

  it('lets a service import enums, model types and the transaction client type', async () => {
    const found = await problems(
      'libs/rollouts/src/fixture.service.ts',
      [
        "import { Cluster, Db, OperationStatus } from '@meshfleet/db';",
        'export const f = (db: Db, c: Cluster) => [db, c, OperationStatus.QUEUED];',
      ].join('\n'),
    );
    assert.deepEqual(found, []);
  });

  it('lets a repository use Prisma', async () => {
    const found = await problems(
      'libs/clusters/src/fixture.repository.ts',
      [
        "import { Prisma, PrismaService } from '@meshfleet/db';",
        'export const f = (p: PrismaService) => p.$queryRaw`SELECT ${Prisma.empty}`;',
        'export const g = (p: PrismaService) => p.cluster.findMany({});',
      ].join('\n'),
    );
    assert.deepEqual(found, []);
  });
});
