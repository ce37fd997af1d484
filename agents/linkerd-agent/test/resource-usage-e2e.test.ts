// Resource usage end to end: real API and worker processes, a real agent per simulated cluster.
// One cluster runs metrics-server (PodMetrics: proxies and control plane), the other does not (the
// proxies' own process_* metrics). cluster.resources follows the simulator's traffic; a proxy
// memory leak fires PROXY_MEMORY_HIGH with a signed webhook to a receiver on 127.0.0.1, an OOM
// kill fires PROXY_OOMKILLED; healthHistory and fleetSummary carry the figures.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { startE2eFleet, type E2eFleet } from './e2e-fleet';
import { eventually } from './sim-fixture';

const MiB = 1024 * 1024;

const shop = {
  name: 'shop',
  inject: 'enabled',
  workloads: [
    { name: 'web', replicas: 1 },
    { name: 'api', replicas: 2, annotations: { 'config.linkerd.io/proxy-memory-limit': '200Mi' } },
  ],
};

const RESOURCES = `query($id: ID!) { cluster(id: $id) { resources {
  source sampled measuredAt namespacesTruncated
  proxy { measuredPods meshedPods cpuCores memoryBytes memoryP50Bytes memoryP95Bytes memoryMaxBytes nearLimit oomKilled restarts memoryOverheadRatio cpuMaxCores busiestCpuProxy nearCpuLimit }
  topProxies { namespace pod cpuCores memoryBytes nearLimit restarts oomKilled }
  namespaces { namespace pods proxyCpuCores proxyMemoryBytes appMemoryBytes overheadRatio }
  controlPlane { component pods cpuCores memoryBytes memoryLimitBytes limitRatio restarts oomKilled }
} } }`;

async function startReceiver() {
  const got: Array<{ headers: Record<string, string>; body: string }> = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ headers: req.headers as Record<string, string>, body: Buffer.concat(chunks).toString() });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  return { got, url, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('mesh resource usage end to end', () => {
  let fleet: E2eFleet;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let secret: string;

  const resources = async (name: string) =>
    (await fleet.q(RESOURCES, { id: fleet.member(name).clusterId })).data!.cluster.resources;
  const alerts = async (kind: string) =>
    (
      await fleet.q(
        `query($k: AlertKind) { alerts(filter: { kind: $k, status: FIRING }) { edges { node { kind severity summary clusterId } } } }`,
        { k: kind },
      )
    ).data!.alerts.edges.map((e: any) => e.node);

  before(async () => {
    fleet = await startE2eFleet(
      [
        {
          name: 'res-aks',
          provider: 'aks',
          nodes: 1,
          metricsServer: true,
          linkerd: { version: 'edge-26.6.3' },
          namespaces: [shop],
          traffic: [{ from: 'shop/web', to: 'shop/api', rps: 20, connections: 2 }],
        },
        {
          name: 'res-eks',
          provider: 'eks',
          nodes: 1,
          linkerd: { version: 'edge-26.6.3' },
          namespaces: [shop],
          traffic: [{ from: 'shop/web', to: 'shop/api', rps: 20, connections: 2 }],
        },
      ],
      {
        // The agent runs with the manifest's MONITOR RBAC: get/list on metrics.k8s.io pods included.
        rbac: 'MONITOR',
        env: {
          MESHFLEET_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
          MESHFLEET_ALERT_POLL_INTERVAL_MS: '100',
          MESHFLEET_ALERT_EVALUATION_INTERVAL_SECONDS: '1',
          MESHFLEET_WEBHOOK_RETRY_SCHEDULE: '0,400ms,400ms',
        },
      },
    );
    receiver = await startReceiver();
    const made = await fleet.q(
      `mutation($u: String!) { createWebhookEndpoint(input: { url: $u, eventTypes: ["alert.*"] }) { secret } }`,
      { u: receiver.url },
    );
    assert.equal(made.errors, undefined, JSON.stringify(made.errors));
    secret = made.data!.createWebhookEndpoint.secret;
  });
  after(async () => {
    await fleet?.stop();
    await receiver?.close();
  });

  it('reports proxy and control-plane usage from metrics-server, and proxy usage without it', async () => {
    const aks = await eventually(
      () => resources('res-aks'),
      // Three application pods and the three control-plane pods, which carry proxies too.
      (r) => r?.proxy.measuredPods === 6 && r.controlPlane.length === 3,
      30_000,
      'res-aks resources',
    );
    assert.equal(aks.source, 'METRICS_API');
    assert.equal(aks.sampled, false);
    assert.ok(aks.proxy.memoryMaxBytes > 8 * MiB && aks.proxy.memoryMaxBytes < 64 * MiB);
    assert.ok(aks.proxy.memoryP50Bytes <= aks.proxy.memoryP95Bytes);
    assert.equal(aks.proxy.meshedPods, 6);
    assert.equal(aks.topProxies.length, 6);
    assert.deepEqual(
      aks.controlPlane.map((c: any) => c.component),
      ['destination', 'identity', 'proxy-injector'],
    );
    for (const c of aks.controlPlane) assert.ok(c.memoryBytes > 10 * MiB, `${c.component} memory`);
    const ns = aks.namespaces.find((n: any) => n.namespace === 'shop');
    assert.ok(ns.overheadRatio > 0 && ns.overheadRatio < 1, `overhead ${ns.overheadRatio}`);
    // The cluster's own ratio: proxies ÷ applications over every measured meshed pod.
    const proxies = aks.namespaces.reduce((a: number, n: any) => a + n.proxyMemoryBytes, 0);
    const apps = aks.namespaces.reduce((a: number, n: any) => a + n.appMemoryBytes, 0);
    assert.equal(aks.namespacesTruncated, false);
    assert.ok(
      Math.abs(aks.proxy.memoryOverheadRatio - proxies / apps) < 0.002,
      `cluster overhead ${aks.proxy.memoryOverheadRatio} vs ${proxies / apps}`,
    );

    const eks = await eventually(
      () => resources('res-eks'),
      (r) => r?.proxy.measuredPods === 3,
      30_000,
      'res-eks resources',
    );
    assert.equal(eks.source, 'PROXY_METRICS');
    // The proxies the mTLS scrape reads: the data plane, not the control plane's own pods.
    assert.equal(eks.proxy.meshedPods, 6);
    assert.ok(eks.proxy.memoryMaxBytes > 8 * MiB);
    // Without metrics-server there is no figure for the control plane's own containers.
    assert.ok(eks.controlPlane.every((c: any) => c.memoryBytes === null));
  });

  it('follows the simulator traffic in cluster.resources, healthHistory and fleetSummary', async () => {
    // The simulator's proxy CPU grows with its requests (4,000 rps spread over the api pods):
    // PROXY_CPU_HIGH, tuned to fire at once above 0.1 core, names the busiest proxy.
    const tuned = await fleet.q(
      `mutation { updateAlertRule(kind: PROXY_CPU_HIGH, input: { forSeconds: 0, params: { thresholdCores: 0.1 } }) { kind forSeconds params } }`,
    );
    assert.equal(tuned.errors, undefined, JSON.stringify(tuned.errors));
    assert.deepEqual(await alerts('PROXY_CPU_HIGH'), [], 'quiet at 20 rps');
    for (const name of ['res-aks', 'res-eks']) {
      const before = await resources(name);
      fleet.sim.cluster(name).linkerd.edges.push({
        from: 'shop/web',
        to: 'shop/api',
        rps: 4000,
        connections: 10,
        successRate: 1,
      });
      const after = await eventually(
        () => resources(name),
        (r) => r.proxy.memoryBytes > before.proxy.memoryBytes + 20 * MiB,
        20_000,
        `${name} proxy memory up with traffic`,
      );
      assert.ok(after.proxy.memoryMaxBytes > before.proxy.memoryMaxBytes);
      if (name === 'res-aks') {
        const hot = await eventually(
          () => resources(name),
          (r) => r.proxy.cpuMaxCores > 0.1,
          20_000,
          `${name} busiest proxy CPU up with traffic`,
        );
        assert.match(hot.proxy.busiestCpuProxy, /^shop\/(web|api)-/, 'a proxy on the traffic path');
        const [cpuAlert] = await eventually(
          () => alerts('PROXY_CPU_HIGH'),
          (a) => a.length > 0,
          20_000,
          'PROXY_CPU_HIGH firing',
        );
        assert.equal(cpuAlert.clusterId, fleet.member(name).clusterId);
        assert.match(
          cpuAlert.summary,
          /busiest proxy on cluster res-aks \(shop\/(web|api)-[^)]+\) uses [\d.]+ cores \(above 0.1\)/,
        );
      }
      fleet.sim.cluster(name).linkerd.edges.pop();
    }
    const history = await fleet.q(
      `query($id: ID!) { healthHistory(clusterId: $id) { proxyMemoryBytes proxyMemoryMaxBytes proxyCpuCores controlPlaneMemoryBytes } }`,
      { id: fleet.member('res-aks').clusterId },
    );
    const samples = history.data!.healthHistory.filter((s: any) => s.proxyMemoryBytes !== null);
    assert.ok(samples.length >= 2);
    assert.ok(
      Math.max(...samples.map((s: any) => s.proxyMemoryBytes)) >
        Math.min(...samples.map((s: any) => s.proxyMemoryBytes)) + 20 * MiB,
      'the history shows the rise',
    );
    assert.ok(samples.every((s: any) => s.controlPlaneMemoryBytes > 0));
    const fleetRes = (
      await fleet.q(
        `{ fleetSummary { resources { clustersReporting measuredProxies proxyMemoryBytes proxyCpuCores worstClusters { clusterName memoryMaxBytes } } } }`,
      )
    ).data!.fleetSummary.resources;
    assert.equal(fleetRes.clustersReporting, 2);
    assert.equal(fleetRes.measuredProxies, 9);
    assert.equal(fleetRes.worstClusters.length, 2);
    assert.ok(fleetRes.worstClusters[0].memoryMaxBytes >= fleetRes.worstClusters[1].memoryMaxBytes);
  });

  it('fires PROXY_MEMORY_HIGH with a signed webhook when a proxy leaks memory', async () => {
    const sim = fleet.sim.cluster('res-aks');
    await sim.faults.apply({
      kind: 'proxyMemoryLeak',
      namespace: 'shop',
      labels: { app: 'web' },
      bytesPerSecond: 25 * MiB,
    });
    const [alert] = await eventually(
      () => alerts('PROXY_MEMORY_HIGH'),
      (a) => a.length > 0,
      30_000,
      'PROXY_MEMORY_HIGH firing',
    );
    assert.equal(alert.clusterId, fleet.member('res-aks').clusterId);
    assert.equal(alert.severity, 'WARNING');
    assert.match(
      alert.summary,
      /largest proxy on cluster res-aks \(shop\/web-[^)]+\) uses \d+ MiB \(above 64 MiB\)/,
    );
    const msg = await eventually(
      () =>
        receiver.got.find((m) => {
          const body = JSON.parse(m.body);
          return body.type === 'alert.firing' && body.data?.alert?.kind === 'PROXY_MEMORY_HIGH';
        }),
      (m) => m !== undefined,
      20_000,
      'PROXY_MEMORY_HIGH webhook',
    );
    const payload = new Webhook(secret).verify(msg!.body, msg!.headers) as any;
    assert.equal(payload.data.cluster.name, 'res-aks');
    assert.throws(() =>
      new Webhook(Buffer.from('x'.repeat(32)).toString('base64')).verify(msg!.body, msg!.headers),
    );
    sim.faults.clear();
  });

  it('fires PROXY_OOMKILLED when a proxy is OOM-killed, and cluster.resources names it', async () => {
    const sim = fleet.sim.cluster('res-aks');
    const { pods } = (await sim.faults.apply({
      kind: 'oomKill',
      namespace: 'shop',
      labels: { app: 'api' },
    })) as { pods: string[] };
    assert.equal(pods.length, 2);
    const [alert] = await eventually(
      () => alerts('PROXY_OOMKILLED'),
      (a) => a.length > 0,
      30_000,
      'PROXY_OOMKILLED firing',
    );
    assert.equal(alert.severity, 'CRITICAL');
    assert.match(alert.summary, /2 proxy\(ies\) on cluster res-aks were OOMKilled/);
    const r = await resources('res-aks');
    assert.equal(r.proxy.oomKilled, 2);
    assert.equal(r.proxy.restarts, 2);
    assert.ok(r.topProxies.some((t: any) => t.oomKilled && t.restarts === 1));
    await eventually(
      () =>
        receiver.got.filter((m) => {
          const body = JSON.parse(m.body);
          return body.type === 'alert.firing' && body.data?.alert?.kind === 'PROXY_OOMKILLED';
        }),
      (m) => m.length === 1,
      20_000,
      'PROXY_OOMKILLED webhook',
    );
  });
});
