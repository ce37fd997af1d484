import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Pod } from '@kubernetes/client-node';
import type { ClusterSnapshot } from '@meshfleet/linkerd';
import { podMetricsUsage, ResourceCollector, METRICS_API_PODS } from './resource-collector';

const proxyPod = (ns: string, name: string): V1Pod =>
  ({
    metadata: { namespace: ns, name },
    spec: { containers: [{ name: 'app' }, { name: 'linkerd-proxy' }] },
    status: { phase: 'Running' },
  }) as V1Pod;

const snapshot = (now: Date): ClusterSnapshot =>
  ({ pods: [proxyPod('shop', 'web-1')], now }) as unknown as ClusterSnapshot;

const metricsText = (cpuSeconds: number, rss: number, start: number) =>
  `# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total ${cpuSeconds}\n` +
  `process_resident_memory_bytes ${rss}\nprocess_start_time_seconds ${start}\n`;

describe('podMetricsUsage', () => {
  it('reads a PodMetricsList (nanocores, Ki) and refuses what is not one', () => {
    const body = JSON.stringify({
      kind: 'PodMetricsList',
      items: [
        {
          metadata: { namespace: 'shop', name: 'web-1' },
          containers: [
            { name: 'linkerd-proxy', usage: { cpu: '2500000n', memory: '12288Ki' } },
            { name: 'app', usage: { cpu: '50m', memory: '64Mi' } },
          ],
        },
      ],
    });
    assert.deepEqual(podMetricsUsage(body)!.get('shop/web-1'), [
      { name: 'linkerd-proxy', mem: 12288 * 1024, cpu: 0.0025 },
      { name: 'app', mem: 64 * 1024 * 1024, cpu: 0.05 },
    ]);
    assert.equal(podMetricsUsage('not json'), undefined);
    assert.equal(podMetricsUsage('{"kind":"Status"}'), undefined);
  });
});

describe('ResourceCollector', () => {
  it('uses PodMetrics when metrics.k8s.io answers', async () => {
    const paths: string[] = [];
    const c = new ResourceCollector({
      kube: {
        apiGet: async (path) => {
          paths.push(path);
          return {
            status: 200,
            truncated: false,
            body: JSON.stringify({
              items: [
                {
                  metadata: { namespace: 'shop', name: 'web-1' },
                  containers: [{ name: 'linkerd-proxy', usage: { cpu: '1000000n', memory: '20480Ki' } }],
                },
              ],
            }),
          };
        },
      },
      controlPlaneNamespace: 'linkerd',
      timeoutMs: 1000,
    });
    const r = await c.collect(snapshot(new Date()), { scrapes: [] });
    assert.deepEqual(paths, [METRICS_API_PODS]);
    assert.equal(r!.source, 'metrics-api');
    assert.equal(r!.proxy.max, 20480 * 1024);
  });

  it('falls back to the proxies’ process metrics, with CPU as the rate between two reports', async () => {
    const c = new ResourceCollector({
      kube: { apiGet: async () => ({ status: 404, truncated: false, body: '{"kind":"Status"}' }) },
      controlPlaneNamespace: 'linkerd',
      timeoutMs: 1000,
    });
    const t0 = new Date('2026-06-01T00:00:00Z');
    const start = t0.getTime() / 1000 - 100;
    const first = await c.collect(snapshot(t0), {
      scrapes: [{ namespace: 'shop', pod: 'web-1', text: metricsText(2, 30_000_000, start) }],
    });
    assert.equal(first!.source, 'proxy-metrics');
    assert.equal(first!.proxy.max, 30_000_000);
    assert.equal(first!.proxy.cpu, 0.02, 'first sight: 2 s of CPU over 100 s of life');
    const t1 = new Date(t0.getTime() + 10_000);
    const second = await c.collect(snapshot(t1), {
      scrapes: [{ namespace: 'shop', pod: 'web-1', text: metricsText(7, 31_000_000, start) }],
    });
    assert.equal(second!.proxy.cpu, 0.5, '5 s of CPU in 10 s');
    assert.equal(await c.collect(snapshot(t1), { scrapes: [] }), null, 'nothing measured: no block');
  });
});
