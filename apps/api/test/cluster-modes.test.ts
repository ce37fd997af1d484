// Agent modes and the NOT_INSTALLED state through the real API and worker, agents played over
// HTTP: a MONITOR cluster gets read-only RBAC and no lifecycle operation; a cluster without
// Linkerd is NOT_INSTALLED and alerts only where Linkerd is expected.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { AddressInfo } from 'node:net';
import { parseAllDocuments } from 'yaml';
import { INestApplicationContext } from '@nestjs/common';
import { exampleEnrollRequest } from '@meshfleet/agent-protocol';
import { AlertsEvaluator } from '@meshfleet/alerts';
import { PrismaService } from '@meshfleet/db';
import { errorCode } from '@meshfleet/testing';
import { startApi, startWorkerFor, TestApi } from './harness';
import { agentCall, eventually, linkerdReport } from './agent-http';

/** A report as the agent sends it for a cluster with no Linkerd: the existence check fails. */
function bareReport(): any {
  const r = linkerdReport(null);
  r.certificates = [];
  r.mtls = { ...r.mtls, meshedPods: 0, podCoverage: 0 };
  r.checks = {
    success: false,
    categories: [
      {
        name: 'linkerd-existence',
        checks: [
          {
            description: "'linkerd-config' config map exists",
            result: 'error',
            fatal: true,
            error: 'Linkerd is not installed: configmaps "linkerd-config" not found in namespace "linkerd"',
          },
        ],
      },
    ],
  };
  return r;
}

describe('agent modes and clusters without Linkerd', () => {
  let api: TestApi;
  let worker: INestApplicationContext;
  let key: string;
  let prisma: PrismaService;
  const received: { body: any }[] = [];
  let receiver: http.Server;

  const register = async (name: string, extra: string, labels: Record<string, string> = {}) => {
    const r = await api.gql(
      `mutation($n: String!, $l: JSONObject) { registerCluster(input: { name: $n, provider: EKS, labels: $l${extra} }) { cluster { id mode } bootstrapToken { token } agentManifest } }`,
      { n: name, l: labels },
      key,
    );
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    const reg = r.data!.registerCluster;
    const enrolled = await agentCall(api, 'POST', '/enroll', undefined, {
      ...exampleEnrollRequest(),
      bootstrapToken: reg.bootstrapToken.token,
    });
    assert.equal(enrolled.status, 200, JSON.stringify(enrolled.body));
    return {
      id: reg.cluster.id as string,
      mode: reg.cluster.mode as string,
      manifest: reg.agentManifest as string,
      credential: enrolled.body.credential as string,
    };
  };
  const send = async (credential: string, report: unknown) =>
    assert.equal((await agentCall(api, 'POST', '/reports', credential, report)).status, 202);
  const clusterRole = (manifest: string) =>
    parseAllDocuments(manifest)
      .map((d) => d.toJS())
      .find((o) => o.kind === 'ClusterRole') as { rules: { verbs: string[]; resourceNames?: string[] }[] };
  const alertsOf = async (clusterId: string) =>
    (
      (
        await api.gql(
          `{ alerts(filter: { status: FIRING }) { edges { node { kind severity summary clusterId } } } }`,
          {},
          key,
        )
      ).data!.alerts.edges as any[]
    )
      .map((e) => e.node)
      .filter((a) => a.clusterId === clusterId);

  before(async () => {
    const env = {
      MESHFLEET_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
      MESHFLEET_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
    };
    api = await startApi({ ...env, MESHFLEET_AGENT_RATE_LIMIT_PER_MINUTE: '6000' });
    ({ apiKey: key } = await api.newOrg('modes'));
    worker = await startWorkerFor(api, {
      ...env,
      MESHFLEET_PUBLIC_URL: 'https://meshfleet.example.test',
      MESHFLEET_ALERT_POLL_INTERVAL_MS: '100',
    });
    prisma = api.app.get(PrismaService);
    receiver = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received.push({ body: JSON.parse(Buffer.concat(chunks).toString()) });
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const ep = await api.gql(
      `mutation($u: String!) { createWebhookEndpoint(input: { url: $u, eventTypes: ["alert.*"] }) { endpoint { id } } }`,
      { u: url },
      key,
    );
    assert.equal(ep.errors, undefined, JSON.stringify(ep.errors));
  });
  after(async () => {
    await worker?.close();
    await new Promise<void>((r) => (receiver ? receiver.close(() => r()) : r()));
    await api?.close();
  });

  it('registers MANAGED by default; a MONITOR manifest grants read verbs only', async () => {
    const managed = await register('managed-1', '');
    assert.equal(managed.mode, 'MANAGED');
    const managedVerbs = clusterRole(managed.manifest).rules.flatMap((r) => r.verbs);
    assert.ok(managedVerbs.includes('escalate') && managedVerbs.includes('patch'));
    for (const r of clusterRole(managed.manifest).rules)
      if (r.verbs.includes('escalate') || r.verbs.includes('bind')) assert.ok(r.resourceNames?.length);

    const monitor = await register('monitor-1', ', mode: MONITOR');
    assert.equal(monitor.mode, 'MONITOR');
    const verbs = new Set(clusterRole(monitor.manifest).rules.flatMap((r) => r.verbs));
    assert.deepEqual([...verbs].sort(), ['get', 'list', 'watch']);
  });

  it('refuses every lifecycle mutation on a MONITOR cluster with CLUSTER_MONITOR_ONLY and writes nothing', async () => {
    const c = await register('monitor-2', ', mode: MONITOR');
    await send(c.credential, linkerdReport('enterprise-2.19.1'));
    const domain = await api.gql(`mutation { createIdentityDomain(input: { name: "m2" }) { id } }`, {}, key);
    const d = domain.data!.createIdentityDomain.id;
    const mutations = [
      `installLinkerd(clusterId: $c, input: { version: "enterprise-2.19.1", identityDomainId: "${d}" }) { id }`,
      `upgradeLinkerd(clusterId: $c, input: { version: "enterprise-2.20.0" }) { id }`,
      `uninstallLinkerd(clusterId: $c) { id }`,
      `rotateIssuer(clusterId: $c) { id }`,
      `restartDataPlane(clusterId: $c, namespaces: ["shop"]) { id }`,
    ];
    for (const m of mutations) {
      const r = await api.gql(`mutation($c: ID!) { ${m} }`, { c: c.id }, key);
      assert.equal(errorCode(r), 'FAILED_PRECONDITION', `${m}: ${JSON.stringify(r.errors)}`);
      assert.equal(r.errors![0]!.extensions!['reason'], 'CLUSTER_MONITOR_ONLY', m);
      assert.match(r.errors![0]!.message, /MONITOR mode/);
    }
    assert.equal(await prisma.operation.count({ where: { clusterId: c.id } }), 0);
    assert.equal(await prisma.clusterOperationLock.count({ where: { clusterId: c.id } }), 0);
    assert.equal(
      await prisma.auditEvent.count({ where: { targetId: c.id, action: { startsWith: 'operation.' } } }),
      0,
    );

    // A rollout leaves it out with the reason; one over it alone has nothing to run.
    const input = `{ targetVersion: "enterprise-2.20.0", selector: { clusterIds: ["${c.id}"] } }`;
    const plan = await api.gql(
      `{ planRollout(input: ${input}) { waves { name } excluded { clusterId code reason } } }`,
      {},
      key,
    );
    assert.equal(plan.errors, undefined, JSON.stringify(plan.errors));
    assert.deepEqual(plan.data!.planRollout.waves, []);
    assert.equal(plan.data!.planRollout.excluded[0].code, 'CLUSTER_MONITOR_ONLY');
    assert.match(plan.data!.planRollout.excluded[0].reason, /MONITOR mode/);
    const start = await api.gql(`mutation { startRollout(input: ${input}) { id } }`, {}, key);
    assert.equal(start.errors![0]!.extensions!['reason'], 'EMPTY_PLAN');
    assert.equal(
      await prisma.rollout.count({
        where: {
          organizationId: (await prisma.cluster.findUniqueOrThrow({ where: { id: c.id } })).organizationId,
        },
      }),
      0,
    );

    // Switching to MANAGED returns the manifest with the write rules; the mode check passes then.
    const switched = await api.gql(
      `mutation($c: ID!) { setClusterMode(clusterId: $c, mode: MANAGED) { cluster { mode } bootstrapToken { token } agentManifest } }`,
      { c: c.id },
      key,
    );
    assert.equal(switched.errors, undefined, JSON.stringify(switched.errors));
    assert.equal(switched.data!.setClusterMode.cluster.mode, 'MANAGED');
    assert.ok(
      clusterRole(switched.data!.setClusterMode.agentManifest).rules.some((r) =>
        r.verbs.includes('escalate'),
      ),
    );
    const restart = await api.gql(
      `mutation($c: ID!) { restartDataPlane(clusterId: $c, namespaces: ["shop"]) { id } }`,
      { c: c.id },
      key,
    );
    assert.equal(restart.errors, undefined, JSON.stringify(restart.errors));
    const audit = await prisma.auditEvent.findFirstOrThrow({
      where: { targetId: c.id, action: 'cluster.set-mode' },
    });
    assert.deepEqual(audit.metadata, { before: 'MONITOR', after: 'MANAGED' });
  });

  it('shows a cluster without Linkerd as NOT_INSTALLED with no alert or webhook; an expected one alerts', async () => {
    const bare = await register('bare-1', '');
    const expected = await register('expected-1', '', { 'meshfleet.io/expect-linkerd': 'true' });
    await send(bare.credential, bareReport());
    await send(expected.credential, bareReport());

    const health = async (id: string) =>
      (
        await api.gql(
          `query($id: ID!) { cluster(id: $id) { health { status reasons { code level message } } } }`,
          { id },
          key,
        )
      ).data!.cluster.health;
    const h = await health(bare.id);
    assert.equal(h.status, 'NOT_INSTALLED');
    assert.deepEqual(
      h.reasons.map((r: any) => r.code),
      ['NOT_INSTALLED'],
    );
    const summary = await api.gql(
      `{ fleetSummary(filter: { search: "-1" }) { health { total notInstalled unhealthy healthy unknown degraded } } }`,
      {},
      key,
    );
    assert.equal(summary.errors, undefined, JSON.stringify(summary.errors));
    const counts = summary.data!.fleetSummary.health;
    assert.ok(counts.notInstalled >= 2, JSON.stringify(counts));
    assert.equal(counts.unhealthy, 0, JSON.stringify(counts));
    assert.equal(
      counts.total,
      counts.notInstalled + counts.unhealthy + counts.healthy + counts.unknown + counts.degraded,
    );

    // The expected cluster's alert and its webhook arrive; by then the bare one's events were handled.
    const fired = await eventually(
      () => alertsOf(expected.id),
      (a) => a.length === 1,
    );
    assert.equal(fired[0].kind, 'CONTROL_PLANE_UNHEALTHY');
    assert.match(fired[0].summary, /expected on cluster expected-1/);
    await eventually(
      () => received.filter((r) => r.body.data?.cluster?.id === expected.id),
      (r) => r.length === 1,
    );
    await worker.get(AlertsEvaluator).evaluateAll();
    assert.deepEqual(await alertsOf(bare.id), []);
    assert.equal(await prisma.alertPending.count({ where: { clusterId: bare.id } }), 0);
    assert.deepEqual(
      received.filter((r) => r.body.data?.cluster?.id === bare.id),
      [],
    );
  });

  it('alerts when Linkerd that Meshfleet installed disappears, and not after Meshfleet uninstalls it', async () => {
    const c = await register('installed-1', '');
    const organizationId = (await prisma.cluster.findUniqueOrThrow({ where: { id: c.id } })).organizationId;
    const finished = async (kind: 'INSTALL' | 'UNINSTALL') =>
      prisma.operation.create({
        data: {
          organizationId,
          clusterId: c.id,
          kind,
          status: 'SUCCEEDED',
          params: {},
          requestedBy: 'test',
          deadlineAt: new Date(Date.now() + 60_000),
          finishedAt: new Date(),
        },
      });
    await finished('INSTALL');
    await send(c.credential, bareReport());
    await eventually(
      () => alertsOf(c.id),
      (a) => a.length === 1 && a[0].kind === 'CONTROL_PLANE_UNHEALTHY',
    );
    await finished('UNINSTALL');
    await send(c.credential, bareReport());
    await worker.get(AlertsEvaluator).evaluateAll();
    await eventually(
      () => alertsOf(c.id),
      (a) => a.length === 0,
    );
  });
});
