// Mesh adoption end to end against kube-sim: MESH_NAMESPACES brings a namespace from 0 % to 100 %
// in batches, meshes listed workloads with opaque ports, stops at a workload that never turns
// Ready and rolls its batch back, and UNMESH_NAMESPACES undoes it all. The adoption tasks run with
// the agent's MANAGED ClusterRole from the chart (the simulator enforces RBAC for that token).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  AppsV1Api,
  CoreV1Api,
  PolicyV1Api,
  type V1Deployment,
  type V1Namespace,
  type V1Pod,
} from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import type { TaskEnvelope } from '@meshfleet/agent-protocol';
import { startSimulator, type PolicyRule, type Simulator } from '@meshfleet/kube-sim';
import { isMeshed, proxyStatus } from '@meshfleet/linkerd';
import { ClusterOps } from '../src/kube/cluster-ops';
import { loadKubeConfig } from '../src/kube/kube-config';
import { executeLifecycle, type LifecycleTask } from '../src/tasks/lifecycle/lifecycle-executor';
import { INJECT_BEFORE } from '../src/tasks/lifecycle/mesh-annotations';
import { TaskFailure } from '../src/tasks/task-failure';
import { eventually } from './sim-fixture';
import { FakeApi, gatewayApiCrds, installTask, releaseRef } from './lifecycle-fixture';

const CLUSTER = {
  name: 'adopt',
  provider: 'eks' as const,
  region: 'eu-west-1',
  kubernetesVersion: '1.33.2',
  nodes: 2,
  namespaces: [
    {
      name: 'legacy',
      workloads: [
        { name: 'billing', replicas: 1, port: 80 },
        { name: 'ledger', replicas: 2, port: 80 },
        { name: 'db', kind: 'StatefulSet' as const, replicas: 1, port: 5432 },
      ],
    },
    {
      name: 'shop',
      workloads: [
        { name: 'cart', replicas: 1, port: 6379 },
        { name: 'web', replicas: 1, port: 8080 },
        { name: 'pay', replicas: 1, port: 8080 },
      ],
    },
    {
      name: 'ops',
      workloads: [
        { name: 'alpha', replicas: 1, port: 8080 },
        { name: 'beta', replicas: 1, port: 8080 },
        { name: 'node-agent', kind: 'DaemonSet' as const, port: 9100 },
      ],
    },
    {
      name: 'pair',
      workloads: [
        { name: 'one', replicas: 1, port: 8080 },
        { name: 'two', replicas: 1, port: 8080 },
      ],
    },
    {
      // The injector skips hostNetwork pods (and says so): they start without a proxy.
      name: 'edge',
      workloads: [{ name: 'gw', replicas: 1, port: 8080, hostNetwork: true }],
    },
  ],
};

type MeshTask = Extract<TaskEnvelope, { kind: 'MESH_NAMESPACES' | 'UNMESH_NAMESPACES' }>;

function meshTask(
  id: string,
  kind: MeshTask['kind'],
  params: Partial<MeshTask['params']> & { namespaces: string[] },
): MeshTask {
  return {
    id,
    issuedAt: new Date().toISOString(),
    attempt: 1,
    kind,
    params: {
      operationId: `op-${id}`,
      controlPlaneNamespace: 'linkerd',
      workloads: [],
      batchSize: 1,
      rollbackOnFailure: true,
      batchTimeoutSeconds: 60,
      ...params,
    },
  } as MeshTask;
}

/** The MANAGED ClusterRole of the agent's chart (generated from the per-mode rules). */
function managedRules(): PolicyRule[] {
  let dir = __dirname;
  while (!existsSync(join(dir, 'charts/meshfleet-agent/templates/rbac.yaml'))) dir = dirname(dir);
  const text = readFileSync(join(dir, 'charts/meshfleet-agent/templates/rbac.yaml'), 'utf8');
  // Template expressions (the Role's namespace) are not YAML: blank them, the ClusterRole has none.
  const managed = text
    .split('{{- else }}')[1]!
    .split('{{- end }}')[0]!
    .replace(/\{\{[^}]*\}\}/g, 'x');
  const docs = parseAllDocuments(managed).map((d) => d.toJS() as { kind: string; rules?: PolicyRule[] });
  return docs.find((d) => d.kind === 'ClusterRole')!.rules!;
}

describe('mesh adoption on a simulated cluster', () => {
  let sim: Simulator;
  let admin: ClusterOps;
  let agent: ClusterOps;
  let api: FakeApi;
  let n = 0;

  const run = (task: LifecycleTask, deadlineMs = 120_000) =>
    executeLifecycle(api.context(agent, task.id, { deadlineMs }), task);
  const failure = async (task: LifecycleTask): Promise<TaskFailure> => {
    try {
      await run(task);
    } catch (e) {
      if (e instanceof TaskFailure) return e;
      throw e;
    }
    assert.fail(`${task.kind} was expected to fail`);
  };
  const pods = async (ns: string, app?: string) =>
    (await admin.list<V1Pod>('v1', 'Pod', ns)).filter(
      (p) =>
        !p.metadata?.deletionTimestamp &&
        p.status?.phase === 'Running' &&
        (!app || p.metadata?.name?.startsWith(`${app}-`)),
    );
  const ready = (p: V1Pod) =>
    (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
  const coverage = async (ns: string) => {
    const ps = await pods(ns);
    return ps.filter(isMeshed).length / ps.length;
  };
  const namespace = async (name: string) =>
    (await admin.get<V1Namespace>({ apiVersion: 'v1', kind: 'Namespace', name }))!;
  const deployment = async (namespace: string, name: string) =>
    (await admin.get<V1Deployment>({ apiVersion: 'apps/v1', kind: 'Deployment', namespace, name }))!;

  before(async () => {
    sim = await startSimulator({ scenario: { clusters: [CLUSTER] }, podReadyDelayMs: 20 });
    admin = new ClusterOps(
      loadKubeConfig({ kubeconfigPath: null, kubeconfigYaml: sim.kubeconfigFor('adopt') }).kc,
    );
    for (const crd of gatewayApiCrds()) await admin.apply(crd);
    api = await FakeApi.create();
    const out = await executeLifecycle(
      api.context(admin, 'install', { deadlineMs: 60_000 }),
      installTask('install', releaseRef('enterprise-2.19.1')),
    );
    assert.equal(out.postcheck.errors, 0, out.postcheck.summary);
    const token = sim.restrictedToken('adopt', {
      user: 'system:serviceaccount:meshfleet-system:meshfleet-agent',
      clusterRules: managedRules(),
      namespaceRules: {},
    });
    agent = new ClusterOps(
      loadKubeConfig({ kubeconfigPath: null, kubeconfigYaml: sim.kubeconfigFor('adopt', token) }).kc,
    );
  });
  after(async () => {
    await sim?.close();
  });

  it('refuses the control plane, kube-system and unknown namespaces and changes nothing', async () => {
    for (const [namespaces, pattern] of [
      [['linkerd'], /namespace linkerd is refused: it is Linkerd's control-plane namespace/],
      [['kube-system'], /namespace kube-system is refused/],
      [['legacy', 'nope'], /namespace nope does not exist/],
    ] as const) {
      const from = api.events.length;
      const f = await failure(meshTask(`t${++n}`, 'MESH_NAMESPACES', { namespaces: [...namespaces] }));
      assert.equal(f.code, 'PRECHECK_FAILED');
      assert.match(f.message, pattern);
      assert.equal(api.outcomes(from)['precheck'], 'failed');
      assert.equal(api.outcomes(from)['annotate'], undefined, 'nothing after the precheck');
    }
    const wf = await failure(
      meshTask(`t${++n}`, 'MESH_NAMESPACES', {
        namespaces: ['shop'],
        workloads: [{ namespace: 'shop', kind: 'Deployment', name: 'ghost', opaquePorts: [] }],
      }),
    );
    assert.match(wf.message, /Deployment\/shop\/ghost does not exist/);
    assert.equal((await namespace('legacy')).metadata?.annotations?.['linkerd.io/inject'], undefined);
    assert.equal(await coverage('legacy'), 0);
  });

  it('meshes a namespace of 3 workloads (2 Deployments, a StatefulSet) from 0 % to 100 % in batches of 2', async () => {
    const oldPods = new Set((await pods('legacy')).map((p) => p.metadata!.uid));
    assert.equal(oldPods.size, 4);
    const from = api.events.length;
    const out = await run(meshTask(`t${++n}`, 'MESH_NAMESPACES', { namespaces: ['legacy'], batchSize: 2 }));
    assert.equal(out.postcheck.errors, 0, out.postcheck.summary);
    const events = api.events.slice(from);
    const batches = events.filter((e) => e.step === 'batch' && e.status === 'started').map((e) => e.message);
    assert.deepEqual(batches, [
      'batch 1/2: Deployment/billing, Deployment/ledger',
      'batch 2/2: StatefulSet/db',
    ]);
    assert.equal(events.filter((e) => e.step === 'batch' && e.status === 'succeeded').length, 2);
    assert.equal(api.outcomes(from)['postcheck'], 'succeeded');
    assert.equal((await namespace('legacy')).metadata?.annotations?.['linkerd.io/inject'], 'enabled');
    const now = await eventually(
      () => pods('legacy'),
      (ps) => ps.length === 4,
      10_000,
      'four pods',
    );
    assert.ok(now.every((p) => isMeshed(p) && ready(p) && proxyStatus(p)?.ready));
    assert.ok(
      now.every((p) => !oldPods.has(p.metadata!.uid!)),
      'every old pod was replaced',
    );
    assert.equal(await coverage('legacy'), 1);

    // Nothing left to do: a second run restarts nothing.
    const again = api.events.length;
    await run(meshTask(`t${++n}`, 'MESH_NAMESPACES', { namespaces: ['legacy'], batchSize: 2 }));
    assert.equal(api.outcomes(again)['batch'], 'skipped');
  });

  it('meshes listed workloads only, with their opaque ports', async () => {
    const out = await run(
      meshTask(`t${++n}`, 'MESH_NAMESPACES', {
        namespaces: ['shop'],
        workloads: [
          { namespace: 'shop', kind: 'Deployment', name: 'cart', opaquePorts: [6379] },
          { namespace: 'shop', kind: 'Deployment', name: 'web', opaquePorts: [] },
        ],
      }),
    );
    assert.equal(out.postcheck.errors, 0, out.postcheck.summary);
    const cart = await deployment('shop', 'cart');
    assert.equal(cart.spec?.template.metadata?.annotations?.['linkerd.io/inject'], 'enabled');
    assert.equal(cart.spec?.template.metadata?.annotations?.['config.linkerd.io/opaque-ports'], '6379');
    assert.deepEqual(JSON.parse(cart.metadata!.annotations![INJECT_BEFORE]!), {
      inject: null,
      opaquePorts: null,
    });
    assert.ok((await pods('shop', 'cart')).every(isMeshed));
    assert.ok((await pods('shop', 'web')).every(isMeshed));
    assert.ok(
      (await pods('shop', 'pay')).every((p) => !isMeshed(p)),
      'unlisted workloads are left alone',
    );
    assert.equal((await namespace('shop')).metadata?.annotations?.['linkerd.io/inject'], undefined);
  });

  it('stops at a workload that never turns Ready, names it and rolls its batch back', async () => {
    const rule = sim.cluster('adopt').faults.deploymentNeverReady('ops', 'beta');
    const from = api.events.length;
    const f = await failure(
      meshTask(`t${++n}`, 'MESH_NAMESPACES', { namespaces: ['ops'], batchTimeoutSeconds: 10 }),
    );
    assert.equal(f.code, 'MESH_BATCH_FAILED');
    assert.match(f.message, /Deployment\/ops\/beta: .*not Ready/);
    assert.doesNotMatch(f.message, /ops\/alpha:/);
    assert.match(f.message, /1 earlier batches stay meshed/);
    const events = api.events.slice(from);
    const batch = events.filter((e) => e.step === 'batch' && e.status !== 'progress');
    assert.deepEqual(
      batch.map((e) => e.status),
      ['started', 'succeeded', 'started', 'failed'],
    );
    assert.deepEqual(
      batch.filter((e) => e.status === 'started').map((e) => e.message),
      ['batch 1/3: Deployment/alpha', 'batch 2/3: Deployment/beta'],
    );
    assert.match(batch[3]!.message, /Deployment\/ops\/beta/);
    assert.equal(
      events.find((e) => e.step === 'rollback' && e.status === 'started')?.message,
      'rolling back Deployment/ops/beta',
    );
    // The fault holds every new pod of beta unready, meshed or not: the rollback restarts it
    // unmeshed but cannot make it Ready, and says so.
    assert.match(f.message, /Rolled back the annotations of Deployment\/ops\/beta and restarted them, but/);
    const beta = await deployment('ops', 'beta');
    assert.equal(beta.spec?.template.metadata?.annotations?.['linkerd.io/inject'], 'disabled');
    assert.ok(
      (await pods('ops', 'alpha')).every((p) => isMeshed(p) && ready(p)),
      'alpha stays meshed',
    );
    const daemonsBefore = await pods('ops', 'node-agent');
    assert.ok(
      daemonsBefore.length === 2 && daemonsBefore.every((p) => !isMeshed(p)),
      'the batch after the failed one never ran',
    );

    sim.cluster('adopt').faults.removeRule(rule);
    const healed = await eventually(
      () => pods('ops', 'beta'),
      (ps) => ps.length === 1 && ps.every(ready),
      15_000,
      'beta Ready',
    );
    assert.ok(
      healed.every((p) => !isMeshed(p)),
      'the rolled-back batch runs without proxies',
    );

    // Meshing again lifts the opt-out Meshfleet set and completes the namespace.
    await run(meshTask(`t${++n}`, 'MESH_NAMESPACES', { namespaces: ['ops'] }));
    assert.equal(
      (await deployment('ops', 'beta')).spec?.template.metadata?.annotations?.['linkerd.io/inject'],
      undefined,
    );
    assert.equal(await coverage('ops'), 1);
    const daemons = await pods('ops', 'node-agent');
    assert.equal(daemons.length, 2, 'one DaemonSet pod per node');
    assert.ok(daemons.every((p) => isMeshed(p) && ready(p)));
  });

  it('rolls back the whole failed batch in namespace mode, also a workload of it that became Ready and meshed', async () => {
    // two fails only once meshed; one, in the same batch, gets there and is undone with it.
    const rule = sim.cluster('adopt').faults.notReadyWhenMeshed('pair', 'two');
    try {
      const f = await failure(
        meshTask(`t${++n}`, 'MESH_NAMESPACES', {
          namespaces: ['pair'],
          batchSize: 2,
          batchTimeoutSeconds: 10,
        }),
      );
      assert.equal(f.code, 'MESH_BATCH_FAILED');
      assert.match(f.message, /Deployment\/pair\/two: .*not Ready/);
      assert.doesNotMatch(f.message, /Deployment\/pair\/one: /, 'one is not a reason: it got there');
      assert.match(
        f.message,
        /Rolled back Deployment\/pair\/one, Deployment\/pair\/two: annotations restored, restarted and Ready \(the whole batch: Deployment\/pair\/one was Ready and meshed but rolled back with it\)/,
      );
      for (const name of ['one', 'two']) {
        const d = await deployment('pair', name);
        assert.equal(d.spec?.template.metadata?.annotations?.['linkerd.io/inject'], 'disabled', name);
        const ps = await pods('pair', name);
        assert.ok(ps.length === 1 && ps.every((p) => ready(p) && !isMeshed(p)), `${name} unmeshed, Ready`);
      }
      assert.equal(await coverage('pair'), 0);
      assert.equal((await namespace('pair')).metadata?.annotations?.['linkerd.io/inject'], 'enabled');
    } finally {
      sim.cluster('adopt').faults.removeRule(rule);
    }
  });

  it('unmeshes: namespaces back to 0 %, listed workloads back to their own annotations', async () => {
    const from = api.events.length;
    await run(meshTask(`t${++n}`, 'UNMESH_NAMESPACES', { namespaces: ['legacy'], batchSize: 3 }));
    assert.equal(
      api.events.slice(from).find((e) => e.step === 'batch' && e.status === 'started')?.message,
      'batch 1/1: Deployment/billing, Deployment/ledger, StatefulSet/db',
    );
    assert.equal(await coverage('legacy'), 0);
    const legacy = (await namespace('legacy')).metadata?.annotations ?? {};
    assert.equal(legacy['linkerd.io/inject'], undefined);
    assert.equal(legacy[INJECT_BEFORE], undefined);

    await run(
      meshTask(`t${++n}`, 'UNMESH_NAMESPACES', {
        namespaces: ['shop'],
        workloads: [
          { namespace: 'shop', kind: 'Deployment', name: 'cart', opaquePorts: [] },
          { namespace: 'shop', kind: 'Deployment', name: 'web', opaquePorts: [] },
        ],
      }),
    );
    const cart = await deployment('shop', 'cart');
    assert.equal(cart.spec?.template.metadata?.annotations?.['linkerd.io/inject'], undefined);
    assert.equal(cart.spec?.template.metadata?.annotations?.['config.linkerd.io/opaque-ports'], undefined);
    assert.equal(cart.metadata?.annotations?.[INJECT_BEFORE], undefined);
    assert.equal(await coverage('shop'), 0);
  });

  it("names the injector's skip reasons for the restarted pods only, and rolls the workload back", async () => {
    // Linkerd's injector records InjectionSkipped on the pod's top owner, the Deployment
    // (controller/proxy-injector/webhook.go), also for pods created before the namespace asked for
    // injection. Such an event from before the restart speaks of the old pods: not the batch's reason.
    const core = loadKubeConfig({
      kubeconfigPath: null,
      kubeconfigYaml: sim.kubeconfigFor('adopt'),
    }).kc.makeApiClient(CoreV1Api);
    const earlier = new Date(Date.now() - 120_000);
    await core.createNamespacedEvent({
      namespace: 'edge',
      body: {
        metadata: { name: 'gw.before-restart', namespace: 'edge' },
        involvedObject: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'gw', namespace: 'edge' },
        reason: 'InjectionSkipped',
        type: 'Normal',
        message:
          'Linkerd sidecar proxy injection skipped: neither the namespace nor the pod have the annotation "linkerd.io/inject:enabled"',
        source: { component: 'linkerd-proxy-injector' },
        firstTimestamp: earlier,
        lastTimestamp: earlier,
      },
    });
    const from = api.events.length;
    const f = await failure(
      meshTask(`t${++n}`, 'MESH_NAMESPACES', {
        namespaces: ['edge'],
        workloads: [{ namespace: 'edge', kind: 'Deployment', name: 'gw', opaquePorts: [5432] }],
        batchTimeoutSeconds: 10,
      }),
    );
    assert.equal(f.code, 'MESH_BATCH_FAILED');
    assert.match(
      f.message,
      /Deployment\/edge\/gw: 1\/1 pods started without a linkerd-proxy \(injection skipped: hostNetwork is enabled\)/,
    );
    assert.doesNotMatch(
      f.message,
      /neither the namespace/,
      'the event from before the restart is not a reason',
    );
    // The injector's own counter (proxy_inject_admission_responses_total{skip="true"} on its admin
    // port), read before the restart and after the failure: the batch's one skipped admission.
    assert.match(
      f.message,
      /the injector skipped admissions since the restart: edge \(deployment\): host_network_enabled ×1/,
    );
    // The reason named is the one the simulator's injector recorded for the restarted pod.
    const skips = (await core.listNamespacedEvent({ namespace: 'edge' })).items.filter(
      (e) => e.reason === 'InjectionSkipped' && /hostNetwork/.test(e.message ?? ''),
    );
    assert.ok(skips.length > 0);
    assert.deepEqual(
      [...new Set(skips.map((e) => `${e.involvedObject.kind}/${e.involvedObject.name}`))],
      ['Deployment/gw'],
    );
    assert.match(f.message, /Rolled back Deployment\/edge\/gw: annotations restored, restarted and Ready/);
    assert.equal(api.outcomes(from)['rollback'], 'succeeded');
    assert.equal(api.outcomes(from)['postcheck'], undefined, 'the task stopped at the batch');
    const gw = await deployment('edge', 'gw');
    assert.equal(gw.spec?.template.metadata?.annotations?.['linkerd.io/inject'], undefined);
    assert.equal(gw.spec?.template.metadata?.annotations?.['config.linkerd.io/opaque-ports'], undefined);
    assert.equal(gw.metadata?.annotations?.[INJECT_BEFORE], undefined);
    const ps = await pods('edge', 'gw');
    assert.ok(ps.length === 1 && ps.every((p) => ready(p) && !isMeshed(p)));
  });

  it('waits for disruption headroom before restarting a workload its PDB holds', async () => {
    const policy = loadKubeConfig({
      kubeconfigPath: null,
      kubeconfigYaml: sim.kubeconfigFor('adopt'),
    }).kc.makeApiClient(PolicyV1Api);
    await policy.createNamespacedPodDisruptionBudget({
      namespace: 'shop',
      body: {
        metadata: { name: 'pay' },
        spec: { minAvailable: 1, selector: { matchLabels: { app: 'pay' } } },
      },
    });
    // The simulator's disruption controller: one healthy pod and minAvailable 1 leave no disruption.
    const allowed = async () =>
      (await policy.readNamespacedPodDisruptionBudget({ namespace: 'shop', name: 'pay' })).status
        ?.disruptionsAllowed;
    await eventually(allowed, (a) => a === 0, 10_000, 'the budget computed with no headroom');
    // No headroom within the batch timeout: stopped, the workload named, nothing restarted.
    const stuck = await failure(
      meshTask(`t${++n}`, 'MESH_NAMESPACES', {
        namespaces: ['shop'],
        workloads: [{ namespace: 'shop', kind: 'Deployment', name: 'pay', opaquePorts: [] }],
        batchTimeoutSeconds: 10,
      }),
    );
    assert.equal(stuck.code, 'MESH_BATCH_FAILED');
    assert.match(
      stuck.message,
      /Deployment\/shop\/pay: PodDisruptionBudget pay allowed no disruption within 10s, so it was not restarted/,
    );
    assert.match(stuck.message, /Nothing to roll back/);
    const untouched = await deployment('shop', 'pay');
    assert.equal(untouched.spec?.template.metadata?.annotations?.['linkerd.io/inject'], undefined);
    assert.equal(untouched.metadata?.annotations?.[INJECT_BEFORE], undefined);

    const from = api.events.length;
    const task = run(
      meshTask(`t${++n}`, 'MESH_NAMESPACES', {
        namespaces: ['shop'],
        workloads: [{ namespace: 'shop', kind: 'Deployment', name: 'pay', opaquePorts: [] }],
      }),
    );
    await eventually(
      async () => api.events.slice(from),
      (es) => es.some((e) => /PodDisruptionBudget pay allows no disruption now; waiting/.test(e.message)),
      10_000,
      'the wait for headroom',
    );
    assert.ok(
      (await pods('shop', 'pay')).every((p) => !isMeshed(p)),
      'not restarted while the budget is spent',
    );
    // Headroom appears the way it does in a cluster: a second replica becomes healthy.
    const apps = loadKubeConfig({
      kubeconfigPath: null,
      kubeconfigYaml: sim.kubeconfigFor('adopt'),
    }).kc.makeApiClient(AppsV1Api);
    const pay = await apps.readNamespacedDeployment({ namespace: 'shop', name: 'pay' });
    pay.spec!.replicas = 2;
    await apps.replaceNamespacedDeployment({ namespace: 'shop', name: 'pay', body: pay });
    const out = await task;
    assert.equal(out.postcheck.errors, 0, out.postcheck.summary);
    assert.ok((await pods('shop', 'pay')).every(isMeshed));
  });

  it('refuses to mesh while the proxy injector is down (pods would start unmeshed)', async () => {
    const injector = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: 'linkerd',
      name: 'linkerd-proxy-injector',
    };
    const available = async () =>
      ((await admin.get<V1Deployment>(injector))!.status?.availableReplicas ?? 0) as number;
    await admin.mergePatch(injector, { spec: { replicas: 0 } });
    await eventually(available, (a) => a === 0, 10_000, 'injector scaled down');
    const f = await failure(meshTask(`t${++n}`, 'MESH_NAMESPACES', { namespaces: ['legacy'] }));
    assert.equal(f.code, 'PRECHECK_FAILED');
    assert.match(f.message, /the proxy injector \(linkerd\/linkerd-proxy-injector\) is not available/);
    assert.equal((await namespace('legacy')).metadata?.annotations?.['linkerd.io/inject'], undefined);
    await admin.mergePatch(injector, { spec: { replicas: 1 } });
    await eventually(available, (a) => a === 1, 10_000, 'injector back');
  });

  it('the MONITOR token may not annotate namespaces', async () => {
    const monitorRules = managedRules().filter((r) =>
      r.verbs.every((v) => ['get', 'list', 'watch'].includes(v)),
    );
    const ro = new ClusterOps(
      loadKubeConfig({
        kubeconfigPath: null,
        kubeconfigYaml: sim.kubeconfigFor(
          'adopt',
          sim.restrictedToken('adopt', { user: 'monitor', clusterRules: monitorRules, namespaceRules: {} }),
        ),
      }).kc,
    );
    await assert.rejects(
      ro.mergePatch(
        { apiVersion: 'v1', kind: 'Namespace', name: 'legacy' },
        { metadata: { name: 'legacy', annotations: { 'linkerd.io/inject': 'enabled' } } },
      ),
      (e: { code?: number }) => e.code === 403,
    );
  });
});
