// Drift detection against kube-sim with the real client: Meshfleet installs Linkerd, then a
// person's kubectl edit/patch changes the destination's replicas and a linkerd-config value.
// Drift names field and manager; Meshfleet's own restart and a cainjector's caBundle do not count;
// RECONCILE_DRIFT (re-applying the desired objects) clears it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1ConfigMap, V1Deployment } from '@kubernetes/client-node';
import { startSimulator, type Simulator } from '@meshfleet/kube-sim';
import { parse, stringify } from 'yaml';
import { DesiredState } from '../src/drift/desired-state';
import { DriftMonitor } from '../src/drift/drift-monitor';
import { clusterDesiredStore } from '../src/drift/desired-store';
import { ClusterOps } from '../src/kube/cluster-ops';
import { loadKubeConfig } from '../src/kube/kube-config';
import { TaskFailure } from '../src/tasks/task-failure';
import { executeLifecycle } from '../src/tasks/lifecycle/lifecycle-executor';
import { FakeApi, gatewayApiCrds, installTask, PLAIN_CLUSTER, releaseRef } from './lifecycle-fixture';

const V219 = 'enterprise-2.19.1';
let api: FakeApi;
const reconcileTask = (id: string) =>
  ({
    id,
    issuedAt: new Date().toISOString(),
    attempt: 1,
    kind: 'RECONCILE_DRIFT',
    params: { operationId: `op-${id}`, controlPlaneNamespace: 'linkerd' },
  }) as const;

describe('drift detection on a simulated cluster', () => {
  let sim: Simulator;
  let ops: ClusterOps;
  let desired: DesiredState;
  let interval = 0;
  let monitor: DriftMonitor;
  const model = () => sim.cluster('plain').model;
  /** A write as another client makes it (kubectl sends its manager as fieldManager). */
  const writeAs = (
    manager: string,
    group: string,
    plural: string,
    name: string,
    patch: unknown,
    ns?: string,
  ) =>
    model().objects.patch(model().type(group, plural), ns, name, 'merge', patch, { fieldManager: manager });

  before(async () => {
    sim = await startSimulator({ scenario: { clusters: [PLAIN_CLUSTER] }, podReadyDelayMs: 20 });
    ops = new ClusterOps(
      loadKubeConfig({ kubeconfigPath: null, kubeconfigYaml: sim.kubeconfigFor('plain') }).kc,
    );
    for (const crd of gatewayApiCrds()) await ops.apply(crd);
    api = await FakeApi.create();
    desired = new DesiredState();
    monitor = new DriftMonitor({ ops, desired, intervalMs: () => interval });
    await executeLifecycle(
      { ...api.context(ops, 'install'), desired },
      installTask('install', releaseRef(V219)),
    );
  });
  after(async () => {
    await sim?.close();
  });

  it('a fresh install reports no drift against the objects it applied', async () => {
    const report = await monitor.current();
    assert.ok(report, 'the install recorded its desired objects');
    assert.ok(report.objectsChecked >= 10, `checked ${report.objectsChecked}`);
    assert.ok(!desired.current()!.objects.some((o) => o.kind === 'Secret'), 'no Secret is kept');
    assert.deepEqual(report.findings, []);
  });

  it('a rollout restart by Meshfleet and a caBundle re-issued by a cainjector are not drift', async () => {
    await ops.mergePatch(
      { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'linkerd', name: 'linkerd-destination' },
      {
        spec: {
          template: {
            metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': new Date().toISOString() } },
          },
        },
      },
    );
    const hook = (await ops.get({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      name: 'linkerd-proxy-injector-webhook-config',
    })) as { webhooks: Array<{ name: string; clientConfig: Record<string, unknown> }> };
    const webhooks = hook.webhooks.map((w) => ({
      ...w,
      clientConfig: { ...w.clientConfig, caBundle: Buffer.from('rotated CA').toString('base64') },
    }));
    writeAs(
      'cert-manager-cainjector',
      'admissionregistration.k8s.io',
      'mutatingwebhookconfigurations',
      'linkerd-proxy-injector-webhook-config',
      { webhooks },
    );
    const report = await monitor.current();
    assert.deepEqual(report?.findings, []);
  });

  it('kubectl edit of destination replicas and kubectl patch of a linkerd-config value are drift with field and manager', async () => {
    writeAs(
      'kubectl-edit',
      'apps',
      'deployments',
      'linkerd-destination',
      { spec: { replicas: 3 } },
      'linkerd',
    );
    const cm = (await ops.get({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: 'linkerd',
      name: 'linkerd-config',
    })) as V1ConfigMap;
    const values = parse(cm.data!['values']!) as Record<string, unknown>;
    const before = values['controllerLogLevel'];
    values['controllerLogLevel'] = 'debug';
    writeAs(
      'kubectl-patch',
      '',
      'configmaps',
      'linkerd-config',
      { data: { values: stringify(values) } },
      'linkerd',
    );

    const report = await monitor.current();
    const found = report!.findings
      .map((f) => [f.kind, f.name, f.path, f.desired, f.live, f.manager])
      .sort((x, y) => String(x[0]).localeCompare(String(y[0])));
    assert.deepEqual(found, [
      [
        'ConfigMap',
        'linkerd-config',
        'data.values:controllerLogLevel',
        String(before),
        'debug',
        'kubectl-patch',
      ],
      ['Deployment', 'linkerd-destination', 'spec.replicas', '1', '3', 'kubectl-edit'],
    ]);
    for (const f of report!.findings) assert.match(f.since ?? '', /^2\d{3}-/);
    assert.equal(report!.total, 2);
  });

  it('checks at most once per interval', async () => {
    interval = 60_000;
    const first = await monitor.current();
    writeAs(
      'kubectl-edit',
      'apps',
      'deployments',
      'linkerd-destination',
      { spec: { replicas: 4 } },
      'linkerd',
    );
    assert.equal(await monitor.current(), first, 'the cached pass is reused within the interval');
    interval = 0;
    const next = await monitor.current();
    assert.equal(next?.findings.find((f) => f.path === 'spec.replicas')?.live, '4');
  });

  it('dry-runs only objects that changed since the last pass', async () => {
    let dryRuns = 0;
    const counting = {
      get: ops.get.bind(ops),
      listIfServed: ops.listIfServed.bind(ops),
      applyDryRun: <T extends object>(o: T) => {
        dryRuns++;
        return ops.applyDryRun(o as never) as Promise<T>;
      },
    };
    const m = new DriftMonitor({ ops: counting as never, desired, intervalMs: () => 0 });
    const first = await m.current();
    assert.equal(dryRuns, first!.objectsChecked);
    dryRuns = 0;
    const second = await m.current();
    assert.equal(dryRuns, 0, 'nothing changed: no dry run');
    assert.deepEqual(second!.findings, first!.findings);
    writeAs(
      'kubectl-edit',
      'apps',
      'deployments',
      'linkerd-destination',
      { spec: { replicas: 5 } },
      'linkerd',
    );
    const third = await m.current();
    assert.equal(dryRuns, 1);
    assert.equal(third!.findings.find((f) => f.path === 'spec.replicas')?.live, '5');
  });

  it('RECONCILE_DRIFT re-applies the desired objects with the agent field manager and clears the drift', async () => {
    const events: string[] = [];
    const ctx = { ...api.context(ops, 'reconcile'), desired };
    const out = await executeLifecycle(
      { ...ctx, event: async (step, status) => void events.push(`${step}:${status}`) },
      reconcileTask('reconcile'),
    );
    assert.equal(out.controlPlaneVersion, V219);
    for (const step of ['precheck', 'reconcile', 'rollout', 'postcheck'])
      assert.ok(events.includes(`${step}:succeeded`), `${step}: ${events.join(' ')}`);
    const report = await monitor.current();
    assert.deepEqual(report?.findings, []);
    const dest = (await ops.get({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: 'linkerd',
      name: 'linkerd-destination',
    })) as V1Deployment;
    assert.equal(dest.spec?.replicas, 1);
    assert.ok(
      !dest.metadata?.managedFields?.some((e) => e.manager === 'kubectl-edit'),
      'kubectl-edit owns nothing any more',
    );
  });

  it('a restarted agent reads what it applied back from the cluster, without Secrets', async () => {
    const store = clusterDesiredStore(ops, 'linkerd');
    await new DesiredState(store).record([
      ...desired.current()!.objects,
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x', namespace: 'linkerd' } },
    ]);
    const restarted = new DesiredState(store);
    const report = await new DriftMonitor({ ops, desired: restarted, intervalMs: () => 0 }).current();
    assert.equal(restarted.current()?.digest, desired.current()!.digest);
    assert.equal(report?.desiredDigest, desired.current()!.digest);
    assert.ok(report!.objectsChecked >= 10);
    const stored = await store.load();
    assert.ok(!stored!.objects.some((o) => o.kind === 'Secret'));
  });

  it('RECONCILE_DRIFT without an applied release in the agent fails with NO_DESIRED_STATE and applies nothing', async () => {
    writeAs(
      'kubectl-edit',
      'apps',
      'deployments',
      'linkerd-destination',
      { spec: { replicas: 2 } },
      'linkerd',
    );
    await assert.rejects(
      executeLifecycle(
        { ...api.context(ops, 'reconcile-2'), desired: new DesiredState() },
        reconcileTask('r2'),
      ),
      (e: unknown) => e instanceof TaskFailure && e.code === 'NO_DESIRED_STATE',
    );
    const dest = (await ops.get({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: 'linkerd',
      name: 'linkerd-destination',
    })) as V1Deployment;
    assert.equal(dest.spec?.replicas, 2);
  });
});
