#!/usr/bin/env node
// Runs every compiled test file with Node's test runner against real Postgres and Redis.
// One template database per run gets the migrations once; each test file clones it
// (CREATE DATABASE ... TEMPLATE), so files never share state and runs never collide.
// Usage: node scripts/test.mjs [file globs...]   (defaults to every *.spec.js and *.test.js)
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import pg from 'pg';

const adminUrl = process.env.MESHFLEET_TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
const templateDb = `mf_tpl_${runId}`;

function withDb(url, db) {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

async function admin(fn) {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

async function dropRunDatabases() {
  await admin(async (c) => {
    const { rows } = await c.query(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [
      `mf_%${runId}%`,
    ]);
    for (const { datname } of rows) {
      await c.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    }
  });
}

const patterns = process.argv.slice(2);
const defaults = [
  ...['libs', 'apps', 'agents'].flatMap((top) => [
    `${top}/*/dist/**/*.spec.js`,
    `${top}/*/dist/**/*.test.js`,
  ]),
  'e2e/dist/**/*.test.js',
];

let status = 1;
try {
  await admin((c) => c.query(`CREATE DATABASE "${templateDb}"`));
  const migrate = spawnSync('npx', ['prisma', 'migrate', 'deploy'], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, DATABASE_URL: withDb(adminUrl, templateDb) },
  });
  if (migrate.status !== 0) throw new Error('prisma migrate deploy failed on the test template database');
  const run = spawnSync(
    process.execPath,
    [
      '--enable-source-maps',
      '--test',
      `--test-concurrency=${process.env.MESHFLEET_TEST_CONCURRENCY ?? '2'}`,
      '--test-timeout=180000',
      ...(patterns.length ? patterns : defaults),
    ],
    {
      stdio: 'inherit',
      env: {
        ...process.env,
        MESHFLEET_TEST_RUN_ID: runId,
        MESHFLEET_TEST_TEMPLATE_DB: templateDb,
        MESHFLEET_TEST_DATABASE_URL: adminUrl,
        LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
      },
    },
  );
  status = run.status ?? 1;
} catch (err) {
  console.error(`test setup failed: ${err instanceof Error ? err.message : String(err)}`);
} finally {
  await dropRunDatabases().catch((e) => console.error(`cleanup failed: ${e.message}`));
}
process.exit(status);
