// FleetAggregate, the fleet counts Postgres keeps with triggers: after random changes to clusters
// and their snapshots (some of them concurrent, on overlapping clusters), the stored aggregates
// equal a recount from scratch, and the unfiltered fleetSummary (read from them) equals the
// summary of the same clusters read by a scan (a label selector every cluster matches).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { startApi, TestApi } from './harness';

const PROVIDERS = ['AKS', 'EKS', 'GKE', 'ONPREM'];
const REGIONS = ['westeurope', 'eu-west-1', null, 'dc1'];
const STATUSES = ['PENDING', 'CONNECTED', 'CONNECTED', 'CONNECTED', 'OFFLINE', 'DEREGISTERED'];
const HEALTH = ['HEALTHY', 'HEALTHY', 'DEGRADED', 'UNHEALTHY', 'NOT_INSTALLED'];
const VERSIONS = ['edge-26.6.3', 'edge-26.5.1', 'enterprise-2.19.1', null];
const SKEW = ['none', 'within-support', 'unsupported', 'unknown', null];
const ANCHORS: Array<[string[], string[]] | null> = [
  [['a'.repeat(64)], ['CN=root.a']],
  [['b'.repeat(64)], ['CN=root.b']],
  [
    ['a'.repeat(64), 'b'.repeat(64)],
    ['CN=root.a', 'CN=root.b'],
  ],
  null,
];

// Deterministic, so a failure can be replayed.
let seed = 7;
const rand = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
const sample = <T>(xs: readonly T[], n: number): T[] => [...xs].sort(() => rand() - 0.5).slice(0, n);

const SUMMARY = `query($f: ClusterFilter) { fleetSummary(filter: $f, expiringWithinDays: 30) {
  health { total healthy degraded unhealthy unknown notInstalled }
  drift { clustersChecked clustersWithDrift findings }
  byProvider { provider total healthy degraded unhealthy unknown notInstalled }
  byRegion { region clusters }
  agentsOffline pendingEnrollment
  versions { version clusters proxiesLagging }
  newestRelease clustersBehindNewest clustersWithoutLinkerd
  podCoverage trafficCoverage
  worstCoverage { clusterId clusterName podCoverage trafficCoverage }
  expiringCertificates { clusterId clusterName role name notAfter expiresInDays }
  trustAnchorGroups { sha256Fingerprint subject clusterCount clusters } trustAnchorGroupCount
  resources { clustersReporting measuredProxies proxyCpuCores proxyMemoryBytes controlPlaneMemoryBytes
    proxiesNearLimit proxiesOomKilled worstClusters { clusterId clusterName memoryMaxBytes memoryBytes oomKilled } }
} }`;

/** Deep equality with numbers compared to 1e-9 (sums kept incrementally round differently). */
function assertClose(a: unknown, b: unknown, path = '$'): void {
  if (typeof a === 'number' && typeof b === 'number') {
    assert.ok(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b)), `${path}: ${a} ≠ ${b}`);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    assert.equal(a.length, b.length, `${path}: length ${a.length} ≠ ${b.length}`);
    a.forEach((x, i) => assertClose(x, b[i], `${path}[${i}]`));
    return;
  }
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    assert.deepEqual(Object.keys(a).sort(), Object.keys(b).sort(), path);
    for (const k of Object.keys(a)) assertClose((a as any)[k], (b as any)[k], `${path}.${k}`);
    return;
  }
  assert.deepEqual(a, b, path);
}

/** byRegion ties (equal counts) come in either order: compare it as a set. */
const normal = (s: any) => ({
  ...s,
  byRegion: [...s.byRegion].sort((x: any, y: any) => String(x.region).localeCompare(String(y.region))),
});

function healthRow(clusterId: string, org: string, now: number) {
  const version = pick(VERSIONS);
  const anchors = pick(ANCHORS);
  const total = 1 + Math.floor(rand() * 50);
  const meshed = Math.floor(rand() * (total + 1));
  const drift = rand() < 0.5 ? { total: Math.floor(rand() * 4) } : undefined;
  const resources =
    rand() < 0.6
      ? {
          proxy: {
            pods: meshed,
            cpu: rand() * 2,
            mem: Math.floor(rand() * 1e9),
            max: rand() < 0.9 ? Math.floor(rand() * 1e8) : null,
            overLimit: Math.floor(rand() * 3),
            oomKilled: Math.floor(rand() * 2),
          },
          controlPlane: rand() < 0.5 ? [{ mem: Math.floor(rand() * 1e8) }, { mem: null }] : [],
        }
      : null;
  return {
    clusterId,
    org,
    seq: Math.floor(now + rand() * 1000),
    // One in six is older than the freshness window: counted UNKNOWN while connected.
    generatedAt: new Date(now - (rand() < 1 / 6 ? 3 * 3600_000 : rand() * 20_000)).toISOString(),
    status: pick(HEALTH),
    installed: version !== null,
    version,
    skew: pick(SKEW),
    pc: rand() < 0.15 ? null : meshed / total,
    tc: rand() < 0.3 ? null : rand(),
    meshed,
    total,
    expiry: new Date(now + rand() * 60 * 86_400_000).toISOString(),
    report: {
      ...(drift ? { drift } : {}),
      certificates: [
        {
          role: 'issuer',
          name: 'identity',
          notAfter: new Date(now + rand() * 60 * 86_400_000).toISOString(),
        },
      ],
    },
    // Left out (SQL NULL) rather than a JSON null, as the ingest stores a report without them.
    anchors: anchors ? anchors[0] : undefined,
    subjects: anchors ? anchors[1] : undefined,
    resources: resources ?? undefined,
  };
}

// Like the report ingest, which updates the clusters (lastSeenAt) in the statement that writes
// their snapshots: the clusters are locked first, in id order, then the snapshots are written.
const UPSERT_HEALTH = `
  WITH l AS (SELECT c.id FROM "Cluster" c
    WHERE c.id IN (SELECT ("clusterId")::uuid FROM jsonb_to_recordset($1::jsonb) AS t("clusterId" text))
    ORDER BY c.id FOR NO KEY UPDATE)
  INSERT INTO "ClusterHealth" ("clusterId", "organizationId", sequence, "generatedAt", status, "linkerdInstalled",
    "controlPlaneVersion", "proxySkew", "podCoverage", "trafficCoverage", "meshedPods", "totalPods", "errorCount",
    "warningCount", "earliestCertExpiry", report, "trustAnchorFingerprints", "trustAnchorSubjects", resources)
  SELECT * FROM jsonb_to_recordset($1::jsonb) AS t("clusterId" uuid, org uuid, seq bigint, "generatedAt" timestamptz,
    status "HealthStatus", installed boolean, version text, skew text, pc float8, tc float8, meshed int, total int,
    e int, w int, expiry timestamptz, report jsonb, anchors jsonb, subjects jsonb, resources jsonb)
  WHERE (SELECT COUNT(*) FROM l) >= 0
  ORDER BY 1
  ON CONFLICT ("clusterId") DO UPDATE SET sequence = EXCLUDED.sequence, "generatedAt" = EXCLUDED."generatedAt",
    status = EXCLUDED.status, "linkerdInstalled" = EXCLUDED."linkerdInstalled",
    "controlPlaneVersion" = EXCLUDED."controlPlaneVersion", "proxySkew" = EXCLUDED."proxySkew",
    "podCoverage" = EXCLUDED."podCoverage", "trafficCoverage" = EXCLUDED."trafficCoverage",
    "meshedPods" = EXCLUDED."meshedPods", "totalPods" = EXCLUDED."totalPods",
    "earliestCertExpiry" = EXCLUDED."earliestCertExpiry", report = EXCLUDED.report,
    "trustAnchorFingerprints" = EXCLUDED."trustAnchorFingerprints",
    "trustAnchorSubjects" = EXCLUDED."trustAnchorSubjects", resources = EXCLUDED.resources`;

// A recount of every organization's aggregates from the clusters, as the migration fills them.
const RECOUNT = `
  SELECT x."organizationId", x.kind, x.provider, x.region, x.status, x.health, x.version, x."anchorsKey",
    SUM(x.clusters)::int AS clusters, SUM(x.lagging)::int AS lagging, SUM(x.reported)::int AS reported,
    SUM(x."meshedPods")::float8 AS "meshedPods", SUM(x."totalPods")::float8 AS "totalPods",
    SUM(x."trafficWeighted") AS "trafficWeighted", SUM(x."trafficPods")::float8 AS "trafficPods",
    SUM(x."driftChecked")::int AS "driftChecked", SUM(x."driftClusters")::int AS "driftClusters",
    SUM(x."driftFindings")::float8 AS "driftFindings", SUM(x."resourceClusters")::int AS "resourceClusters",
    SUM(x."proxyPods") AS "proxyPods", SUM(x."proxyCpu") AS "proxyCpu", SUM(x."proxyMemory") AS "proxyMemory",
    SUM(x."proxyNearLimit") AS "proxyNearLimit", SUM(x."proxyOomKilled") AS "proxyOomKilled",
    SUM(x."controlPlaneMemory") AS "controlPlaneMemory",
    SUM(x."controlPlaneMemoryEntries")::int AS "controlPlaneMemoryEntries"
  FROM "Cluster" c LEFT JOIN "ClusterHealth" h ON h."clusterId" = c."id",
    LATERAL meshfleet_fleet_contribution(1, c."organizationId", c.provider::text, c.region, c.status::text,
      h."clusterId" IS NOT NULL, h.status::text, h."linkerdInstalled", h."controlPlaneVersion", h."proxySkew",
      h."meshedPods", h."totalPods", h."trafficCoverage", h."driftCount", h."trustAnchorFingerprints",
      h."trustAnchorSubjects", h.resources) x
  GROUP BY 1, 2, 3, 4, 5, 6, 7, 8 ORDER BY 1, 2, 3, 4, 5, 6, 7, 8`;

const STORED = `
  SELECT "organizationId", kind, provider, region, status, health, version, "anchorsKey", clusters, lagging,
    reported, "meshedPods"::float8 AS "meshedPods", "totalPods"::float8 AS "totalPods", "trafficWeighted",
    "trafficPods"::float8 AS "trafficPods", "driftChecked", "driftClusters",
    "driftFindings"::float8 AS "driftFindings", "resourceClusters", "proxyPods", "proxyCpu", "proxyMemory",
    "proxyNearLimit", "proxyOomKilled", "controlPlaneMemory", "controlPlaneMemoryEntries"
  FROM "FleetAggregate" WHERE clusters <> 0 ORDER BY 1, 2, 3, 4, 5, 6, 7, 8`;

describe('fleet aggregates kept by Postgres', () => {
  let api: TestApi;
  let key: string;
  let org: string;
  let otherOrg: string;
  const pools: pg.Pool[] = [];
  let db: pg.Pool;
  let clusters: string[] = [];
  let n = 0;

  async function addClusters(o: string, count: number): Promise<string[]> {
    const rows = Array.from({ length: count }, () => ({
      name: `c-${String(n++).padStart(4, '0')}`,
      provider: pick(PROVIDERS),
      region: pick(REGIONS),
      status: pick(STATUSES),
    }));
    const r = await db.query<{ id: string }>(
      `INSERT INTO "Cluster" (id, "organizationId", name, provider, region, status, labels, "updatedAt")
       SELECT gen_random_uuid(), $1, t.name, t.provider::"CloudProvider", t.region, t.status::"ClusterStatus",
         '{"all":"yes"}', now()
       FROM jsonb_to_recordset($2::jsonb) AS t(name text, provider text, region text, status text) RETURNING id`,
      [o, JSON.stringify(rows)],
    );
    return r.rows.map((x) => x.id);
  }

  const upsertHealth = (conn: pg.Pool, o: string, ids: string[]) =>
    conn.query(UPSERT_HEALTH, [
      JSON.stringify(ids.map((id) => ({ ...healthRow(id, o, Date.now()), e: 0, w: 0 }))),
    ]);

  const setStatus = (conn: pg.Pool, ids: string[]) =>
    conn.query(
      // Rows locked in id order, like every multi-row writer of "Cluster".
      `WITH t AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS t(id uuid, s text, p text, r text, keep boolean)),
         l AS (SELECT c.id FROM "Cluster" c JOIN t USING (id) ORDER BY c.id FOR UPDATE OF c)
       UPDATE "Cluster" c SET status = t.s::"ClusterStatus", provider = COALESCE(t.p::"CloudProvider", c.provider),
         region = CASE WHEN t.keep THEN c.region ELSE t.r END
       FROM t JOIN l USING (id) WHERE c.id = t.id`,
      [
        JSON.stringify(
          ids.map((id) => ({
            id,
            s: pick(STATUSES),
            p: rand() < 0.2 ? pick(PROVIDERS) : null,
            r: pick(REGIONS),
            keep: rand() < 0.7,
          })),
        ),
      ],
    );

  before(async () => {
    api = await startApi();
    ({ apiKey: key, organizationId: org } = await api.newOrg('fleet-agg'));
    otherOrg = (await api.newOrg('fleet-agg-other')).organizationId;
    db = new pg.Pool({ connectionString: api.db.url, max: 4 });
    pools.push(db);
    for (let i = 0; i < 3; i++) pools.push(new pg.Pool({ connectionString: api.db.url, max: 2 }));
    // An idle connection closed by the server must not crash the run (queries report their own errors).
    for (const p of pools) p.on('error', () => undefined);
    // Snapshots before the catalog: newestRelease needs a release to compare with.
    clusters = await addClusters(org, 80);
    await addClusters(otherOrg, 10);
    await upsertHealth(db, org, sample(clusters, 60));
  });
  after(async () => {
    await Promise.all(pools.map((p) => p.end()));
    await api.close();
  });

  it('stay equal to a recount after random changes, concurrent ones included', async () => {
    for (let round = 0; round < 12; round++) {
      // Three connections at once on overlapping clusters: snapshots and status changes race.
      await Promise.all([
        upsertHealth(pools[1]!, org, sample(clusters, 25)),
        setStatus(pools[2]!, sample(clusters, 15)),
        upsertHealth(pools[3]!, org, sample(clusters, 25)),
      ]);
      const victims = sample(clusters, 2);
      await db.query(`DELETE FROM "ClusterHealth" WHERE "clusterId" = $1`, [victims[0]]);
      await db.query(`DELETE FROM "Cluster" WHERE id = $1`, [victims[1]]);
      clusters = clusters.filter((c) => c !== victims[1]);
      clusters.push(...(await addClusters(org, 2)));
      // A transaction rolled back leaves the aggregates as they were.
      const c = await db.connect();
      try {
        await c.query('BEGIN');
        await c.query(`UPDATE "Cluster" SET status = 'DEREGISTERED' WHERE "organizationId" = $1`, [org]);
        await c.query('ROLLBACK');
      } finally {
        c.release();
      }
    }
    const [stored, recount] = await Promise.all([db.query(STORED), db.query(RECOUNT)]);
    const nonZero = recount.rows.filter((r) => r.clusters !== 0);
    assert.ok(nonZero.length > 30, `only ${nonZero.length} aggregate keys: the data is too uniform to test`);
    assertClose(stored.rows, nonZero);
  });

  it('give the unfiltered summary the same figures as a scan of the clusters', async () => {
    for (const [fast, scan] of [
      [null, { labelSelector: 'all=yes' }],
      [{ includeDeregistered: true }, { includeDeregistered: true, labelSelector: 'all' }],
      [{ provider: 'AKS' }, { provider: 'AKS', labelSelector: 'all=yes' }],
      [
        { status: 'CONNECTED', region: 'dc1' },
        { status: 'CONNECTED', region: 'dc1', search: 'c-' },
      ],
    ] as const) {
      const a = await api.gql(SUMMARY, { f: fast }, key);
      const b = await api.gql(SUMMARY, { f: scan }, key);
      assert.equal(a.errors, undefined, JSON.stringify(a.errors));
      assert.equal(b.errors, undefined, JSON.stringify(b.errors));
      assertClose(normal(a.data!.fleetSummary), normal(b.data!.fleetSummary), JSON.stringify(fast));
    }
    const all = (await api.gql(SUMMARY, { f: null }, key)).data!.fleetSummary;
    assert.ok(
      all.health.unknown > 0 && all.health.healthy > 0 && all.drift.clustersChecked > 0,
      JSON.stringify(all.health),
    );
    assert.ok(all.trustAnchorGroups.length >= 2 && all.resources.worstClusters.length === 5);
  });

  it('list the 100 most shared trust anchors and count them all', async () => {
    // 110 standalone clusters, each with its own anchor, next to the shared ones.
    const own = await addClusters(org, 110);
    await db.query(`UPDATE "Cluster" SET status = 'CONNECTED' WHERE id = ANY($1::uuid[])`, [own]);
    await upsertHealth(db, org, own);
    await db.query(
      `UPDATE "ClusterHealth" SET "trustAnchorFingerprints" = jsonb_build_array(md5("clusterId"::text) || md5("clusterId"::text)),
         "trustAnchorSubjects" = '["CN=own"]' WHERE "clusterId" = ANY($1::uuid[])`,
      [own],
    );
    const fast = (await api.gql(SUMMARY, { f: null }, key)).data!.fleetSummary;
    const scan = (await api.gql(SUMMARY, { f: { labelSelector: 'all' } }, key)).data!.fleetSummary;
    assert.equal(fast.trustAnchorGroups.length, 100);
    assert.ok(fast.trustAnchorGroupCount >= 112, String(fast.trustAnchorGroupCount));
    // The shared anchors come first, every own one has its one cluster.
    assert.ok(fast.trustAnchorGroups[0].clusterCount > 1);
    assert.equal(fast.trustAnchorGroups.at(-1).clusterCount, 1);
    assert.equal(fast.trustAnchorGroups.at(-1).clusters.length, 1);
    assertClose(normal(fast), normal(scan));
  });

  it('are what the unfiltered summary reads (a scan does not)', async () => {
    const before = (await api.gql(SUMMARY, { f: null }, key)).data!.fleetSummary.health.total;
    await db.query(
      `UPDATE "FleetAggregate" SET clusters = clusters + 5
       WHERE "organizationId" = $1 AND kind = 'health' AND status = 'CONNECTED' AND clusters > 0
         AND ctid = (SELECT ctid FROM "FleetAggregate" WHERE "organizationId" = $1 AND kind = 'health'
                     AND status = 'CONNECTED' AND clusters > 0 LIMIT 1)`,
      [org],
    );
    const fast = (await api.gql(SUMMARY, { f: null }, key)).data!.fleetSummary.health.total;
    const scan = (await api.gql(SUMMARY, { f: { labelSelector: 'all' } }, key)).data!.fleetSummary.health
      .total;
    assert.equal(fast, before + 5);
    assert.equal(scan, before);
  });

  it('go with a deleted organization', async () => {
    await db.query(`DELETE FROM "Organization" WHERE id = $1`, [otherOrg]);
    const left = await db.query(
      `SELECT COUNT(*)::int AS n FROM "FleetAggregate" WHERE "organizationId" = $1`,
      [otherOrg],
    );
    assert.equal(left.rows[0].n, 0);
  });
});
