// Each test file gets its own database cloned from the run's migrated template
// (see scripts/test.mjs), and its own Redis key prefix.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

function adminUrl(): string {
  return process.env.MESHFLEET_TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
}

function withDb(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const template = process.env.MESHFLEET_TEST_TEMPLATE_DB;
  const runId = process.env.MESHFLEET_TEST_RUN_ID;
  if (!template || !runId) {
    throw new Error('Run tests through `node scripts/test.mjs` (it prepares the migrated template database)');
  }
  const name = `mf_t_${runId}_${randomBytes(4).toString('hex')}`;
  // Cloning needs the template to be idle; concurrent clones can collide briefly, so retry.
  for (let attempt = 0; ; attempt++) {
    try {
      await adminQuery(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
      break;
    } catch (e) {
      if (attempt >= 20) throw e;
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
    }
  }
  return {
    url: withDb(adminUrl(), name),
    name,
    drop: () => adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  };
}

/** An empty database (no migrations), for tests that apply migrations themselves. */
export async function createEmptyTestDatabase(): Promise<TestDatabase> {
  const runId = process.env.MESHFLEET_TEST_RUN_ID;
  if (!runId) throw new Error('Run tests through `node scripts/test.mjs` (it names the run)');
  const name = `mf_e_${runId}_${randomBytes(4).toString('hex')}`;
  await adminQuery(`CREATE DATABASE "${name}"`);
  return {
    url: withDb(adminUrl(), name),
    name,
    drop: () => adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  };
}

export function testRedisUrl(): string {
  return process.env.MESHFLEET_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
}

export function uniqueRedisPrefix(): string {
  return `mftest_${process.env.MESHFLEET_TEST_RUN_ID ?? 'adhoc'}_${randomBytes(4).toString('hex')}`;
}
