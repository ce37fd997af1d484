// Drift through the real API and worker: a played agent reports drift findings; Cluster.drift
// shows them, fleetSummary counts them, DRIFT_DETECTED fires and is delivered as a signed webhook,
// and a report without drift resolves it. A report from an older agent (no drift) shows null.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { INestApplicationContext } from '@nestjs/common';
import { Webhook } from 'standardwebhooks';
import { DESIRED_STATE_CONFIGMAP } from '@meshfleet/agent-protocol';
import { agentRbacRules, DESIRED_STATE_CONFIGMAP as RBAC_DESIRED_STATE } from '@meshfleet/clusters';
import { PrismaService } from '@meshfleet/db';
import { errorCode } from '@meshfleet/testing';
import { startApi, startWorkerFor, TestApi } from './harness';
import { agentCall, eventually, linkerdReport, registerAndEnroll } from './agent-http';

const FINDINGS = [
  {
    reason: 'CHANGED',
    kind: 'Deployment',
    namespace: 'linkerd',
    name: 'linkerd-destination',
    path: 'spec.replicas',
    desired: '1',
    live: '3',
    manager: 'kubectl-edit',
    since: '2026-12-03T08:01:02Z',
  },
  {
    reason: 'CHANGED',
    kind: 'ConfigMap',
    namespace: 'linkerd',
    name: 'linkerd-config',
    path: 'data.values:controllerLogLevel',
    desired: 'info',
    live: 'debug',
    manager: 'kubectl-patch',
    since: '2026-12-03T08:01:05Z',
  },
];

const driftOf = (findings: unknown[]) => ({
  checkedAt: new Date().toISOString(),
  desiredDigest: `sha256:${'a'.repeat(64)}`,
  objectsChecked: 42,
  total: findings.length,
  findings,
});

describe('drift in the API', () => {
  const keys = `k1:${randomBytes(32).toString('base64')}`;
  let api: TestApi;
  let worker: INestApplicationContext;
  let key: string;
  let server: http.Server;
  const got: string[] = [];
  let url = '';
  let drifted: { id: string; credential: string };
  let old: { id: string; credential: string };
  let secret = '';

  const report = async (c: { credential: string }, drift: unknown) => {
    const r = linkerdReport('enterprise-2.19.1');
    if (drift !== undefined) r.drift = drift;
    assert.equal((await agentCall(api, 'POST', '/reports', c.credential, r)).status, 202);
  };
  const driftAlerts = async (status: string) =>
    (
      await api.gql(
        `query($s: AlertStatus) { alerts(filter: { status: $s, kind: DRIFT_DETECTED }) { totalCount edges { node { clusterId severity summary } } } }`,
        { s: status },
        key,
      )
    ).data!.alerts;

  /** The first signed alert.firing webhook for `kind` (and `clusterId` when given) the receiver got. */
  const firedWebhook = (kind: string, clusterId?: string) =>
    eventually(
      () =>
        got
          .map((g) => JSON.parse(g))
          .find((g) => {
            const b = JSON.parse(g.body);
            return (
              b.type === 'alert.firing' &&
              b.data.alert.kind === kind &&
              (clusterId === undefined || b.data.cluster?.id === clusterId)
            );
          }),
      (m) => !!m,
    );

  before(async () => {
    const env = { MESHFLEET_ENCRYPTION_KEYS: keys, MESHFLEET_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1' };
    api = await startApi({ ...env, MESHFLEET_AGENT_RATE_LIMIT_PER_MINUTE: '6000' });
    ({ apiKey: key } = await api.newOrg('drift'));
    worker = await startWorkerFor(api, {
      ...env,
      MESHFLEET_WEBHOOK_RETRY_SCHEDULE: '0,400ms,400ms',
      MESHFLEET_ALERT_POLL_INTERVAL_MS: '100',
      MESHFLEET_ALERT_EVALUATION_INTERVAL_SECONDS: '2',
    });
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        got.push(JSON.stringify({ headers: req.headers, body: Buffer.concat(chunks).toString() }));
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    // Before any report: the alert may fire at the first evaluation after it.
    const made = await api.gql(
      `mutation($u: String!) { createWebhookEndpoint(input: { url: $u, eventTypes: ["alert.*"] }) { secret } }`,
      { u: url },
      key,
    );
    assert.equal(made.errors, undefined, JSON.stringify(made.errors));
    secret = made.data!.createWebhookEndpoint.secret as string;
    drifted = await registerAndEnroll(api, key, { name: 'prod-drifted' });
    old = await registerAndEnroll(api, key, { name: 'prod-old-agent' });
  });
  after(async () => {
    await worker?.close();
    await new Promise<void>((r) => server?.close(() => r()));
    await api?.close();
  });

  it('Cluster.drift lists each field with desired, live, manager and since; an older agent shows null', async () => {
    await report(drifted, driftOf(FINDINGS));
    await report(old, undefined);
    const r = await api.gql(
      `{ clusters { edges { node { name drift { checkedAt desiredDigest objectsChecked total
          findings { reason object { kind namespace name } path desired live manager since } } } } } }`,
      {},
      key,
    );
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    const byName = Object.fromEntries(r.data!.clusters.edges.map((e: any) => [e.node.name, e.node.drift]));
    assert.equal(byName['prod-old-agent'], null);
    const d = byName['prod-drifted'];
    assert.equal(d.total, 2);
    assert.equal(d.objectsChecked, 42);
    assert.deepEqual(d.findings[0], {
      reason: 'CHANGED',
      object: { kind: 'Deployment', namespace: 'linkerd', name: 'linkerd-destination' },
      path: 'spec.replicas',
      desired: '1',
      live: '3',
      manager: 'kubectl-edit',
      since: '2026-12-03T08:01:02.000Z',
    });
    assert.equal(d.findings[1].manager, 'kubectl-patch');
  });

  it('fleetSummary counts clusters checked, clusters with drift and findings', async () => {
    const r = await api.gql(
      `{ fleetSummary { drift { clustersChecked clustersWithDrift findings } } }`,
      {},
      key,
    );
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    assert.deepEqual(r.data!.fleetSummary.drift, { clustersChecked: 1, clustersWithDrift: 1, findings: 2 });
  });

  it('DRIFT_DETECTED fires with a webhook event and resolves once a report shows no drift', async () => {
    await report(drifted, driftOf(FINDINGS));
    const firing = await eventually(
      () => driftAlerts('FIRING'),
      (a) => a.totalCount === 1 && a.edges.length === 1,
    );
    assert.equal(firing.edges[0].node.clusterId, drifted.id);
    assert.equal(firing.edges[0].node.severity, 'WARNING');
    assert.match(firing.edges[0].node.summary, /prod-drifted drifted .*2 field\(s\)/);
    const message = await firedWebhook('DRIFT_DETECTED');
    const payload = new Webhook(secret).verify(message.body, message.headers) as any;
    assert.equal(payload.data.alert.kind, 'DRIFT_DETECTED');
    assert.deepEqual(payload.data.cluster, { id: drifted.id, name: 'prod-drifted' });

    await report(drifted, driftOf([]));
    await eventually(
      () => driftAlerts('RESOLVED'),
      (a) => a.totalCount === 1,
    );
    const s = await api.gql(`{ fleetSummary { drift { clustersWithDrift findings } } }`, {}, key);
    assert.deepEqual(s.data!.fleetSummary.drift, { clustersWithDrift: 0, findings: 0 });
  });

  it('a GITOPS cluster shows its Argo CD Application in Cluster.gitopsSource, and DRIFT_DETECTED names it in summary and payload', async () => {
    const gitops = await registerAndEnroll(api, key, { name: 'prod-argo' });
    const application = {
      tool: 'ARGOCD',
      kind: 'Application',
      namespace: 'argocd',
      name: 'linkerd-control-plane',
      readAt: new Date().toISOString(),
      error: null,
      argocd: {
        syncStatus: 'OutOfSync',
        healthStatus: 'Healthy',
        revision: '4f2a9c1',
        operationPhase: 'Succeeded',
        reconciledAt: '2026-12-03T08:00:00Z',
      },
      flux: null,
    };
    const r = linkerdReport('enterprise-2.19.1');
    r.drift = driftOf(FINDINGS);
    r.gitops = {
      detected: 'ARGOCD',
      evidence: ['Deployment linkerd/linkerd-destination: field manager argocd-controller'],
      source: application,
    };
    assert.equal((await agentCall(api, 'POST', '/reports', gitops.credential, r)).status, 202);
    const q = await api.gql(
      `query($id: ID!) { cluster(id: $id) { managementMode gitopsTool gitopsSource {
          tool kind namespace name readable error syncStatus healthStatus revision operationPhase reconciledAt ready { status } } } }`,
      { id: gitops.id },
      key,
    );
    assert.equal(q.errors, undefined, JSON.stringify(q.errors));
    assert.equal(q.data!.cluster.managementMode, 'GITOPS');
    assert.deepEqual(q.data!.cluster.gitopsSource, {
      tool: 'ARGOCD',
      kind: 'Application',
      namespace: 'argocd',
      name: 'linkerd-control-plane',
      readable: true,
      error: null,
      syncStatus: 'OutOfSync',
      healthStatus: 'Healthy',
      revision: '4f2a9c1',
      operationPhase: 'Succeeded',
      reconciledAt: '2026-12-03T08:00:00.000Z',
      ready: null,
    });
    const message = await firedWebhook('DRIFT_DETECTED', gitops.id);
    const payload = new Webhook(secret).verify(message.body, message.headers) as any;
    assert.equal(payload.data.alert.kind, 'DRIFT_DETECTED');
    assert.match(
      payload.data.alert.summary,
      /Managed by Argo CD \(Application argocd\/linkerd-control-plane: OutOfSync, health Healthy, revision 4f2a9c1\); Meshfleet will not correct it/,
    );
    assert.deepEqual(payload.data.alert.gitops, { tool: 'ARGOCD', source: application });
    // The MESHFLEET cluster's alert carried none of it.
    const meshfleet = got
      .map((g) => JSON.parse(JSON.parse(g).body))
      .find(
        (b) =>
          b.type === 'alert.firing' &&
          b.data.alert.kind === 'DRIFT_DETECTED' &&
          b.data.cluster?.id === drifted.id,
      );
    assert.equal(meshfleet.data.alert.gitops, undefined);
    assert.doesNotMatch(meshfleet.data.alert.summary, /will not correct/);

    // The Application itself is OutOfSync: GITOPS_SOURCE_UNHEALTHY (10 minutes by default, at
    // once here) says so, with the source in the payload.
    const tuned = await api.gql(
      `mutation { updateAlertRule(kind: GITOPS_SOURCE_UNHEALTHY, input: { forSeconds: 0 }) { kind forSeconds } }`,
      {},
      key,
    );
    assert.equal(tuned.errors, undefined, JSON.stringify(tuned.errors));
    assert.equal(
      (await agentCall(api, 'POST', '/reports', gitops.credential, { ...r, sequence: r.sequence + 1 }))
        .status,
      202,
    );
    const sourceAlert = await firedWebhook('GITOPS_SOURCE_UNHEALTHY');
    const sourcePayload = new Webhook(secret).verify(sourceAlert.body, sourceAlert.headers) as any;
    assert.equal(sourcePayload.data.cluster.id, gitops.id, 'only the GITOPS cluster has a source');
    assert.equal(
      sourcePayload.data.alert.summary,
      'Argo CD does not have Linkerd on cluster prod-argo in the state Git asks for: Application argocd/linkerd-control-plane: OutOfSync, health Healthy, revision 4f2a9c1',
    );
    assert.deepEqual(sourcePayload.data.alert.gitops, { tool: 'ARGOCD', source: application });

    // A source the agent could not read is shown as such; a report without GitOps marks has none.
    const next = {
      ...linkerdReport('enterprise-2.19.1'),
      drift: r.drift,
      gitops: {
        ...r.gitops,
        source: {
          ...application,
          error: 'source not readable: Application argocd/linkerd-control-plane: forbidden',
          argocd: null,
        },
      },
    };
    assert.equal((await agentCall(api, 'POST', '/reports', gitops.credential, next)).status, 202);
    const unreadable = await api.gql(
      `query($id: ID!) { cluster(id: $id) { gitopsSource { readable error syncStatus } } }`,
      { id: gitops.id },
      key,
    );
    assert.deepEqual(unreadable.data!.cluster.gitopsSource, {
      readable: false,
      error: 'source not readable: Application argocd/linkerd-control-plane: forbidden',
      syncStatus: null,
    });
    const none = await api.gql(
      `query($id: ID!) { cluster(id: $id) { gitopsSource { name } } }`,
      { id: drifted.id },
      key,
    );
    assert.equal(none.data!.cluster.gitopsSource, null);
  });

  it('reconcileDrift is refused with a reason without a drift check or without drift, and queues RECONCILE_DRIFT otherwise', async () => {
    const reconcile = (id: string) =>
      api.gql(
        `mutation($c: ID!) { reconcileDrift(clusterId: $c) { id kind status clusterId } }`,
        { c: id },
        key,
      );
    const prisma = api.app.get(PrismaService);
    const operations = (id: string) =>
      prisma.operation.count({ where: { clusterId: id, kind: 'RECONCILE_DRIFT' } });
    const old = await api.gql(`{ clusters { edges { node { id name } } } }`, {}, key);
    const oldId = old.data!.clusters.edges.find((e: any) => e.node.name === 'prod-old-agent').node.id;
    for (const [id, reason] of [
      [oldId, 'DRIFT_NOT_CHECKED'],
      [drifted.id, 'NO_DRIFT'],
    ] as const) {
      const r = await reconcile(id);
      assert.equal(errorCode(r), 'FAILED_PRECONDITION', JSON.stringify(r.errors));
      assert.equal(r.errors![0]!.extensions!['reason'], reason);
      assert.equal(await operations(id), 0, 'nothing written');
    }
    const unknown = await reconcile('00000000-0000-4000-8000-000000000000');
    assert.equal(errorCode(unknown), 'NOT_FOUND');

    await report(drifted, driftOf(FINDINGS));
    const ok = await reconcile(drifted.id);
    assert.equal(ok.errors, undefined, JSON.stringify(ok.errors));
    assert.equal(ok.data!.reconcileDrift.kind, 'RECONCILE_DRIFT');
    assert.equal(ok.data!.reconcileDrift.clusterId, drifted.id);
    assert.equal(await operations(drifted.id), 1);
  });

  it('the agent RBAC grants the ConfigMap the agent keeps its desired state in', () => {
    assert.equal(RBAC_DESIRED_STATE, DESIRED_STATE_CONFIGMAP);
    assert.ok(
      agentRbacRules('MANAGED').some(
        (r) => r.resources.includes('configmaps') && r.resourceNames?.includes(DESIRED_STATE_CONFIGMAP),
      ),
    );
  });
});
