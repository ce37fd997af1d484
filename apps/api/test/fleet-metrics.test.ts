// The tenant-scoped Prometheus endpoint on a fleet whose health came in through the real agent
// gateway and whose alerts the real worker's alert pass raised; the body is read with a real
// Prometheus text parser.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { get } from 'node:http';
import { join } from 'node:path';
import type { INestApplicationContext } from '@nestjs/common';
import { parse as parseYaml } from 'yaml';
import {
  exampleEnrollRequest,
  exampleHealthReport,
  PROTOCOL_VERSION,
  type ResourceUsage,
} from '@meshfleet/agent-protocol';
import { AlertsEvaluator } from '@meshfleet/alerts';
import { FLEET_METRIC_NAMES, FLEET_METRICS_PATH } from '@meshfleet/health';
import { assertWellFormedExposition, ParsedFamily, parsePrometheusText } from '@meshfleet/testing';
import { startApi, startWorkerFor, TestApi } from './harness';

const DAY = 86_400_000;

interface Spec {
  name: string;
  provider: string;
  region: string;
  checks?: 'success' | 'warning' | 'error';
  meshed?: number;
  total?: number;
  issuerDays?: number;
  enroll?: boolean;
  resources?: ResourceUsage;
  /** Drift findings (CHANGED/DELETED) of the report's drift check; no check when absent. */
  drift?: number;
}

const MiB = 1024 * 1024;

/** A report's resource block as the agent summarizes it (metrics-server unless said otherwise). */
function resourceBlock(over: Partial<ResourceUsage> = {}): ResourceUsage {
  return {
    source: 'metrics-api',
    sampled: false,
    proxy: {
      pods: 9,
      meshedPods: 9,
      cpu: 0.093,
      mem: 9 * 22 * MiB,
      p50: 21 * MiB,
      p95: 30 * MiB,
      max: 31 * MiB,
      overLimit: 0,
      oomKilled: 1,
      restarts: 4,
    },
    top: [{ ns: 'shop', pod: 'web-7d9f-abcde', cpu: 0.02, mem: 31 * MiB, restarts: 4, oom: true }],
    namespaces: [
      { ns: 'shop', pods: 6, cpu: 0.06, mem: 6 * 22 * MiB, appMem: 600 * MiB, overhead: 0.22 },
      { ns: 'batch', pods: 3, cpu: 0.033, mem: 3 * 22 * MiB, appMem: 200 * MiB, overhead: 0.33 },
    ],
    namespacesTruncated: false,
    controlPlane: [
      {
        component: 'destination',
        pods: 1,
        cpu: 0.012,
        mem: 180 * MiB,
        limit: 250 * MiB,
        limitRatio: 0.72,
        restarts: 2,
      },
      { component: 'identity', pods: 1, cpu: 0.002, mem: 20 * MiB },
      { component: 'proxy-injector', pods: 1, cpu: 0.004, mem: 40 * MiB, limit: 250 * MiB, limitRatio: 0.16 },
    ],
    vizPrometheus: null,
    ...over,
  };
}

const SPECS: Spec[] = [
  {
    name: 'aks-ok',
    provider: 'AKS',
    region: 'westeurope',
    checks: 'success',
    meshed: 9,
    total: 12,
    issuerDays: 200,
    resources: resourceBlock(),
  },
  {
    name: 'eks-bad',
    provider: 'EKS',
    region: 'eu-west-1',
    checks: 'error',
    meshed: 1,
    total: 20,
    issuerDays: 5,
    // Only the 5 biggest namespaces are carried; the agent's own cluster-wide ratio is used.
    resources: resourceBlock({
      namespacesTruncated: true,
      proxy: { ...resourceBlock().proxy, overhead: 0.31 },
    }),
    drift: 2,
  },
  {
    name: 'gke-warn',
    provider: 'GKE',
    region: 'europe-west4',
    checks: 'warning',
    meshed: 7,
    total: 7,
    issuerDays: 90,
    drift: 0,
    // No metrics-server: the proxies' own figures; no application or control-plane usage.
    resources: resourceBlock({
      source: 'proxy-metrics',
      namespaces: [{ ns: 'shop', pods: 7, cpu: 0.07, mem: 7 * 20 * MiB, appMem: 0, overhead: null }],
      controlPlane: [
        {
          component: 'destination',
          pods: 2,
          cpu: null,
          mem: null,
          limit: 250 * MiB,
          restarts: 1,
          oomKilled: 1,
        },
        { component: 'identity', pods: 1, cpu: null, mem: null },
      ],
    }),
  },
  { name: 'onprem-silent', provider: 'ONPREM', region: 'dc1', enroll: true },
  { name: 'other-pending', provider: 'OTHER', region: 'lab' },
];

const headers = {
  'content-type': 'application/json',
  'x-meshfleet-protocol-version': String(PROTOCOL_VERSION),
};
const issuerNotAfter = new Map<string, string>();

function reportFor(s: Spec) {
  const r = exampleHealthReport() as any;
  r.sequence = Date.now();
  r.generatedAt = new Date().toISOString();
  r.checks.categories[0].checks[0].result = s.checks;
  r.checks.categories[0].checks[0].fatal = false;
  r.mtls = {
    ...r.mtls,
    meshedPods: s.meshed,
    totalPods: s.total,
    podCoverage: s.meshed! / s.total!,
    trafficCoverage: {
      connections: null,
      requests: { tls: s.meshed! * 3, total: s.total! * 4, share: (s.meshed! * 3) / (s.total! * 4) },
      podsScraped: s.total,
    },
  };
  const notAfter = new Date(Date.now() + s.issuerDays! * DAY).toISOString();
  issuerNotAfter.set(s.name, notAfter);
  r.resources = s.resources ?? null;
  r.drift =
    s.drift === undefined
      ? null
      : {
          checkedAt: new Date().toISOString(),
          desiredDigest: null,
          objectsChecked: 40,
          total: s.drift,
          podMeshTotal: 0,
          findings: Array.from({ length: s.drift }, (_, i) => ({
            reason: 'CHANGED',
            kind: 'Deployment',
            namespace: 'linkerd',
            name: 'linkerd-destination',
            path: i === 0 ? 'spec.replicas' : `metadata.labels.x${i}`,
            desired: '1',
            live: '3',
            manager: 'kubectl-edit',
            since: null,
          })),
        };
  r.certificates = [
    { ...r.certificates[0], notAfter: new Date(Date.now() + 3650 * DAY).toISOString() },
    { ...r.certificates[0], role: 'issuer', name: 'identity.linkerd.cluster.local', notAfter },
  ];
  return r;
}

async function scrape(api: TestApi, token?: string) {
  return fetch(`${api.url}/metrics/fleet`, {
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });
}

/** value of the one sample of `family` whose labels include all of `match`. */
function sample(families: ParsedFamily[], family: string, match: Record<string, string>): number | undefined {
  const f = families.find((x) => x.name === family);
  assert.ok(f, `family ${family} is declared`);
  const hits = f.metrics.filter((m) => Object.entries(match).every(([k, v]) => m.labels?.[k] === v));
  assert.ok(hits.length <= 1, `${family} ${JSON.stringify(match)} matches one series at most`);
  return hits[0] ? Number(hits[0].value) : undefined;
}

describe('fleet metrics endpoint', () => {
  let api: TestApi;
  let worker: INestApplicationContext;
  let key: string;
  let otherKey: string;
  const ids = new Map<string, string>();

  before(async () => {
    api = await startApi();
    ({ apiKey: key } = await api.newOrg('metrics-a'));
    for (const s of SPECS) {
      const reg = await api.gql(
        `mutation($n: String!, $p: CloudProvider!, $r: String) { registerCluster(input: { name: $n, provider: $p, region: $r }) { cluster { id } bootstrapToken { token } } }`,
        { n: s.name, p: s.provider, r: s.region },
        key,
      );
      assert.equal(reg.errors, undefined, JSON.stringify(reg.errors));
      ids.set(s.name, reg.data!.registerCluster.cluster.id);
      if (!s.checks && !s.enroll) continue;
      const enroll = await fetch(`${api.url}/agent/v1/enroll`, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          ...exampleEnrollRequest(),
          bootstrapToken: reg.data!.registerCluster.bootstrapToken.token,
        }),
      });
      assert.equal(enroll.status, 200);
      const { credential } = (await enroll.json()) as { credential: string };
      if (!s.checks) continue;
      const res = await fetch(`${api.url}/agent/v1/reports`, {
        method: 'POST',
        headers: { ...headers, authorization: `Bearer ${credential}` },
        body: JSON.stringify(reportFor(s)),
      });
      assert.equal(res.status, 202);
    }
    const other = await api.newOrg('metrics-b');
    otherKey = other.apiKey;
    await api.gql(
      `mutation { registerCluster(input: { name: "b-only", provider: AKS, region: "westus" }) { cluster { id } } }`,
      {},
      otherKey,
    );
    worker = await startWorkerFor(api, { MESHFLEET_ALERT_EVALUATION_INTERVAL_SECONDS: '3600' });
    await worker.get(AlertsEvaluator).evaluateAll(new Date());
  });
  after(async () => {
    await worker?.close();
    await api?.close();
  });

  it('serves the fleet in text format that a Prometheus parser reads, values matching the reports', async () => {
    const res = await scrape(api, key);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    assert.equal(res.headers.get('content-encoding'), 'gzip', 'fetch accepts gzip, as Prometheus does');
    const text = await res.text();
    assertWellFormedExposition(text);
    const families = parsePrometheusText(text);
    assert.deepEqual(families.map((f) => f.name).sort(), [...FLEET_METRIC_NAMES].sort());
    for (const f of families) {
      if (f.name !== 'meshfleet_cluster_info')
        for (const m of f.metrics)
          assert.equal(m.labels?.['cluster_id'], undefined, `${f.name} has no id label`);
      assert.ok(f.help.length > 10, `${f.name} has HELP`);
      assert.equal(f.type, f.name.endsWith('_total') ? 'COUNTER' : 'GAUGE', f.name);
    }

    for (const s of SPECS) {
      const c = { cluster: s.name };
      // Every series carries the cluster's name, provider and region; the info series also its id.
      const info = families
        .find((f) => f.name === 'meshfleet_cluster_info')!
        .metrics.find((m) => m.labels?.cluster === s.name);
      assert.equal(info?.value, '1');
      assert.equal(info.labels!.cluster_id, ids.get(s.name));
      assert.equal(info.labels!.provider, s.provider);
      assert.equal(info.labels!.region, s.region);

      const state =
        s.checks === 'success'
          ? 'HEALTHY'
          : s.checks === 'warning'
            ? 'DEGRADED'
            : s.checks
              ? 'UNHEALTHY'
              : 'UNKNOWN';
      for (const st of ['HEALTHY', 'DEGRADED', 'UNHEALTHY', 'UNKNOWN', 'NOT_INSTALLED'])
        assert.equal(
          sample(families, 'meshfleet_cluster_health_status', { ...c, state: st }),
          st === state ? 1 : 0,
          `${s.name} ${st}`,
        );
      const agent = s.checks || s.enroll ? 'CONNECTED' : 'PENDING';
      assert.equal(sample(families, 'meshfleet_cluster_agent_status', { ...c, status: agent }), 1);

      if (!s.checks) {
        assert.equal(sample(families, 'meshfleet_cluster_mtls_pod_coverage_ratio', c), undefined);
        assert.equal(sample(families, 'meshfleet_cluster_last_report_age_seconds', c), undefined);
        continue;
      }
      assert.equal(sample(families, 'meshfleet_cluster_mtls_pod_coverage_ratio', c), s.meshed! / s.total!);
      assert.equal(
        sample(families, 'meshfleet_cluster_mtls_traffic_coverage_ratio', c),
        (s.meshed! * 3) / (s.total! * 4),
      );
      assert.equal(sample(families, 'meshfleet_cluster_meshed_pods', c), s.meshed);
      assert.equal(sample(families, 'meshfleet_cluster_pods', c), s.total);
      assert.equal(
        sample(families, 'meshfleet_cluster_failing_checks', { ...c, result: 'error' }),
        s.checks === 'error' ? 1 : 0,
      );
      assert.equal(
        sample(families, 'meshfleet_cluster_failing_checks', { ...c, result: 'warning' }),
        s.checks === 'warning' ? 1 : 0,
      );
      assert.equal(
        sample(families, 'meshfleet_cluster_certificate_expiry_timestamp_seconds', { ...c, role: 'issuer' }),
        Date.parse(issuerNotAfter.get(s.name)!) / 1000,
      );
      assert.ok(
        sample(families, 'meshfleet_cluster_certificate_expiry_timestamp_seconds', {
          ...c,
          role: 'trust-anchor',
        })! >
          Date.now() / 1000 + 3000 * 86400,
      );
      const age = sample(families, 'meshfleet_cluster_last_report_age_seconds', c)!;
      assert.ok(age >= 0 && age < 120, `report age ${age}`);
      assert.equal(info.labels!.linkerd_version, exampleHealthReport().linkerd.version);
    }
  });

  it('carries the reported proxy and control-plane resources, per cluster and component', async () => {
    const families = parsePrometheusText(await (await scrape(api, key)).text());
    /** cluster → label → value of a family (label: the quantile or component, '' for none). */
    const series = (name: string) => {
      const out: Record<string, Record<string, number>> = {};
      for (const m of families.find((f) => f.name === name)!.metrics) {
        const l = m.labels!;
        const spec = SPECS.find((s) => s.name === l['cluster'])!;
        assert.equal(l['provider'], spec.provider, `${name} carries the cluster labels`);
        assert.equal(l['region'], spec.region);
        assert.equal(l['cluster_id'], undefined, 'the id is on the info series only');
        (out[l['cluster']!] ??= {})[l['quantile'] ?? l['component'] ?? ''] = Number(m.value);
      }
      return out;
    };
    const withResources = SPECS.filter((s) => s.resources);
    const expectPerCluster = (
      name: string,
      of: (r: ResourceUsage, spec: Spec) => Record<string, number> | undefined,
    ) => {
      const want: Record<string, Record<string, number>> = {};
      for (const s of withResources) {
        const v = of(s.resources!, s);
        if (v && Object.keys(v).length) want[s.name] = v;
      }
      assert.deepEqual(series(name), want, name);
    };
    expectPerCluster('meshfleet_cluster_proxy_memory_bytes', (r) => ({
      '0.5': r.proxy.p50,
      '0.95': r.proxy.p95,
      '1': r.proxy.max,
    }));
    expectPerCluster('meshfleet_cluster_proxies_memory_bytes', (r) => ({ '': r.proxy.mem }));
    expectPerCluster('meshfleet_cluster_proxies_cpu_cores', (r) => ({ '': r.proxy.cpu }));
    expectPerCluster('meshfleet_cluster_proxy_oom_killed_containers', (r) => ({ '': r.proxy.oomKilled }));
    expectPerCluster('meshfleet_cluster_proxy_container_restarts', (r) => ({ '': r.proxy.restarts }));
    // The agent's cluster-wide ratio where it sends one; from an older agent's report, the
    // namespaces' where they cover the cluster and application memory was measured.
    expectPerCluster('meshfleet_cluster_proxy_memory_overhead_ratio', (r, s) =>
      s.name === 'aks-ok' ? { '': (9 * 22) / 800 } : s.name === 'eks-bad' ? { '': 0.31 } : undefined,
    );
    // Drift findings where the report had a drift check (0 is a check that found nothing).
    expectPerCluster('meshfleet_cluster_drift_findings', (_r, s) =>
      s.drift === undefined ? undefined : { '': s.drift },
    );
    const perComponent =
      (pick: (c: ResourceUsage['controlPlane'][number]) => number | null | undefined) => (r: ResourceUsage) =>
        Object.fromEntries(
          r.controlPlane.flatMap((c) => {
            const v = pick(c);
            return v === null || v === undefined ? [] : [[c.component, v]];
          }),
        );
    expectPerCluster(
      'meshfleet_cluster_control_plane_memory_bytes',
      perComponent((c) => c.mem),
    );
    expectPerCluster(
      'meshfleet_cluster_control_plane_cpu_cores',
      perComponent((c) => c.cpu),
    );
    expectPerCluster(
      'meshfleet_cluster_control_plane_memory_limit_bytes',
      perComponent((c) => c.limit),
    );
    expectPerCluster(
      'meshfleet_cluster_control_plane_container_restarts',
      perComponent((c) => c.restarts ?? 0),
    );
    // Spelled out once, so the helper above cannot hide a mismatch.
    assert.equal(series('meshfleet_cluster_control_plane_memory_bytes')['aks-ok']!['destination'], 180 * MiB);
    assert.deepEqual(series('meshfleet_cluster_control_plane_cpu_cores')['gke-warn'], undefined);
    assert.deepEqual(series('meshfleet_cluster_control_plane_container_restarts')['gke-warn'], {
      destination: 1,
      identity: 0,
    });
  });

  it('counts the firing alerts the alert pass raised, per cluster and severity', async () => {
    const r = await api.gql(
      `{ alerts(filter: { status: FIRING }, first: 100) { edges { node { clusterId severity } } } }`,
      {},
      key,
    );
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    const alerts = r.data!.alerts.edges.map((e: any) => e.node) as {
      clusterId: string | null;
      severity: string;
    }[];
    // The failing control plane and the 5-day issuer are alerts: something to count.
    assert.ok(
      alerts.some((a) => a.clusterId === ids.get('eks-bad') && a.severity === 'CRITICAL'),
      JSON.stringify(alerts),
    );
    const families = parsePrometheusText(await (await scrape(api, key)).text());
    for (const [name, id] of ids)
      for (const severity of ['CRITICAL', 'WARNING', 'INFO'])
        assert.equal(
          sample(families, 'meshfleet_cluster_open_alerts', { cluster: name, severity }),
          alerts.filter((a) => a.clusterId === id && a.severity === severity).length,
          `${name} ${severity}`,
        );
    for (const severity of ['CRITICAL', 'WARNING', 'INFO'])
      assert.equal(
        sample(families, 'meshfleet_fleet_open_alerts', { severity }),
        alerts.filter((a) => a.severity === severity).length,
      );
    assert.equal(sample(families, 'meshfleet_fleet_clusters', {}), SPECS.length);
  });

  it('answers uncompressed text to a scraper that does not accept gzip', async () => {
    const { status, encoding, body } = await new Promise<{ status: number; encoding?: string; body: string }>(
      (resolve, reject) => {
        const u = new URL(`${api.url}/metrics/fleet`);
        get(u, { headers: { authorization: `Bearer ${key}`, 'accept-encoding': 'identity' } }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => (body += d));
          res.on('end', () =>
            resolve({ status: res.statusCode!, encoding: res.headers['content-encoding'], body }),
          );
        }).on('error', reject);
      },
    );
    assert.equal(status, 200);
    assert.equal(encoding, undefined);
    assertWellFormedExposition(body);
    assert.equal(sample(parsePrometheusText(body), 'meshfleet_cluster_pods', { cluster: 'aks-ok' }), 12);
  });

  it('shows a tenant only its own clusters', async () => {
    const text = await (await scrape(api, otherKey)).text();
    const families = parsePrometheusText(text);
    const info = families.find((f) => f.name === 'meshfleet_cluster_info')!.metrics;
    assert.deepEqual(
      info.map((m) => m.labels!.cluster),
      ['b-only'],
    );
    for (const [name, id] of ids) {
      assert.ok(!text.includes(id), `tenant B sees no id of tenant A (${name})`);
      assert.ok(!text.includes(`"${name}"`), `tenant B sees no name of tenant A (${name})`);
    }
    assert.equal(
      sample(families, 'meshfleet_cluster_health_status', { cluster: 'b-only', state: 'UNKNOWN' }),
      1,
    );
  });

  it('refuses a missing, unknown or revoked key with 401 and a reason', async () => {
    const missing = await scrape(api);
    assert.equal(missing.status, 401);
    assert.match(((await missing.json()) as { message: string }).message, /Bearer/);
    const unknown = await scrape(api, 'mfk_not_a_real_key');
    assert.equal(unknown.status, 401);
    assert.deepEqual(await unknown.json(), {
      error: 'UNAUTHENTICATED',
      message: 'Unknown API key',
      details: {},
    });

    const created = await api.gql(
      `mutation { createApiKey(input: { name: "scraper", role: VIEWER }) { apiKey { id } secret } }`,
      {},
      key,
    );
    assert.equal(created.errors, undefined, JSON.stringify(created.errors));
    const { apiKey, secret } = created.data!.createApiKey;
    assert.equal((await scrape(api, secret)).status, 200, 'a VIEWER key may scrape');
    await api.gql(`mutation($id: ID!) { revokeApiKey(id: $id) { id } }`, { id: apiKey.id }, key);
    const revoked = await scrape(api, secret);
    assert.equal(revoked.status, 401);
    assert.match(((await revoked.json()) as { message: string }).message, /revoked/);
  });
});

describe('README scrape_config', () => {
  it('scrapes the endpoint path with bearer authorization', async () => {
    const readme = await readFile(join(__dirname, '..', '..', '..', '..', 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Prometheus endpoint'));
    const block = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
    assert.ok(block, 'the section has a yaml block');
    const job = (parseYaml(block) as { scrape_configs: Record<string, any>[] }).scrape_configs[0]!;
    assert.equal(job['metrics_path'], `/${FLEET_METRICS_PATH}`);
    assert.equal(job['authorization'].type, 'Bearer');
    assert.ok(job['authorization'].credentials_file);
  });
});
