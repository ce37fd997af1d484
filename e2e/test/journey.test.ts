// A platform team's journey through public interfaces only: GraphQL over HTTP and WebSocket, the
// fleet-sim binary (four simulated clusters, one real agent each), the simulator's Kubernetes and
// fault APIs, and a webhook receiver. The API and the worker run as real processes.
// Run through `node scripts/test.mjs 'e2e/dist/**/*.test.js'` after `npx tsc -b`.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from 'graphql-ws';
import { Webhook } from 'standardwebhooks';
import {
  createTestDatabase,
  gql,
  processEnv,
  startApiProcess,
  startFleetSimProcess,
  startWorkerProcess,
  type ApiProcess,
  type ChildHandle,
  type FleetSimProcess,
  type TestDatabase,
} from '@meshfleet/testing';
import { simulatedCluster, type SimulatedCluster } from './support/simulator';
import { watch, wsClient, type Watched } from './support/subscriptions';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver';
import { FLEET, FROM, SCENARIO, TO } from './support/fleet';
import {
  CLUSTERS,
  FLEET_SUMMARY,
  OPERATION,
  ROLLOUT,
  TERMINAL_OPS,
  TERMINAL_ROLLOUTS,
} from './support/queries';
import { assertSubsequence, brief, eventually, stepOrder } from './support/wait';

describe('a platform team runs its Linkerd fleet through Meshfleet', () => {
  let db: TestDatabase;
  let api: ApiProcess;
  let worker: ChildHandle;
  let fleet: FleetSimProcess | undefined;
  let ws: Client;
  let receiver: WebhookReceiver;
  let work: string;
  let adminKey: string;
  const ids: Record<string, string> = {};
  const sims: Record<string, SimulatedCluster> = {};
  const opWatches: Record<string, Watched<any>> = {};
  let domain: { id: string; trustAnchor: { sha256Fingerprint: string } };
  let coverageBeforeRollout: number;

  const q = async (query: string, variables: Record<string, unknown> = {}): Promise<Record<string, any>> => {
    const r = await gql<Record<string, any>>(api.url, query, variables, adminKey);
    assert.equal(r.errors, undefined, `${query.slice(0, 80)}: ${JSON.stringify(r.errors)}`);
    return r.data!;
  };
  const clusters = async (): Promise<Record<string, any>> =>
    Object.fromEntries((await q(CLUSTERS)).clusters.edges.map((e: any) => [e.node.name, e.node]));
  const summary = async (): Promise<Record<string, any>> => (await q(FLEET_SUMMARY)).fleetSummary;
  /** Waits on the cluster's operationUpdated subscription for this operation to finish. */
  const finished = async (clusterName: string, operationId: string, ms = 60_000): Promise<any> => {
    const sub = opWatches[clusterName]!;
    return sub.until(
      (o) => o.id === operationId && TERMINAL_OPS.includes(o.status),
      ms,
      `operation ${operationId} on ${clusterName} to finish`,
    );
  };

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'mf-e2e-'));
    db = await createTestDatabase();
    receiver = await startWebhookReceiver();
    const shared = processEnv({
      db,
      heartbeatSeconds: 1,
      reportSeconds: 2,
      extra: {
        MESHFLEET_SIMULATED_CATALOG: 'true',
        MESHFLEET_TASK_POLL_TIMEOUT_SECONDS: '5',
        MESHFLEET_AGENT_RATE_LIMIT_PER_MINUTE: '6000',
        MESHFLEET_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
        MESHFLEET_WEBHOOK_RETRY_SCHEDULE: '0,500ms,500ms,500ms,500ms,500ms,500ms,500ms',
        MESHFLEET_WEBHOOK_TIMEOUT_SECONDS: '5',
        MESHFLEET_ALERT_POLL_INTERVAL_MS: '200',
        MESHFLEET_ALERT_EVALUATION_INTERVAL_SECONDS: '1',
      },
    });
    adminKey = shared.adminKey;
    api = await startApiProcess(shared.env);
    worker = startWorkerProcess({ ...shared.env, MESHFLEET_PUBLIC_URL: api.url });
    ws = wsClient(api.url, adminKey);
  });

  after(async () => {
    for (const w of Object.values(opWatches)) w.close();
    await ws?.dispose();
    await fleet?.stop();
    await worker?.stop();
    await api?.stop();
    await receiver?.close();
    await db?.drop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('registers four clusters through GraphQL; their agents enroll and every cluster shows CONNECTED with facts from its nodes', async () => {
    const tokens: Record<string, string> = {};
    for (const c of FLEET) {
      const r = await q(
        `mutation($input: RegisterClusterInput!) { registerCluster(input: $input) {
          cluster { id status } bootstrapToken { token expiresAt } agentManifest } }`,
        { input: { name: c.name, provider: c.provider, labels: { env: c.env } } },
      );
      assert.equal(r.registerCluster.cluster.status, 'PENDING');
      assert.match(r.registerCluster.agentManifest, /kind: Deployment/);
      ids[c.name] = r.registerCluster.cluster.id;
      tokens[c.name] = r.registerCluster.bootstrapToken.token;
    }
    assert.equal((await summary()).pendingEnrollment, 4);

    await writeFile(join(work, 'scenario.yaml'), SCENARIO);
    await writeFile(join(work, 'tokens.json'), JSON.stringify(tokens), { mode: 0o600 });
    fleet = await startFleetSimProcess(
      [
        '--tokens-file',
        join(work, 'tokens.json'),
        '--scenario',
        join(work, 'scenario.yaml'),
        '--state-dir',
        join(work, 'agents'),
        '--kubeconfig-dir',
        join(work, 'kube'),
        '--gateway-api-crds',
        '--pod-ready-delay-ms',
        '50',
        '--report-debounce-ms',
        '100',
        '--report-min-spacing-ms',
        '500',
        '--ready-timeout-seconds',
        '45',
      ],
      {
        MESHFLEET_API_URL: api.url,
        LOG_LEVEL: process.env.MESHFLEET_CHILD_LOG_LEVEL ?? 'warn',
      },
    );
    assert.deepEqual(
      fleet.clusters.map((c) => [c.name, c.clusterId, c.enrollment]),
      FLEET.map((c) => [c.name, ids[c.name], 'given-token']),
    );
    for (const c of FLEET) sims[c.name] = await simulatedCluster(fleet.simulator, join(work, 'kube'), c.name);

    const list = await eventually(
      clusters,
      (l) => FLEET.every((c) => l[c.name]?.status === 'CONNECTED' && l[c.name].health.receivedAt),
      30_000,
      'four connected clusters with a health report',
      brief,
    );
    for (const c of FLEET) {
      const got = list[c.name];
      assert.equal(got.provider, c.provider);
      assert.equal(got.region, c.region, `${c.name}: region from the node topology labels`);
      assert.equal(got.nodeCount, c.nodes, `${c.name}: node count`);
      assert.ok(got.kubernetesVersion.startsWith(c.k8s), `${c.name}: ${got.kubernetesVersion}`);
      assert.equal(got.agent.connected, true);
      assert.deepEqual(got.labels, { env: c.env });
    }
    assert.deepEqual(
      FLEET.map((c) => [c.name, list[c.name].linkerd?.installed, list[c.name].linkerd?.version ?? null]),
      [
        ['aks-prod-westeurope', true, FROM],
        ['eks-prod-us-east-1', true, FROM],
        ['gke-staging-europe-west1', false, null],
        ['onprem-dc1', false, null],
      ],
    );
  });

  it('creates an identity domain and installs Linkerd 2.19 where it is missing, watching each operation over WebSocket', async () => {
    domain = (
      await q(`mutation { createIdentityDomain(input: { name: "fleet-mesh" }) {
        id trustAnchor { sha256Fingerprint notAfter } } }`)
    ).createIdentityDomain;
    assert.ok(domain.trustAnchor.sha256Fingerprint);

    const list = await clusters();
    const lacking = FLEET.map((c) => c.name).filter((n) => !list[n].linkerd?.installed);
    assert.deepEqual(lacking, ['gke-staging-europe-west1', 'onprem-dc1']);
    for (const name of Object.keys(ids)) {
      opWatches[name] = watch(
        ws,
        `subscription($c: ID!) { operationUpdated(clusterId: $c) { ${OPERATION} } }`,
        { c: ids[name] },
        'operationUpdated',
      );
    }
    // Let the subscriptions reach the server before anything can happen on them.
    await new Promise((r) => setTimeout(r, 500));

    const ops: Record<string, string> = {};
    for (const name of lacking) {
      const r = await q(
        `mutation($c: ID!, $d: ID!) { installLinkerd(clusterId: $c, input: { version: "${FROM}", identityDomainId: $d }) { ${OPERATION} } }`,
        { c: ids[name], d: domain.id },
      );
      assert.equal(r.installLinkerd.kind, 'INSTALL');
      ops[name] = r.installLinkerd.id;
    }
    for (const name of lacking) {
      const done = await finished(name, ops[name]!, 90_000);
      assert.equal(done.status, 'SUCCEEDED', `${name}: ${JSON.stringify(done.error)}`);
      const messages = opWatches[name]!.items.filter((o) => o.id === ops[name]);
      assert.ok(
        messages.length >= 3,
        `${name}: progress arrived as it happened (${messages.length} messages)`,
      );
      assert.ok(
        messages.some((m) => m.status === 'RUNNING' && m.steps.length < done.steps.length),
        `${name}: a RUNNING update with only part of the steps`,
      );
      assertSubsequence(
        stepOrder(messages),
        ['precheck', 'crds', 'crds-established', 'issuer', 'control-plane', 'rollout', 'postcheck'],
        name,
      );
      const final = Object.fromEntries(done.steps.map((s: any) => [s.step, s.status]));
      assert.equal(final['data-plane-restart'], 'skipped', 'an install leaves running pods alone');
    }

    const installed = await eventually(
      clusters,
      (l) => FLEET.every((c) => l[c.name].linkerd?.installed && l[c.name].linkerd.version === FROM),
      30_000,
      'every cluster reporting 2.19',
      brief,
    );
    // Existing pods join the mesh only when restarted.
    assert.equal(installed['gke-staging-europe-west1'].mtls.meshedPods, 0);
    const issuers = (
      await q(`query($d: ID!) { identityDomain(id: $d) { issuers { clusterId } } }`, { d: domain.id })
    ).identityDomain.issuers.map((i: any) => i.clusterId);
    assert.deepEqual(new Set(issuers), new Set(lacking.map((n) => ids[n])));
  });

  it('fleetSummary shows four clusters, one version, shared trust anchors and partial mTLS coverage', async () => {
    // A report taken mid-install can still be the latest for a moment.
    await eventually(
      clusters,
      (l) => Object.values(l).every((c: any) => ['HEALTHY', 'DEGRADED'].includes(c.health.status)),
      20_000,
      'no cluster UNHEALTHY or UNKNOWN',
      brief,
    );
    const s = await eventually(
      summary,
      (s) => s.health.total === 4 && s.health.unknown === 0 && s.trustAnchorGroups.length === 2,
      20_000,
      'a complete fleet summary',
    );
    assert.equal(s.pendingEnrollment, 0);
    assert.equal(s.agentsOffline, 0);
    assert.equal(s.health.unhealthy, 0, JSON.stringify(s.health));
    assert.deepEqual(s.byProvider.map((p: any) => [p.provider, p.total]).sort(), [
      ['AKS', 1],
      ['EKS', 1],
      ['GKE', 1],
      ['ONPREM', 1],
    ]);
    assert.deepEqual(s.byRegion.map((r: any) => r.region).sort(), [
      'dc1',
      'europe-west1',
      'us-east-1',
      'westeurope',
    ]);
    assert.deepEqual(
      s.versions.map((v: any) => [v.version, v.clusters]),
      [[FROM, 4]],
    );
    assert.equal(s.clustersWithoutLinkerd, 0);
    // The newest release is a 2.20 one (the catalog's newest edge counts as newest).
    const releases = (await q(`{ linkerdReleases { version major } }`)).linkerdReleases;
    assert.equal(releases.find((r: any) => r.version === s.newestRelease)?.major, '2.20', s.newestRelease);
    assert.equal(s.clustersBehindNewest, 4);
    // The fresh installs share the identity domain's anchor; the pre-installed pair shares theirs.
    const groups = Object.fromEntries(
      s.trustAnchorGroups.map((g: any) => [g.sha256Fingerprint, [...g.clusters].sort()]),
    );
    assert.deepEqual(groups[domain.trustAnchor.sha256Fingerprint], [
      'gke-staging-europe-west1',
      'onprem-dc1',
    ]);
    assert.ok(
      Object.values(groups).some((c: any) => c.join() === 'aks-prod-westeurope,eks-prod-us-east-1'),
      JSON.stringify(groups),
    );
    assert.ok(s.podCoverage > 0 && s.podCoverage < 1, `partial coverage, got ${s.podCoverage}`);
    const worst = Object.fromEntries(s.worstCoverage.map((w: any) => [w.clusterName, w.podCoverage]));
    assert.equal(worst['gke-staging-europe-west1'], 0);
    assert.equal(worst['onprem-dc1'], 0);
    coverageBeforeRollout = s.podCoverage;
  });

  it('an expired issuer fires a signed alert.firing webhook; rotating the issuer resolves it', async () => {
    const r = await q(
      `mutation($u: String!) { createWebhookEndpoint(input: { url: $u, eventTypes: ["alert.firing", "alert.resolved"],
        description: "on-call" }) { secret endpoint { id enabled eventTypes } } }`,
      { u: `${receiver.url}/meshfleet` },
    );
    const { secret, endpoint } = r.createWebhookEndpoint;
    assert.match(secret, /^whsec_/);
    assert.equal(endpoint.enabled, true);
    const verifier = new Webhook(secret);
    const gke = 'gke-staging-europe-west1';

    const fault = await sims[gke]!.injectFault({ kind: 'expireIssuer' });
    assert.equal(fault.status, 200, JSON.stringify(fault.body));

    const firing = await receiver.until(
      (w) =>
        w.body.type === 'alert.firing' &&
        w.body.data['cluster']?.id === ids[gke] &&
        w.body.data['alert']?.kind === 'CERTIFICATE_EXPIRED',
      30_000,
      'alert.firing for the expired issuer',
    );
    const verified = verifier.verify(firing.rawBody, firing.headers) as any;
    assert.equal(verified.type, 'alert.firing');
    assert.equal(verified.data.alert.status, 'FIRING');
    assert.match(verified.data.alert.summary, /issuer/);
    assert.equal(verified.data.cluster.name, gke);
    assert.equal(verified.data.link, `${api.url}/alerts/${verified.data.alert.id}`);
    assert.throws(() => verifier.verify(firing.rawBody.replace('FIRING', 'RESOLVED'), firing.headers));
    assert.throws(() =>
      new Webhook(`whsec_${Buffer.alloc(32, 1).toString('base64')}`).verify(firing.rawBody, firing.headers),
    );

    const active = (
      await q(
        `query($c: ID!) { alerts(filter: { clusterId: $c, status: FIRING }) { edges { node { id kind } } } }`,
        {
          c: ids[gke],
        },
      )
    ).alerts.edges.map((e: any) => e.node);
    assert.ok(
      active.some((a: any) => a.id === verified.data.alert.id),
      `the delivered alert is FIRING in GraphQL: ${JSON.stringify(active)}`,
    );

    const rotate = await q(`mutation($c: ID!) { rotateIssuer(clusterId: $c) { ${OPERATION} } }`, {
      c: ids[gke],
    });
    const rotated = await finished(gke, rotate.rotateIssuer.id);
    assert.equal(rotated.status, 'SUCCEEDED', JSON.stringify(rotated.error));

    const resolved = await receiver.until(
      (w) => w.body.type === 'alert.resolved' && w.body.data['alert']?.id === verified.data.alert.id,
      30_000,
      'alert.resolved for the expired issuer',
    );
    const v2 = verifier.verify(resolved.rawBody, resolved.headers) as any;
    assert.equal(v2.data.alert.status, 'RESOLVED');
    assert.notEqual(resolved.headers['webhook-id'], firing.headers['webhook-id']);
    // The endpoint's delivery log names both, by the webhook-id the receiver saw.
    const deliveries = await eventually(
      async () =>
        (
          await q(
            `query($e: ID!) { webhookDeliveries(endpointId: $e) { edges { node { id eventType status lastStatusCode } } } }`,
            { e: endpoint.id },
          )
        ).webhookDeliveries.edges.map((e: any) => e.node),
      // These two by id: the receiver may have the resolved one before its attempt is recorded,
      // and other events' deliveries are in the same log.
      (l: any[]) =>
        [firing, resolved].every((w) =>
          l.some((d) => d.id === w.headers['webhook-id'] && d.status === 'SUCCEEDED'),
        ),
      10_000,
      'both deliveries recorded as SUCCEEDED',
    );
    for (const w of [firing, resolved]) {
      const d = deliveries.find((d: any) => d.id === w.headers['webhook-id']);
      assert.deepEqual([d?.eventType, d?.status, d?.lastStatusCode], [w.body.type, 'SUCCEEDED', 204]);
    }
    await eventually(
      () =>
        q(
          `query($c: ID!) { alerts(filter: { clusterId: $c, status: FIRING }) { totalCount edges { node { kind } } } }`,
          {
            c: ids[gke],
          },
        ),
      (d) =>
        !d.alerts.edges.some((e: any) =>
          ['CERTIFICATE_EXPIRED', 'CONTROL_PLANE_UNHEALTHY'].includes(e.node.kind),
        ),
      20_000,
      'no certificate or control-plane alert firing on GKE',
    );
  });

  it('upgrades the fleet to 2.20 with a canary and a wave, watched over WebSocket; proxies follow and coverage grows', async () => {
    const input = {
      name: 'fleet-2.20',
      targetVersion: TO,
      strategy: {
        canaryCount: 1,
        waveSizes: [3],
        maxUnavailable: 3,
        maxFailures: 0,
        restartDataPlane: true,
        healthGateSeconds: 2,
      },
    };
    const plan = (
      await q(
        `query($i: RolloutInput!) { planRollout(input: $i) { targetVersion
          waves { index name clusters { name fromVersion } } excluded { clusterName code reason } } }`,
        { i: input },
      )
    ).planRollout;
    assert.deepEqual(plan.excluded, []);
    assert.deepEqual(
      plan.waves.map((w: any) => w.clusters.length),
      [1, 3],
    );
    assert.ok(plan.waves.every((w: any) => w.clusters.every((c: any) => c.fromVersion === FROM)));
    const canary = plan.waves[0].clusters[0].name;

    const started = (
      await q(`mutation($i: RolloutInput!) { startRollout(input: $i) { ${ROLLOUT} } }`, { i: input })
    ).startRollout;
    const rollout = watch<any>(
      ws,
      `subscription($id: ID!) { rolloutUpdated(id: $id) { ${ROLLOUT} } }`,
      { id: started.id },
      'rolloutUpdated',
    );
    try {
      const done = await rollout.until(
        // PAUSED ends the wait too: a paused rollout waits for a person, and the test would time out.
        (r) => TERMINAL_ROLLOUTS.includes(r.status) || r.status === 'PAUSED',
        90_000,
        'the rollout to finish',
      );
      assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done));
      assert.ok(
        done.targets.every((t: any) => t.status === 'DONE'),
        JSON.stringify(done.targets),
      );
      // The canary finished before any cluster of the wave started.
      const firstWaveMove = rollout.items.find((r) =>
        r.targets.some((t: any) => t.wave === 1 && t.status !== 'WAITING'),
      );
      assert.ok(firstWaveMove, 'the wave started');
      assert.equal(firstWaveMove.targets.find((t: any) => t.clusterName === canary).status, 'DONE');
      assert.ok(
        rollout.items.some((r) => r.status === 'RUNNING' && r.currentWave === 0),
        'saw the canary wave running',
      );
      assert.ok(
        rollout.items.some((r) => r.currentWave === 1),
        'saw the second wave',
      );
    } finally {
      rollout.close();
    }

    const list = await eventually(
      clusters,
      (l) =>
        FLEET.every(
          (c) =>
            l[c.name].linkerd?.version === TO &&
            l[c.name].linkerd.proxyVersions.length > 0 &&
            l[c.name].linkerd.proxyVersions.every((p: any) => p.version === TO),
        ),
      30_000,
      'every control plane and proxy on 2.20',
      brief,
    );
    // Restarting the data plane meshed the pods that asked for injection; legacy never asked.
    for (const name of ['aks-prod-westeurope', 'gke-staging-europe-west1', 'onprem-dc1'])
      assert.equal(list[name].mtls.podCoverage, 1, name);
    const eks = list['eks-prod-us-east-1'];
    const legacy = eks.mtls.namespaces.find((n: any) => n.name === 'legacy');
    assert.equal(legacy.podCoverage, 0);
    assert.ok(eks.mtls.podCoverage < 1);

    const s = await summary();
    assert.deepEqual(
      s.versions.map((v: any) => [v.version, v.clusters, v.proxiesLagging]),
      [[TO, 4, 0]],
    );
    assert.equal(s.clustersBehindNewest, 0);
    assert.ok(s.podCoverage > coverageBeforeRollout, `${s.podCoverage} > ${coverageBeforeRollout}`);
    assert.ok(s.podCoverage < 1);
  });

  it('meshes the last namespace with one mutation: a workload that fails meshed stops it and its batch is rolled back; the retry reaches 100 %', async () => {
    const eksName = 'eks-prod-us-east-1';
    const eksSim = sims[eksName]!;
    const legacyCoverage = async () =>
      (await clusters())[eksName].mtls.namespaces.find((n: any) => n.name === 'legacy');
    assert.equal((await legacyCoverage()).podCoverage, 0);
    const mesh = async (batchTimeoutSeconds: number) =>
      (
        await q(
          `mutation($c: ID!, $t: Int) { meshNamespaces(input: { clusterId: $c, namespaces: ["legacy"], batchSize: 1, batchTimeoutSeconds: $t }) { ${OPERATION} } }`,
          { c: ids[eksName], t: batchTimeoutSeconds },
        )
      ).meshNamespaces;

    // The PostgreSQL workload never becomes Ready with a proxy (the simulator's fault).
    const fault = await eksSim.injectFault({
      kind: 'notReadyWhenMeshed',
      namespace: 'legacy',
      name: 'ledger',
    });
    assert.equal(fault.status, 200, JSON.stringify(fault.body));
    // A short batch timeout: the failure is the point here.
    const first = await mesh(15);
    assert.equal(first.kind, 'MESH_NAMESPACES');
    const failed = await finished(eksName, first.id, 120_000);
    assert.equal(failed.status, 'FAILED');
    assert.equal(failed.error.code, 'MESH_BATCH_FAILED');
    assert.match(failed.error.message, /ledger/);
    const steps = (o: any) => o.steps.map((x: any) => `${x.step}:${x.status}:${x.message}`);
    // Batches stream on operationUpdated while the operation runs: billing first, then ledger.
    const seen = opWatches[eksName]!.items.filter((o) => o.id === first.id).flatMap(steps);
    assert.ok(
      seen.some((x: string) => /^batch:succeeded:.*1\/2.*billing/.test(x)),
      seen.join('\n'),
    );
    assert.ok(
      seen.some((x: string) => /^batch:failed:.*ledger/.test(x)),
      seen.join('\n'),
    );
    assert.ok(
      seen.some((x: string) => /^rollback:succeeded/.test(x)),
      seen.join('\n'),
    );
    // The failed batch was rolled back (ledger unmeshed and Ready); billing's batch stays meshed.
    const partial = await eventually(
      legacyCoverage,
      (n) =>
        n.workloads.find((w: any) => w.name === 'billing')?.meshedPods === 2 &&
        n.workloads.find((w: any) => w.name === 'ledger')?.meshedPods === 0,
      30_000,
      'billing meshed, ledger rolled back',
    );
    const ledger = partial.workloads.find((w: any) => w.name === 'ledger');
    assert.equal(ledger.meshedPods, 0);
    assert.ok(partial.podCoverage > 0 && partial.podCoverage < 1, `${partial.podCoverage}`);

    // Fixed, the same mutation meshes the rest: one batch is left.
    const cleared = await eksSim.clearFaults();
    assert.ok(cleared.status < 300, JSON.stringify(cleared.body));
    const retry = await mesh(120);
    const done = await finished(eksName, retry.id, 120_000);
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done.error));
    const batches = done.steps.filter((x: any) => x.step === 'batch' && x.status === 'succeeded');
    assert.equal(batches.length, 1, JSON.stringify(done.steps));
    assert.match(batches[0].message, /ledger/);

    const eks = (
      await eventually(clusters, (l) => l[eksName].mtls.podCoverage === 1, 30_000, 'EKS fully meshed', brief)
    )[eksName];
    assert.equal(eks.mtls.namespaces.find((n: any) => n.name === 'legacy').injection, 'enabled');
    const s = await eventually(summary, (s) => s.podCoverage === 1, 20_000, 'fleet coverage 1');
    assert.deepEqual(
      s.worstCoverage.map((w: any) => w.podCoverage).filter((c: number) => c < 1),
      [],
    );
    assert.ok(s.trafficCoverage > 0, `traffic over mTLS: ${s.trafficCoverage}`);
    // One version everywhere, proxies included, every check passing: nothing left to fix.
    const healthy = await eventually(
      summary,
      (s) => s.health.healthy === 4,
      20_000,
      'four HEALTHY clusters',
      (s) => s.health,
    );
    assert.deepEqual(
      healthy.versions.map((v: any) => [v.version, v.clusters, v.proxiesLagging]),
      [[TO, 4, 0]],
    );
  });
});
