// The migration that made Operation -> OperationAttempt -> OperationStep the one aggregate, run on
// data written in the shape before it: every AgentTask becomes an attempt of its operation (same
// id), its events become steps in order, a direct diagnostics task becomes an operation of its own,
// and an operation whose task is gone keeps its steps on an attempt of their own.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { createEmptyTestDatabase, type TestDatabase } from '@meshfleet/testing';

const MIGRATIONS = path.resolve(__dirname, '../../../../prisma/migrations');
const TARGET = '20261202143000_operation_attempts_a';

const ORG = '00000000-0000-4000-8000-000000000001';
const CLUSTER = '00000000-0000-4000-8000-000000000002';
const INSTALL = '00000000-0000-4000-8000-0000000000a1';
const UPGRADE = '00000000-0000-4000-8000-0000000000a2';
const TASK_1 = '00000000-0000-4000-8000-0000000000b1';
const TASK_2 = '00000000-0000-4000-8000-0000000000b2';
const DIAG = '00000000-0000-4000-8000-0000000000b3';

const ev = (step: string, status: string, at: string, message?: string) => ({
  step,
  status,
  at,
  ...(message === undefined ? {} : { message }),
});

function migrationsUntil(name: string, inclusive: boolean): string[] {
  const all = readdirSync(MIGRATIONS, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  assert.ok(all.includes(name), `${name} is a migration`);
  return all.filter((m) => (inclusive ? m <= name : m < name));
}

const sqlOf = (m: string) => readFileSync(path.join(MIGRATIONS, m, 'migration.sql'), 'utf8');

describe(`migration ${TARGET} on data of the shape before it`, () => {
  let db: TestDatabase;
  let client: pg.Client;

  before(async () => {
    db = await createEmptyTestDatabase();
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    for (const m of migrationsUntil(TARGET, false)) await client.query(sqlOf(m));

    await client.query(`INSERT INTO "Organization" (id, name, "updatedAt") VALUES ($1, 'acme', now())`, [
      ORG,
    ]);
    await client.query(
      `INSERT INTO "Cluster" (id, "organizationId", name, provider, status, "updatedAt")
       VALUES ($1, $2, 'prod-eu', 'GKE', 'CONNECTED', now())`,
      [CLUSTER, ORG],
    );
    // An install that failed its first attempt and succeeded on the second: the operation points at
    // its current task, the earlier task names the operation in its params.
    await client.query(
      `INSERT INTO "Operation" (id, "organizationId", "clusterId", kind, status, params, steps, attempt,
         "requestedBy", "agentTaskId", "createdAt", "updatedAt", "dispatchedAt", "finishedAt", "deadlineAt")
       VALUES ($1, $2, $3, 'INSTALL', 'SUCCEEDED', '{"release":{"version":"edge-26.8.3"}}', $4, 2,
         'user:ana', $5, '2026-11-30T10:00:00Z', '2026-11-30T10:09:00Z', '2026-11-30T10:00:01Z',
         '2026-11-30T10:09:00Z', '2026-11-30T11:00:00Z')`,
      [
        INSTALL,
        ORG,
        CLUSTER,
        JSON.stringify([
          ev('precheck', 'started', '2026-11-30T10:05:00.000Z'),
          ev('precheck', 'succeeded', '2026-11-30T10:05:02.000Z', 'ok'),
        ]),
        TASK_2,
      ],
    );
    await client.query(
      `INSERT INTO "AgentTask" (id, "organizationId", "clusterId", kind, params, status, attempt, "requestedBy",
         "createdAt", "deadlineAt", "dispatchedAt", "finishedAt", events, error)
       VALUES
       ($1, $3, $4, 'LINKERD_INSTALL', $5, 'FAILED', 1, 'user:ana', '2026-11-30T10:00:01Z',
        '2026-11-30T11:00:00Z', '2026-11-30T10:00:02Z', '2026-11-30T10:01:00Z', $6, '{"code":"PRECHECK_FAILED"}'),
       ($2, $3, $4, 'LINKERD_INSTALL', $5, 'SUCCEEDED', 2, 'user:ana', '2026-11-30T10:04:59Z',
        '2026-11-30T11:00:00Z', '2026-11-30T10:05:00Z', '2026-11-30T10:09:00Z', $7, NULL)`,
      [
        TASK_1,
        TASK_2,
        ORG,
        CLUSTER,
        JSON.stringify({ operationId: INSTALL }),
        JSON.stringify([
          ev('precheck', 'started', '2026-11-30T10:00:03.000Z'),
          ev('precheck', 'failed', '2026-11-30T10:00:59.123Z', 'Gateway API CRDs missing'),
        ]),
        JSON.stringify([
          ev('precheck', 'started', '2026-11-30T10:05:00.000Z'),
          ev('precheck', 'succeeded', '2026-11-30T10:05:02.000Z', 'ok'),
        ]),
      ],
    );
    // A diagnostics task, asked for directly (no operation, no requester recorded), still queued.
    await client.query(
      `INSERT INTO "AgentTask" (id, "organizationId", "clusterId", kind, params, status, attempt, "createdAt", "deadlineAt")
       VALUES ($1, $2, $3, 'COLLECT_PROXY_METRICS', '{"namespace":"shop","pod":"web-1"}', 'QUEUED', 1,
         '2026-11-30T12:00:00Z', '2026-11-30T12:05:00Z')`,
      [DIAG, ORG, CLUSTER],
    );
    // An upgrade whose task was cleaned up: only the operation's copy of its steps is left.
    await client.query(
      `INSERT INTO "Operation" (id, "organizationId", "clusterId", kind, status, params, steps, attempt,
         "requestedBy", "createdAt", "updatedAt", "finishedAt", "deadlineAt")
       VALUES ($1, $2, $3, 'UPGRADE', 'FAILED', '{}', $4, 1, 'user:bo', '2026-11-29T09:00:00Z',
         '2026-11-29T09:03:00Z', '2026-11-29T09:03:00Z', '2026-11-29T10:00:00Z')`,
      [UPGRADE, ORG, CLUSTER, JSON.stringify([ev('control-plane', 'failed', '2026-11-29T09:02:30.000Z')])],
    );

    // The session's time zone must not shift the instants the events recorded.
    await client.query(`SET TIME ZONE 'America/Los_Angeles'`);
    await client.query(sqlOf(TARGET));
    await client.query(`SET TIME ZONE 'UTC'`);
  });

  after(async () => {
    await client?.end();
    await db?.drop();
  });

  const attempts = async (operationId: string) =>
    (
      await client.query<{ id: string; number: number; status: string; kind: string; error: unknown }>(
        `SELECT id, number, status::text, kind, error FROM "OperationAttempt" WHERE "operationId" = $1 ORDER BY number`,
        [operationId],
      )
    ).rows;
  const steps = async (attemptId: string) =>
    (
      await client.query<{ step: string; status: string; message: string; at: Date }>(
        `SELECT step, status, message, at FROM "OperationStep" WHERE "attemptId" = $1 ORDER BY seq`,
        [attemptId],
      )
    ).rows.map((s) => ({ ...s, at: s.at.toISOString() }));

  it('keeps every task as an attempt of its operation, with its id, number and outcome', async () => {
    const rows = await attempts(INSTALL);
    assert.deepEqual(
      rows.map((r) => [r.id, r.number, r.status, r.kind]),
      [
        [TASK_1, 1, 'FAILED', 'LINKERD_INSTALL'],
        [TASK_2, 2, 'SUCCEEDED', 'LINKERD_INSTALL'],
      ],
    );
    assert.deepEqual(rows[0]!.error, { code: 'PRECHECK_FAILED' });
  });

  it("turns each task's events into steps, in order, at the instants recorded (UTC)", async () => {
    assert.deepEqual(await steps(TASK_1), [
      { step: 'precheck', status: 'started', message: '', at: '2026-11-30T10:00:03.000Z' },
      {
        step: 'precheck',
        status: 'failed',
        message: 'Gateway API CRDs missing',
        at: '2026-11-30T10:00:59.123Z',
      },
    ]);
    assert.equal((await steps(TASK_2)).length, 2, "the operation's copy is not added a second time");
  });

  it('makes a direct diagnostics task an operation of its own kind, in its state', async () => {
    const op = (
      await client.query(
        `SELECT kind::text, status::text, "requestedBy", attempt, params FROM "Operation" WHERE id = $1`,
        [DIAG],
      )
    ).rows[0];
    assert.deepEqual(op, {
      kind: 'COLLECT_PROXY_METRICS',
      status: 'DISPATCHED',
      requestedBy: 'unknown',
      attempt: 1,
      params: { namespace: 'shop', pod: 'web-1' },
    });
    assert.deepEqual(
      (await attempts(DIAG)).map((r) => [r.id, r.number, r.status]),
      [[DIAG, 1, 'QUEUED']],
    );
  });

  it('keeps the steps of an operation whose task is gone, on an attempt that ended with it', async () => {
    const [only, ...more] = await attempts(UPGRADE);
    assert.equal(more.length, 0);
    assert.equal(only!.number, 1);
    assert.equal(only!.status, 'FAILED');
    assert.deepEqual(await steps(only!.id), [
      { step: 'control-plane', status: 'failed', message: '', at: '2026-11-29T09:02:30.000Z' },
    ]);
  });

  it('drops what the aggregate replaced, and the later migrations apply on top', async () => {
    const tables = (
      await client.query<{ table_name: string }>(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'`,
      )
    ).rows.map((r) => r.table_name);
    for (const gone of ['AgentTask', '_task_owner', '_orphan_steps']) assert.ok(!tables.includes(gone), gone);
    const columns = (
      await client.query<{ column_name: string }>(
        `SELECT column_name FROM information_schema.columns WHERE table_name = 'Operation'`,
      )
    ).rows.map((r) => r.column_name);
    assert.ok(!columns.includes('steps') && !columns.includes('agentTaskId'), columns.join(','));
    const later = readdirSync(MIGRATIONS, { withFileTypes: true })
      .filter((d) => d.isDirectory() && d.name > TARGET)
      .map((d) => d.name)
      .sort();
    for (const m of later) await client.query(sqlOf(m));
    const count = await client.query(`SELECT count(*)::int AS n FROM "OperationAttempt"`);
    assert.equal(count.rows[0].n, 4);
  });
});
