import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Pod } from '@kubernetes/client-node';
import { jsonByteLength, namespaceOverhead, ResourceUsageSchema } from '@meshfleet/agent-protocol';
import { parseQuantity } from '@meshfleet/core';
import { quantile, summarizeResources, type ContainerUsage } from './resource-summary';

const MiB = 1024 * 1024;

function pod(
  ns: string,
  name: string,
  opts: {
    limit?: string;
    cpuLimit?: string;
    restarts?: number;
    oom?: boolean;
    component?: string;
    app?: string;
  } = {},
): V1Pod {
  const proxy = {
    name: 'linkerd-proxy',
    restartPolicy: 'Always',
    resources: {
      limits: {
        ...(opts.limit ? { memory: opts.limit } : {}),
        ...(opts.cpuLimit ? { cpu: opts.cpuLimit } : {}),
      },
    },
  };
  return {
    metadata: {
      namespace: ns,
      name,
      labels: opts.component ? { 'linkerd.io/control-plane-component': opts.component } : {},
    },
    spec: {
      initContainers: [proxy],
      containers: [
        {
          name: opts.app ?? 'app',
          ...(opts.component ? { resources: { limits: { memory: '250Mi' } } } : {}),
        },
      ],
    },
    status: {
      phase: 'Running',
      initContainerStatuses: [
        {
          name: 'linkerd-proxy',
          ready: true,
          restartCount: opts.restarts ?? 0,
          image: 'proxy',
          imageID: '',
          ...(opts.oom ? { lastState: { terminated: { exitCode: 137, reason: 'OOMKilled' } } } : {}),
        },
      ],
    },
  } as V1Pod;
}

describe('parseQuantity', () => {
  it('reads binary, decimal and exponent suffixes and rejects junk', () => {
    assert.equal(parseQuantity('250Mi'), 250 * MiB);
    assert.equal(parseQuantity('100m'), 0.1);
    assert.ok(Math.abs(parseQuantity('3514143n')! - 0.003514143) < 1e-12);
    assert.equal(parseQuantity('18324Ki'), 18324 * 1024);
    assert.equal(parseQuantity('1e3'), 1000);
    assert.equal(parseQuantity('2'), 2);
    assert.equal(parseQuantity('1.5Gi'), 1.5 * 1024 * MiB);
    assert.equal(parseQuantity('12 apples'), undefined);
    assert.equal(parseQuantity('-1'), undefined);
  });
});

describe('summarizeResources', () => {
  it('gives nearest-rank percentiles', () => {
    assert.equal(quantile([1, 2, 3, 4], 0.5), 2);
    assert.equal(quantile([1, 2, 3, 4], 0.95), 4);
    assert.equal(quantile([], 0.5), 0);
  });

  it('summarizes proxies, namespaces and the control plane', () => {
    const pods = [
      pod('shop', 'web-1', { limit: '64Mi' }),
      pod('shop', 'web-2', { restarts: 2, oom: true }),
      pod('pay', 'api-1', { cpuLimit: '6m' }),
      pod('linkerd', 'linkerd-destination-1', { component: 'destination', app: 'destination' }),
    ];
    const usage = new Map<string, ContainerUsage[]>([
      [
        'shop/web-1',
        [
          { name: 'linkerd-proxy', cpu: 0.01, mem: 60 * MiB },
          { name: 'app', cpu: 0.1, mem: 100 * MiB },
        ],
      ],
      [
        'shop/web-2',
        [
          { name: 'linkerd-proxy', cpu: 0.02, mem: 20 * MiB },
          { name: 'app', cpu: 0.1, mem: 100 * MiB },
        ],
      ],
      [
        'pay/api-1',
        [
          { name: 'linkerd-proxy', cpu: 0.005, mem: 10 * MiB },
          { name: 'app', mem: 50 * MiB },
        ],
      ],
      [
        'linkerd/linkerd-destination-1',
        [
          { name: 'linkerd-proxy', cpu: 0.001, mem: 12 * MiB },
          { name: 'destination', cpu: 0.004, mem: 225 * MiB },
        ],
      ],
    ]);
    const r = summarizeResources({
      pods,
      usage,
      source: 'metrics-api',
      sampled: false,
      controlPlaneNamespace: 'linkerd',
    });
    assert.doesNotThrow(() => ResourceUsageSchema.parse(r));
    assert.equal(r.proxy.meshedPods, 4);
    assert.equal(r.proxy.pods, 4);
    assert.equal(r.proxy.max, 60 * MiB);
    assert.equal(r.proxy.p50, 12 * MiB);
    assert.equal(r.proxy.mem, 102 * MiB);
    assert.equal(r.proxy.cpu, 0.036);
    assert.equal(r.proxy.overLimit, 1, '60 MiB of a 64 MiB limit is over 80 %');
    assert.equal(r.proxy.oomKilled, 1);
    assert.equal(r.proxy.restarts, 2);
    assert.deepEqual(r.top[0], { ns: 'shop', pod: 'web-1', cpu: 0.01, mem: 60 * MiB, near: true });
    assert.deepEqual(r.top[1], {
      ns: 'shop',
      pod: 'web-2',
      cpu: 0.02,
      mem: 20 * MiB,
      restarts: 2,
      oom: true,
    });
    const shop = r.namespaces.find((n) => n.ns === 'shop')!;
    assert.equal(shop.overhead, undefined, 'follows from mem and appMem: not sent');
    assert.equal(namespaceOverhead(shop), 0.4, '80 MiB of proxies ÷ 200 MiB of apps');
    assert.equal(r.proxy.cpuMax, 0.02);
    assert.equal(r.proxy.cpuMaxPod, 'shop/web-2');
    assert.equal(r.proxy.cpuNearLimit, 1, '5m of a 6m CPU limit is over 80 %');
    // Over every meshed pod whose application was measured, the control plane's included.
    assert.equal(r.proxy.overhead, Math.round((102 / 475) * 1000) / 1000);
    assert.deepEqual(r.controlPlane, [
      {
        component: 'destination',
        pods: 1,
        cpu: 0.004,
        mem: 225 * MiB,
        limit: 250 * MiB,
        limitRatio: 0.9,
      },
    ]);
  });

  it('keeps the report growth under 2 KiB for a 5,000-pod cluster', () => {
    const pods: V1Pod[] = [];
    const usage = new Map<string, ContainerUsage[]>();
    for (let i = 0; i < 5000; i++) {
      const ns = `team-${String(i % 50).padStart(2, '0')}-services`;
      const name = `workload-${i % 400}-7d9f8c6b5d-${String(i).padStart(5, 'x')}`;
      pods.push(pod(ns, name, { limit: '250Mi', restarts: i % 97 === 0 ? 1 : 0 }));
      usage.set(`${ns}/${name}`, [
        { name: 'linkerd-proxy', cpu: 0.001 + (i % 13) / 1000, mem: 10 * MiB + i * 4099 },
        { name: 'app', cpu: 0.05, mem: 120 * MiB + i * 1000 },
      ]);
    }
    for (const c of ['destination', 'identity', 'proxy-injector'])
      for (let r = 0; r < 3; r++) {
        const p = pod('linkerd', `linkerd-${c}-6f8d9c7b5-${r}abcd`, { component: c, app: c });
        pods.push(p);
        usage.set(`linkerd/${p.metadata!.name}`, [{ name: c, cpu: 0.01, mem: 60 * MiB }]);
      }
    const started = Date.now();
    const r = summarizeResources({
      pods,
      usage,
      source: 'metrics-api',
      sampled: false,
      controlPlaneNamespace: 'linkerd',
    });
    const elapsed = Date.now() - started;
    const size = jsonByteLength({ resources: r }) + 1; // the key, its value and a comma
    assert.ok(size <= 2048, `resources add ${size} bytes: ${JSON.stringify(r)}`);
    assert.ok(elapsed < 500, `summarized in ${elapsed} ms`);
    assert.equal(r.proxy.meshedPods, 5009);
    assert.equal(r.top.length, 10);
    assert.equal(r.top[0]!.pod, 'workload-199-7d9f8c6b5d-x4999');
    assert.equal(r.namespaces.length, 5);
    assert.equal(r.namespacesTruncated, true);
    assert.equal(r.controlPlane.length, 3);
    assert.equal(r.proxy.max, 10 * MiB + 4999 * 4099);
    // The namespaces carried are 5 of 51, yet the cluster's overhead covers every pod.
    // (The control-plane pods' usage here has no proxy row: they are not measured proxies.)
    let proxyMem = 0;
    let appMem = 0;
    for (let i = 0; i < 5000; i++) {
      proxyMem += 10 * MiB + i * 4099;
      appMem += 120 * MiB + i * 1000;
    }
    assert.equal(r.proxy.overhead, Math.round((proxyMem / appMem) * 1000) / 1000);
  });

  it("reads viz's bundled Prometheus: working set, smallest limit and retention; null without it", () => {
    const prom = (name: string, limit?: string): V1Pod =>
      ({
        metadata: {
          namespace: 'linkerd-viz',
          name,
          labels: { 'linkerd.io/extension': 'viz', component: 'prometheus' },
        },
        spec: {
          containers: [
            {
              name: 'prometheus',
              args: ['--config.file=/etc/prometheus/prometheus.yml', '--storage.tsdb.retention.time=12h'],
              ...(limit ? { resources: { limits: { memory: limit } } } : {}),
            },
          ],
        },
        status: { phase: 'Running' },
      }) as V1Pod;
    const base = { source: 'metrics-api' as const, sampled: false, controlPlaneNamespace: 'linkerd' };
    const usage = new Map<string, ContainerUsage[]>([
      ['linkerd-viz/prom-1', [{ name: 'prometheus', mem: 300 * MiB }]],
    ]);
    const r = summarizeResources({ ...base, pods: [prom('prom-1', '1Gi'), prom('prom-2', '512Mi')], usage });
    assert.deepEqual(r.vizPrometheus, { pods: 2, mem: 300 * MiB, limit: 512 * MiB, retention: '12h' });
    assert.equal(summarizeResources({ ...base, pods: [pod('shop', 'a')], usage }).vizPrometheus, null);
    const other = summarizeResources({ ...base, vizNamespace: 'viz', pods: [prom('prom-1')], usage });
    assert.equal(other.vizPrometheus, null, 'only in the viz namespace');
  });
});
