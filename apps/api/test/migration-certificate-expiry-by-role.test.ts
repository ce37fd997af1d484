// The migration that adds ClusterHealth.certificateExpiryByRole fills it for snapshots stored
// before it, from their reports: the soonest notAfter per role, as the ingest would write it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { exampleHealthReport } from '@meshfleet/agent-protocol';
import { certificateExpiryByRole } from '@meshfleet/linkerd';
import { createEmptyTestDatabase, type TestDatabase } from '@meshfleet/testing';

const MIGRATIONS = path.resolve(__dirname, '../../../../prisma/migrations');
const TARGET = '20261203120000_health_certificate_expiry_by_role';
const ORG = '00000000-0000-4000-8000-000000000001';
const WITH_CERTS = '00000000-0000-4000-8000-000000000002';
const NO_CERTS = '00000000-0000-4000-8000-000000000003';

const migrations = readdirSync(MIGRATIONS, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();
const sqlOf = (m: string) => readFileSync(path.join(MIGRATIONS, m, 'migration.sql'), 'utf8');

describe(`migration ${TARGET} on snapshots stored before it`, () => {
  let db: TestDatabase;
  let client: pg.Client;
  const report = exampleHealthReport();
  const base = report.certificates[0]!;
  report.certificates = [
    { ...base, role: 'trust-anchor', notAfter: '2036-01-01T00:00:00Z' },
    { ...base, role: 'issuer', notAfter: '2027-05-01T10:00:00.250Z' },
    { ...base, role: 'webhook', notAfter: '2027-09-01T00:00:00+02:00' },
    { ...base, role: 'webhook', notAfter: '2027-03-01T00:00:00Z' },
  ];

  before(async () => {
    assert.ok(migrations.includes(TARGET));
    db = await createEmptyTestDatabase();
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    for (const m of migrations.filter((x) => x < TARGET)) await client.query(sqlOf(m));
    await client.query(`INSERT INTO "Organization" (id, name, "updatedAt") VALUES ($1, 'acme', now())`, [
      ORG,
    ]);
    for (const [id, r] of [
      [WITH_CERTS, report],
      [NO_CERTS, { ...report, certificates: [] }],
    ] as const) {
      await client.query(
        `INSERT INTO "Cluster" (id, "organizationId", name, provider, status, "updatedAt")
         VALUES ($1, $2, $3, 'GKE', 'CONNECTED', now())`,
        [id, ORG, `cluster-${id.slice(-1)}`],
      );
      await client.query(
        `INSERT INTO "ClusterHealth" ("clusterId", "organizationId", sequence, "generatedAt", status,
           "linkerdInstalled", "meshedPods", "totalPods", "errorCount", "warningCount", report)
         VALUES ($1, $2, 1, now(), 'HEALTHY', true, 1, 1, 0, 0, $3::jsonb)`,
        [id, ORG, JSON.stringify(r)],
      );
    }
    await client.query(sqlOf(TARGET));
  });
  after(async () => {
    await client?.end();
    await db?.drop();
  });

  it('writes what the ingest would for each snapshot', async () => {
    const rows = await client.query<{ clusterId: string; e: Record<string, string> }>(
      `SELECT "clusterId", "certificateExpiryByRole" AS e FROM "ClusterHealth" ORDER BY "clusterId"`,
    );
    assert.deepEqual(rows.rows, [
      { clusterId: WITH_CERTS, e: certificateExpiryByRole(report.certificates) },
      { clusterId: NO_CERTS, e: {} },
    ]);
    assert.equal(rows.rows[0]!.e['webhook'], '2027-03-01T00:00:00.000Z');
  });
});
