// metrics.k8s.io as metrics-server serves it (through its APIService), the usage model behind it
// (proxy memory follows traffic and connections; the proxy's own process_* metrics agree), the
// proxyMemoryLeak and oomKill faults, and a cluster without metrics-server (404, so readers fall
// back). kubectl top / get --raw run when kubectl is installed.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, type ClusterHandle, type Simulator } from '../src';
import { call, eventually, smallCluster } from './helpers';

interface PodMetrics {
  metadata: { name: string; namespace: string };
  timestamp: string;
  window: string;
  containers: Array<{ name: string; usage: { cpu: string; memory: string } }>;
}

const kib = (q: string): number => {
  const m = /^(\d+)Ki$/.exec(q);
  assert.ok(m, `memory quantity ${q} is in Ki`);
  return Number(m[1]) * 1024;
};
const nanocores = (q: string): number => {
  const m = /^(\d+)n$/.exec(q);
  assert.ok(m, `cpu quantity ${q} is in n`);
  return Number(m[1]);
};

const hasKubectl = spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0;

describe('resource metrics', () => {
  let sim: Simulator;
  let c: ClusterHandle;
  let bare: ClusterHandle;
  let dir: string;

  const podMetrics = async (ns: string) => {
    const res = await call(sim, c, 'GET', `/apis/metrics.k8s.io/v1beta1/namespaces/${ns}/pods`);
    assert.equal(res.status, 200, res.text);
    return res.json<{ kind: string; items: PodMetrics[] }>();
  };
  const proxyMemory = (items: PodMetrics[], pod: string): number =>
    kib(
      items.find((i) => i.metadata.name === pod)!.containers.find((x) => x.name === 'linkerd-proxy')!.usage
        .memory,
    );
  const runningPods = async (ns: string, want: number) =>
    eventually(
      async () => {
        const items = (await podMetrics(ns)).items;
        return items.length >= want ? items : undefined;
      },
      15_000,
      `${want} pods with metrics in ${ns}`,
    );

  before(async () => {
    sim = await startSimulator({
      scenario: {
        clusters: [
          smallCluster('metrics', {
            provider: 'gke',
            metricsServer: true,
            linkerd: { version: 'edge-26.6.3' },
            namespaces: [
              {
                name: 'shop',
                inject: 'enabled',
                workloads: [
                  { name: 'web', replicas: 1 },
                  { name: 'api', replicas: 1 },
                ],
              },
              {
                // A proxy memory limit: a leak pushes it over, and the kernel OOM-kills it.
                name: 'capped',
                inject: 'enabled',
                workloads: [{ name: 'svc', annotations: { 'config.linkerd.io/proxy-memory-limit': '32Mi' } }],
              },
            ],
            traffic: [{ from: 'shop/web', to: 'shop/api', rps: 100, connections: 4 }],
          }),
          smallCluster('no-metrics', { namespaces: [{ name: 'shop', workloads: [{ name: 'web' }] }] }),
        ],
      },
    });
    c = sim.cluster('metrics');
    bare = sim.cluster('no-metrics');
    dir = mkdtempSync(join(tmpdir(), 'kube-sim-metrics-'));
  });
  after(async () => {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves metrics.k8s.io once metrics-server is Available, read-only, with native-sidecar proxies', async () => {
    const discovery = await eventually(
      async () => {
        const r = await call(sim, c, 'GET', '/apis/metrics.k8s.io/v1beta1');
        return r.status === 200
          ? r.json<{ resources: Array<{ name: string; kind: string; verbs: string[] }> }>()
          : undefined;
      },
      10_000,
      'metrics.k8s.io discovery',
    );
    assert.deepEqual(discovery.resources.map((r) => `${r.name}:${r.kind}:${r.verbs.join(',')}`).sort(), [
      'nodes:NodeMetrics:get,list',
      'pods:PodMetrics:get,list',
    ]);
    const items = await runningPods('shop', 2);
    const web = items.find((i) => i.metadata.name.startsWith('web-'))!;
    assert.equal(web.window, '15s');
    assert.ok(!Number.isNaN(Date.parse(web.timestamp)));
    // edge-26 injects the proxy as a native sidecar (an init container): it is still reported.
    assert.deepEqual(web.containers.map((x) => x.name).sort(), ['linkerd-proxy', 'web']);
    for (const x of web.containers) {
      assert.ok(nanocores(x.usage.cpu) > 0);
      assert.ok(kib(x.usage.memory) > 5 * 1024 * 1024);
    }
    const one = await call(
      sim,
      c,
      'GET',
      `/apis/metrics.k8s.io/v1beta1/namespaces/shop/pods/${web.metadata.name}`,
    );
    assert.equal(one.status, 200);
    assert.equal(one.json<PodMetrics & { kind: string }>().kind, 'PodMetrics');
    const missing = await call(sim, c, 'GET', '/apis/metrics.k8s.io/v1beta1/namespaces/shop/pods/nope');
    assert.equal(missing.status, 404);
    assert.match(missing.text, /pods.metrics.k8s.io \\"nope\\" not found/);
    const control = await podMetrics('linkerd');
    const dest = control.items.find((i) => i.metadata.name.startsWith('linkerd-destination'))!;
    assert.deepEqual(dest.containers.map((x) => x.name).sort(), [
      'destination',
      'linkerd-proxy',
      'policy',
      'sp-validator',
    ]);
    const post = await call(sim, c, 'POST', '/apis/metrics.k8s.io/v1beta1/namespaces/shop/pods', {});
    assert.equal(post.status, 405);
    const nodes = await call(sim, c, 'GET', '/apis/metrics.k8s.io/v1beta1/nodes');
    assert.equal(nodes.json<{ items: unknown[] }>().items.length, 2);
  });

  it('answers 404 where metrics-server is not installed, and 503 while its APIService is unavailable', async () => {
    const res = await call(sim, bare, 'GET', '/apis/metrics.k8s.io/v1beta1/namespaces/shop/pods');
    assert.equal(res.status, 404);
    const groups = (await call(sim, bare, 'GET', '/apis')).json<{ groups: Array<{ name: string }> }>();
    assert.ok(!groups.groups.some((g) => g.name === 'metrics.k8s.io'));
    const scaled = await call(
      sim,
      c,
      'PATCH',
      '/apis/apps/v1/namespaces/kube-system/deployments/metrics-server',
      { spec: { replicas: 0 } },
      { 'Content-Type': 'application/merge-patch+json' },
    );
    assert.equal(scaled.status, 200, scaled.text);
    await eventually(
      async () =>
        (await call(sim, c, 'GET', '/apis/metrics.k8s.io/v1beta1/namespaces/shop/pods')).status === 503,
      10_000,
      '503',
    );
    // Discovery of the group version fails the same way (kubectl: "unable to retrieve the complete list").
    assert.equal((await call(sim, c, 'GET', '/apis/metrics.k8s.io/v1beta1')).status, 503);
    await call(
      sim,
      c,
      'PATCH',
      '/apis/apps/v1/namespaces/kube-system/deployments/metrics-server',
      { spec: { replicas: 1 } },
      { 'Content-Type': 'application/merge-patch+json' },
    );
    await eventually(
      async () =>
        (await call(sim, c, 'GET', '/apis/metrics.k8s.io/v1beta1/namespaces/shop/pods')).status === 200,
      10_000,
      '200 again',
    );
  });

  it('grows proxy memory with traffic and agrees with the proxy admin process metrics', async () => {
    const before = await runningPods('shop', 2);
    const web = before.find((i) => i.metadata.name.startsWith('web-'))!.metadata.name;
    const m0 = proxyMemory(before, web);
    c.linkerd.edges.push({ from: 'shop/web', to: 'shop/api', rps: 2000, connections: 20, successRate: 1 });
    try {
      const m1 = proxyMemory((await podMetrics('shop')).items, web);
      assert.ok(m1 > m0 + 10 * 1024 * 1024, `memory rose with 2,000 more RPS (${m0} → ${m1})`);
      const admin = await call(sim, c, 'GET', `/api/v1/namespaces/shop/pods/${web}:4191/proxy/metrics`);
      const rss = Number(/^process_resident_memory_bytes (\d+)$/m.exec(admin.text)?.[1]);
      assert.ok(Math.abs(rss - m1) < 64 * 1024, `RSS ${rss} ≈ working set ${m1}`);
      const cpu1 = Number(/^process_cpu_seconds_total ([\d.]+)$/m.exec(admin.text)?.[1]);
      await new Promise((r) => setTimeout(r, 300));
      const again = await call(sim, c, 'GET', `/api/v1/namespaces/shop/pods/${web}:4191/proxy/metrics`);
      const cpu2 = Number(/^process_cpu_seconds_total ([\d.]+)$/m.exec(again.text)?.[1]);
      assert.ok(cpu2 > cpu1, `CPU seconds is a growing counter (${cpu1} → ${cpu2})`);
    } finally {
      c.linkerd.edges.pop();
    }
  });

  it('leaks proxy memory steadily under the proxyMemoryLeak fault until cleared', async () => {
    const items = await runningPods('shop', 2);
    const api = items.find((i) => i.metadata.name.startsWith('api-'))!.metadata.name;
    const m0 = proxyMemory(items, api);
    await c.faults.apply({
      kind: 'proxyMemoryLeak',
      namespace: 'shop',
      labels: { app: 'api' },
      bytesPerSecond: 50 * 1024 * 1024,
    });
    await new Promise((r) => setTimeout(r, 1200));
    const m1 = proxyMemory((await podMetrics('shop')).items, api);
    assert.ok(m1 - m0 > 40 * 1024 * 1024, `leaked ${m1 - m0} bytes in ~1.2 s`);
    c.faults.clear();
    const m2 = proxyMemory((await podMetrics('shop')).items, api);
    assert.ok(m2 < m0 + 1024 * 1024, 'memory is back to the model once cleared');
  });

  it('OOM-kills the proxy: restartCount+1, lastState OOMKilled, memory starts over', async () => {
    const items = await runningPods('shop', 2);
    const web = items.find((i) => i.metadata.name.startsWith('web-'))!.metadata.name;
    const out = (await c.faults.apply({ kind: 'oomKill', namespace: 'shop', name: web })) as {
      pods: string[];
    };
    assert.deepEqual(out.pods, [web]);
    const status = await eventually(
      async () => {
        const pod = (await call(sim, c, 'GET', `/api/v1/namespaces/shop/pods/${web}`)).json<{
          status: {
            initContainerStatuses?: Array<{
              name: string;
              restartCount: number;
              lastState?: { terminated?: { reason: string; exitCode: number } };
            }>;
          };
        }>();
        const proxy = pod.status.initContainerStatuses?.find((s) => s.name === 'linkerd-proxy');
        return proxy?.restartCount === 1 ? proxy : undefined;
      },
      10_000,
      'proxy restarted',
    );
    assert.equal(status.lastState?.terminated?.reason, 'OOMKilled');
    assert.equal(status.lastState?.terminated?.exitCode, 137);
    await assert.rejects(
      c.faults.apply({ kind: 'oomKill', namespace: 'shop', name: web, container: 'nope' }),
      /no running pod/,
    );
  });

  it('OOM-kills a leaking proxy when it passes its memory limit, as the kernel would, again and again', async () => {
    const [item] = await runningPods('capped', 1);
    const pod = item!.metadata.name;
    const limit = 32 * 1024 * 1024;
    assert.ok(proxyMemory((await podMetrics('capped')).items, pod) < limit);
    await c.faults.apply({
      kind: 'proxyMemoryLeak',
      namespace: 'capped',
      labels: { app: 'svc' },
      bytesPerSecond: 40 * 1024 * 1024,
    });
    type Status = {
      name: string;
      restartCount: number;
      lastState?: { terminated?: { reason: string; exitCode: number } };
    };
    const proxyStatus = async () =>
      (await call(sim, c, 'GET', `/api/v1/namespaces/capped/pods/${pod}`))
        .json<{ status: { initContainerStatuses?: Status[] } }>()
        .status.initContainerStatuses?.find((x) => x.name === 'linkerd-proxy');
    const first = await eventually(
      async () => {
        const st = await proxyStatus();
        return st && st.restartCount >= 1 ? st : undefined;
      },
      10_000,
      'the leaking proxy OOM-killed',
    );
    assert.equal(first.lastState?.terminated?.reason, 'OOMKilled');
    assert.equal(first.lastState?.terminated?.exitCode, 137);
    // Never read above its limit: the kill comes within a sweep of crossing it.
    assert.ok(proxyMemory((await podMetrics('capped')).items, pod) < limit * 1.5);
    // The leak goes on after the restart, so it is killed again.
    await eventually(
      async () => {
        const st = await proxyStatus();
        return st && st.restartCount >= 2 ? st : undefined;
      },
      10_000,
      'killed again after the restart',
    );
    c.faults.clear();
    const settled = (await proxyStatus())!.restartCount;
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal((await proxyStatus())!.restartCount, settled, 'no more kills once the leak is cleared');
  });

  it(
    'works with kubectl top pod and get --raw',
    { skip: !hasKubectl && 'kubectl is not installed' },
    async () => {
      const [kubeconfig] = await sim.writeKubeconfigs(dir);
      const env = { ...process.env, KUBECONFIG: kubeconfig, KUBECACHEDIR: join(dir, 'cache'), HOME: dir };
      const run = (...args: string[]) =>
        new Promise<{ stdout: string; stderr: string; code: number }>((resolve) =>
          execFile('kubectl', args, { env, timeout: 30_000 }, (err, stdout, stderr) =>
            resolve({ stdout, stderr, code: err ? 1 : 0 }),
          ),
        );
      const top = await run('top', 'pod', '-n', 'shop', '--containers');
      assert.equal(top.code, 0, top.stderr);
      assert.match(top.stdout, /linkerd-proxy\s+\d+m\s+\d+Mi/);
      const raw = await run('get', '--raw', '/apis/metrics.k8s.io/v1beta1/namespaces/shop/pods');
      assert.equal(raw.code, 0, raw.stderr);
      assert.equal(JSON.parse(raw.stdout).kind, 'PodMetricsList');
    },
  );
});
