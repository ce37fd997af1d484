import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Simulator } from '@meshfleet/kube-sim';
import { isMeshed, isRunning } from '@meshfleet/linkerd';
import { KubeAccess } from '../src/kube/kube-access';
import { collectProxyMetrics } from '../src/tasks/collect-proxy-metrics.task';
import { TaskFailure } from '../src/tasks/task-failure';
import { eventually, quietLog, startSim } from './sim-fixture';

const task = (namespace: string, pod: string) => ({
  id: 'task-1',
  issuedAt: new Date().toISOString(),
  attempt: 1,
  kind: 'COLLECT_PROXY_METRICS' as const,
  params: { namespace, pod },
});

describe('COLLECT_PROXY_METRICS on a simulated pod', () => {
  let sim: Simulator;
  let kube: KubeAccess;

  before(async () => {
    sim = await startSim();
    kube = new KubeAccess(
      { kubeconfigPath: null, kubeconfigYaml: sim.kubeconfigFor('meshed'), linkerdNamespaces: ['linkerd'] },
      quietLog,
    );
    kube.start();
    await kube.waitForSync();
  });
  after(async () => {
    await kube.stop();
    await sim.close();
  });

  const podIn = (ns: string, meshed: boolean) =>
    eventually(
      () =>
        kube
          .snapshot()
          .pods.find((p) => p.metadata?.namespace === ns && isRunning(p) && isMeshed(p) === meshed),
      (p) => p !== undefined,
      10_000,
      `a running pod in ${ns}`,
    );

  it('returns the proxy metrics read through the pod proxy subresource', async () => {
    const pod = (await podIn('emojivoto', true))!;
    const out = await collectProxyMetrics(task('emojivoto', pod.metadata!.name!), { kube, timeoutMs: 3000 });
    assert.equal(out.kind, 'COLLECT_PROXY_METRICS');
    assert.equal(out.truncated, false);
    assert.match(out.metrics, /^# (HELP|TYPE) /m);
    assert.match(out.metrics, /tcp_open_total\{[^}]*direction="inbound"/);
  });

  it('fails with POD_NOT_FOUND for a pod that does not exist', async () => {
    await assert.rejects(
      collectProxyMetrics(task('emojivoto', 'nope-123'), { kube, timeoutMs: 3000 }),
      (e: unknown) => e instanceof TaskFailure && e.code === 'POD_NOT_FOUND',
    );
  });

  it('fails with POD_NOT_MESHED for a pod without a proxy', async () => {
    const pod = (await podIn('legacy', false))!;
    await assert.rejects(
      collectProxyMetrics(task('legacy', pod.metadata!.name!), { kube, timeoutMs: 3000 }),
      (e: unknown) => e instanceof TaskFailure && e.code === 'POD_NOT_MESHED',
    );
  });

  it('fails with SCRAPE_FAILED when the API server does not answer in time', async () => {
    const pod = (await podIn('emojivoto', true))!;
    sim.cluster('meshed').faults.latency(1500);
    try {
      await assert.rejects(
        collectProxyMetrics(task('emojivoto', pod.metadata!.name!), { kube, timeoutMs: 200 }),
        (e: unknown) => e instanceof TaskFailure && e.code === 'SCRAPE_FAILED' && /timed out/.test(e.message),
      );
    } finally {
      sim.cluster('meshed').faults.latency(0);
    }
  });
});
