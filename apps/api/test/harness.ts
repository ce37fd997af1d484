// Boots the real API (Nest + Apollo + Prisma + Redis) on an ephemeral port against a
// fresh database, the way the integration tests use it.
import { INestApplication, INestApplicationContext } from '@nestjs/common';
import { AddressInfo } from 'node:net';
import { loadConfig } from '@meshfleet/config';
import { RedisService } from '@meshfleet/redis';
import { OrganizationsService } from '@meshfleet/tenancy';
import {
  createTestDatabase,
  gql,
  GqlResponse,
  TestDatabase,
  testRedisUrl,
  uniqueRedisPrefix,
} from '@meshfleet/testing';
import { createWorker } from '@meshfleet/worker';
import { createApi } from '../src/api';

export interface TestApi {
  url: string;
  app: INestApplication;
  db: TestDatabase;
  newOrg(name: string): Promise<{ organizationId: string; apiKey: string }>;
  gql<T = Record<string, any>>(
    query: string,
    variables?: Record<string, unknown>,
    token?: string,
  ): Promise<GqlResponse<T>>;
  close(): Promise<void>;
}

export async function startApi(env: Record<string, string> = {}): Promise<TestApi> {
  const db = await createTestDatabase();
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: db.url,
    DATABASE_POOL_SIZE: '5',
    REDIS_URL: testRedisUrl(),
    MESHFLEET_REDIS_PREFIX: uniqueRedisPrefix(),
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    PORT: '0',
    MESHFLEET_PUBLIC_URL: 'https://meshfleet.example.test',
    ...env,
  });
  const app = await createApi(config);
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    app,
    db,
    async newOrg(name) {
      const { organization, apiKey } = await app.get(OrganizationsService).create(name);
      return { organizationId: organization.id, apiKey };
    },
    gql: (query, variables = {}, token) => gql(url, query, variables, token),
    async close() {
      await app.close();
      await db.drop();
    },
  };
}

/**
 * Starts a worker on the same database and Redis prefix as `api`; `env` adds settings (encryption
 * keys, intervals) but cannot replace the database, Redis or log level.
 */
export function startWorkerFor(
  api: TestApi,
  env: Record<string, string> = {},
): Promise<INestApplicationContext> {
  return createWorker(
    loadConfig({
      MESHFLEET_WORKER_PORT: '0',
      ...env,
      DATABASE_URL: api.db.url,
      REDIS_URL: testRedisUrl(),
      MESHFLEET_REDIS_PREFIX: api.app.get(RedisService).prefix,
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    }),
  );
}
