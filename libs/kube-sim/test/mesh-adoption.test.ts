// Mesh adoption against the simulator as Kubernetes + Linkerd behave: injection only on pod
// CREATE (a restart meshes, an annotation alone does not), the injector's skip reasons, events
// and admission metrics, PodDisruptionBudgets and evictions, the "not Ready when meshed"
// fault, and workload rollouts that keep their availability limits. Driven through kubectl
// (when installed) and @kubernetes/client-node as independent clients.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import {
  loadScenario,
  ScenarioError,
  startSimulator,
  type ClusterHandle,
  type KubeObject,
  type Simulator,
} from '../src';
import { call, deployment, eventually, smallCluster } from './helpers';

const hasKubectl = spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0;
if (!hasKubectl) console.log('# kubectl not found on PATH: the kubectl steps use the raw API instead');

type Pod = KubeObject & {
  spec: {
    containers: Array<{ name: string }>;
    initContainers?: Array<{ name: string }>;
    hostNetwork?: boolean;
    nodeName?: string;
  };
  status?: { phase?: string; conditions?: Array<{ type: string; status: string }> };
};

const meshed = (p: Pod): boolean =>
  [...p.spec.containers, ...(p.spec.initContainers ?? [])].some((c) => c.name === 'linkerd-proxy');
const ready = (p: Pod): boolean =>
  !!p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');

describe('mesh adoption behaviour', () => {
  let sim: Simulator;
  let c: ClusterHandle;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let kc: k8s.KubeConfig;

  const kubectl = (...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> =>
    new Promise((resolve) => {
      execFile('kubectl', args, { env, timeout: 30_000 }, (err, stdout, stderr) => {
        const code = err ? ((err as { code?: number }).code ?? 1) : 0;
        resolve({ stdout, stderr, code: typeof code === 'number' ? code : 1 });
      });
    });
  const pods = async (ns: string, selector: string): Promise<Pod[]> =>
    (await call(sim, c, 'GET', `/api/v1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent(selector)}`))
      .json<{ items: Pod[] }>()
      .items.filter((p) => !p.metadata.deletionTimestamp);
  const readyPods = (ns: string, selector: string, n: number, check: (p: Pod[]) => boolean = () => true) =>
    eventually(
      async () => {
        const list = await pods(ns, selector);
        return list.length === n && list.every(ready) && check(list) ? list : undefined;
      },
      15_000,
      `${n} ready pods for ${selector}`,
    );
  const create = async (path: string, body: unknown): Promise<void> => {
    const res = await call(sim, c, 'POST', path, body);
    assert.ok(res.status === 201 || res.status === 200, res.text);
  };
  const events = async (ns: string, reason: string) =>
    (await call(sim, c, 'GET', `/api/v1/namespaces/${ns}/events?fieldSelector=reason%3D${reason}`)).json<{
      items: Array<{
        message: string;
        involvedObject: { kind: string; name: string };
        source: { component: string };
        type: string;
      }>;
    }>().items;
  const injectorMetrics = async (): Promise<string> => {
    const injectors = await pods('linkerd', 'linkerd.io/control-plane-component=proxy-injector');
    let text = '';
    for (const p of injectors) {
      const res = await call(
        sim,
        c,
        'GET',
        `/api/v1/namespaces/linkerd/pods/${p.metadata.name}:9995/proxy/metrics`,
      );
      assert.equal(res.status, 200, res.text);
      text += res.text;
    }
    return text;
  };
  /** Sum of a counter's series whose labels include every given pair. */
  const counter = (text: string, name: string, labels: Record<string, string>): number =>
    text
      .split('\n')
      .filter((l) => l.startsWith(`${name}{`))
      .filter((l) => Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)))
      .reduce((n, l) => n + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
  const restart = async (kind: string, ns: string, name: string): Promise<void> => {
    if (hasKubectl) {
      const out = await kubectl('-n', ns, 'rollout', 'restart', `${kind}/${name}`);
      assert.equal(out.code, 0, out.stderr);
      return;
    }
    const plural = `${kind}s`;
    const res = await call(
      sim,
      c,
      'PATCH',
      `/apis/apps/v1/namespaces/${ns}/${plural}/${name}`,
      {
        spec: {
          template: {
            metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': new Date().toISOString() } },
          },
        },
      },
      { 'Content-Type': 'application/strategic-merge-patch+json' },
    );
    assert.equal(res.status, 200, res.text);
  };
  const annotateNamespace = async (ns: string, value: string | null): Promise<void> => {
    if (hasKubectl) {
      const out = await kubectl(
        'annotate',
        'namespace',
        ns,
        value === null ? 'linkerd.io/inject-' : `linkerd.io/inject=${value}`,
        '--overwrite',
      );
      assert.equal(out.code, 0, out.stderr);
      return;
    }
    const res = await call(
      sim,
      c,
      'PATCH',
      `/api/v1/namespaces/${ns}`,
      { metadata: { annotations: { 'linkerd.io/inject': value } } },
      { 'Content-Type': 'application/merge-patch+json' },
    );
    assert.equal(res.status, 200, res.text);
  };

  before(async () => {
    sim = await startSimulator({
      scenario: {
        clusters: [
          smallCluster('adopt', {
            nodes: 3,
            linkerd: { version: 'edge-26.6.3', ha: false },
            namespaces: [
              {
                name: 'legacy',
                workloads: [
                  { name: 'web', replicas: 2 },
                  { name: 'pg', port: 5432 },
                ],
              },
              { name: 'apps', workloads: [] },
              { name: 'budget', workloads: [] },
              { name: 'faulty', workloads: [{ name: 'api', replicas: 2 }] },
              {
                name: 'declared',
                workloads: [
                  { name: 'db', kind: 'StatefulSet', extraPorts: [5432], pdb: { minAvailable: 1 } },
                  { name: 'edge', hostNetwork: true, annotations: { 'linkerd.io/inject': 'enabled' } },
                  { name: 'migrate', kind: 'Job' },
                  { name: 'nightly', kind: 'CronJob' },
                ],
              },
            ],
          }),
        ],
      },
    });
    c = sim.cluster('adopt');
    dir = mkdtempSync(join(tmpdir(), 'kube-sim-adoption-'));
    const [kubeconfig] = await sim.writeKubeconfigs(dir);
    env = { ...process.env, KUBECONFIG: kubeconfig, KUBECACHEDIR: join(dir, 'cache'), HOME: dir };
    kc = new k8s.KubeConfig();
    kc.loadFromString(c.kubeconfig());
    await eventually(() => c.linkerd.injectionConfig(), 10_000, 'injector available');
  });
  after(async () => {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('injects only on pod create: annotating the namespace leaves running pods, a restart meshes new ones', async () => {
    const before = await readyPods('legacy', 'app=web', 2);
    assert.ok(
      before.every((p) => !meshed(p)),
      'workloads started before the mesh are unmeshed',
    );
    const oldRs = before[0]!.metadata.ownerReferences?.[0]?.name;
    await annotateNamespace('legacy', 'enabled');
    // Even touching the pods and the Deployment's metadata injects nothing.
    const touched = await call(
      sim,
      c,
      'PATCH',
      `/api/v1/namespaces/legacy/pods/${before[0]!.metadata.name}`,
      { metadata: { labels: { touched: 'yes' } } },
      { 'Content-Type': 'application/merge-patch+json' },
    );
    assert.equal(touched.status, 200, touched.text);
    assert.ok(!meshed(touched.json<Pod>()), 'a pod update never injects');
    await new Promise((r) => setTimeout(r, 200));
    const still = await pods('legacy', 'app=web');
    assert.deepEqual(
      still.map((p) => p.metadata.uid).sort(),
      before.map((p) => p.metadata.uid).sort(),
      'the same pods keep running',
    );
    assert.ok(still.every((p) => !meshed(p)));

    await restart('deployment', 'legacy', 'web');
    const after = await readyPods('legacy', 'app=web', 2, (list) => list.every(meshed));
    const names = new Set(before.map((p) => p.metadata.name));
    assert.ok(
      after.every((p) => !names.has(p.metadata.name)),
      'new pods, new names',
    );
    const newRs = after[0]!.metadata.ownerReferences?.[0]?.name;
    assert.notEqual(newRs, oldRs, 'a new ReplicaSet');
    assert.equal(
      after[0]!.metadata.annotations?.['linkerd.io/inject'],
      'enabled',
      'inherited from the namespace',
    );
    if (hasKubectl) {
      const status = await kubectl('-n', 'legacy', 'rollout', 'status', 'deployment/web', '--timeout=30s');
      assert.equal(status.code, 0, status.stderr);
    }
    const injected = (await events('legacy', 'Injected')).filter((e) => e.involvedObject.name === 'web');
    assert.ok(injected.length >= 1, 'Injected recorded on the Deployment');
    assert.equal(injected[0]!.involvedObject.kind, 'Deployment');
    assert.equal(injected[0]!.message, 'Linkerd sidecar proxy injected');
    assert.equal(injected[0]!.source.component, 'linkerd-proxy-injector');
  });

  it('adds the default opaque ports a pod exposes (PostgreSQL 5432) when it meshes it', async () => {
    await restart('deployment', 'legacy', 'pg');
    const [pg] = await readyPods('legacy', 'app=pg', 1, (list) => list.every(meshed));
    assert.equal(pg!.metadata.annotations?.['config.linkerd.io/opaque-ports'], '5432');
    const [web] = await pods('legacy', 'app=web');
    assert.equal(
      web!.metadata.annotations?.['config.linkerd.io/opaque-ports'],
      undefined,
      '8080 is not opaque',
    );
  });

  it('skips pods for the reasons the real injector gives, and says so in events and metrics', async () => {
    const before = await injectorMetrics();
    const podTemplate = (name: string, extra: Record<string, unknown> = {}, annotations = {}) => ({
      ...deployment(name, 'apps', 1),
      spec: {
        ...deployment(name, 'apps', 1).spec,
        template: {
          metadata: { labels: { app: name }, annotations },
          spec: { containers: [{ name, image: 'nginx:1.27' }], ...extra },
        },
      },
    });
    // 'apps' has no inject annotation: a workload opts in itself, or is skipped.
    await create('/apis/apps/v1/namespaces/apps/deployments', podTemplate('plain'));
    await create(
      '/apis/apps/v1/namespaces/apps/deployments',
      podTemplate('hostnet', { hostNetwork: true }, { 'linkerd.io/inject': 'enabled' }),
    );
    await create(
      '/apis/apps/v1/namespaces/apps/deployments',
      podTemplate('typo', {}, { 'linkerd.io/inject': 'yes' }),
    );
    await create(
      '/apis/apps/v1/namespaces/apps/deployments',
      podTemplate('istio', {}, { 'linkerd.io/inject': 'enabled' }),
    );
    await readyPods('apps', 'app=plain', 1);
    const [hostnet] = await readyPods('apps', 'app=hostnet', 1);
    assert.ok(!meshed(hostnet!), 'hostNetwork pods stay unmeshed');
    const [typo] = await readyPods('apps', 'app=typo', 1);
    assert.ok(!meshed(typo!));
    const [istio] = await readyPods('apps', 'app=istio', 1);
    assert.ok(meshed(istio!), 'an enabled workload without obstacles is injected');

    const skipped = await events('apps', 'InjectionSkipped');
    const messageFor = (name: string) => skipped.find((e) => e.involvedObject.name === name)?.message;
    assert.equal(
      messageFor('plain'),
      'Linkerd sidecar proxy injection skipped: neither the namespace nor the pod have the annotation "linkerd.io/inject:enabled"',
    );
    assert.equal(messageFor('hostnet'), 'Linkerd sidecar proxy injection skipped: hostNetwork is enabled');
    assert.equal(
      messageFor('typo'),
      'Linkerd sidecar proxy injection skipped: invalid value for annotation "linkerd.io/inject" at workload',
    );
    assert.equal(skipped.find((e) => e.involvedObject.name === 'plain')?.involvedObject.kind, 'Deployment');

    const after = await injectorMetrics();
    const delta = (labels: Record<string, string>) =>
      counter(after, 'proxy_inject_admission_responses_total', labels) -
      counter(before, 'proxy_inject_admission_responses_total', labels);
    assert.equal(
      delta({
        namespace: 'apps',
        owner_kind: 'deployment',
        skip: 'true',
        skip_reason: 'host_network_enabled',
      }),
      1,
    );
    assert.equal(
      delta({ namespace: 'apps', skip: 'true', skip_reason: 'injection_enable_annotation_absent' }),
      1,
    );
    assert.equal(
      delta({ namespace: 'apps', skip: 'true', skip_reason: 'invalid_inject_annotation_at_workload' }),
      1,
    );
    assert.equal(delta({ namespace: 'apps', skip: 'false', annotation_at: 'workload' }), 1);
    assert.equal(
      counter(after, 'proxy_inject_admission_requests_total', {
        namespace: 'apps',
        owner_kind: 'deployment',
      }) -
        counter(before, 'proxy_inject_admission_requests_total', {
          namespace: 'apps',
          owner_kind: 'deployment',
        }),
      4,
    );
    assert.match(after, /# TYPE proxy_inject_admission_responses_total counter/);
    assert.match(after, /opaque_ports=""/, 'the proxy config annotations are labels too');
  });

  it('skips a pod that already has a sidecar, and one opted out inside an enabled namespace', async () => {
    await annotateNamespace('apps', 'enabled');
    await create('/api/v1/namespaces/apps/pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'has-istio', labels: { app: 'has-istio' } },
      spec: {
        containers: [
          { name: 'app', image: 'nginx' },
          { name: 'istio-proxy', image: 'istio/proxyv2:1.24' },
        ],
      },
    });
    const optout = deployment('optout', 'apps', 1);
    await create('/apis/apps/v1/namespaces/apps/deployments', {
      ...optout,
      spec: {
        ...optout.spec,
        template: {
          metadata: { labels: { app: 'optout' }, annotations: { 'linkerd.io/inject': 'disabled' } },
          spec: { containers: [{ name: 'optout', image: 'nginx' }] },
        },
      },
    });
    const [pod] = await readyPods('apps', 'app=has-istio', 1);
    assert.ok(!pod!.spec.containers.some((x) => x.name === 'linkerd-proxy'));
    const [out] = await readyPods('apps', 'app=optout', 1);
    assert.ok(!meshed(out!));
    const skipped = await events('apps', 'InjectionSkipped');
    assert.equal(
      skipped.find((e) => e.involvedObject.name === 'optout')?.message,
      'Linkerd sidecar proxy injection skipped: pod has the annotation "linkerd.io/inject:disabled"',
    );
    // A bare pod has no owner to record on; the metric still says why (owner_kind "pod").
    assert.ok(!skipped.some((e) => e.involvedObject.name === 'has-istio'));
    const metrics = await injectorMetrics();
    assert.equal(
      counter(metrics, 'proxy_inject_admission_responses_total', {
        owner_kind: 'pod',
        namespace: 'apps',
        skip_reason: 'sidecar_already_exists',
      }),
      1,
    );
  });

  it('skips automountServiceAccountToken: false only without token projection', async () => {
    const cm = (await call(sim, c, 'GET', '/api/v1/namespaces/linkerd/configmaps/linkerd-config')).json<{
      data: { values: string };
    }>();
    const noToken = (name: string) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, labels: { app: name } },
      spec: { automountServiceAccountToken: false, containers: [{ name: 'app', image: 'nginx' }] },
    });
    await create('/api/v1/namespaces/apps/pods', noToken('token-projected'));
    const [projected] = await readyPods('apps', 'app=token-projected', 1);
    assert.ok(meshed(projected!), 'with projection (the default) the proxy brings its own token');
    const values = cm.data.values.includes('serviceAccountTokenProjection')
      ? cm.data.values.replace(/serviceAccountTokenProjection: true/, 'serviceAccountTokenProjection: false')
      : cm.data.values.replace(/^identity:\n/m, 'identity:\n  serviceAccountTokenProjection: false\n');
    assert.match(values, /serviceAccountTokenProjection: false/);
    const patched = await call(
      sim,
      c,
      'PATCH',
      '/api/v1/namespaces/linkerd/configmaps/linkerd-config',
      { data: { values } },
      { 'Content-Type': 'application/merge-patch+json' },
    );
    assert.equal(patched.status, 200, patched.text);
    await create('/api/v1/namespaces/apps/pods', noToken('token-off'));
    const [off] = await readyPods('apps', 'app=token-off', 1);
    assert.ok(!meshed(off!));
    const metrics = await injectorMetrics();
    assert.equal(
      counter(metrics, 'proxy_inject_admission_responses_total', {
        skip_reason: 'disabled_automount_service_account_token_account',
      }),
      1,
    );
    const restore = await call(
      sim,
      c,
      'PATCH',
      '/api/v1/namespaces/linkerd/configmaps/linkerd-config',
      { data: { values: cm.data.values } },
      { 'Content-Type': 'application/merge-patch+json' },
    );
    assert.equal(restore.status, 200);
  });

  it('keeps PodDisruptionBudget status and lets evictions spend it (client-node), refusing with 429', async () => {
    await create('/apis/apps/v1/namespaces/budget/deployments', deployment('svc', 'budget', 3));
    await create('/apis/policy/v1/namespaces/budget/poddisruptionbudgets', {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'svc' },
      spec: { maxUnavailable: 1, selector: { matchLabels: { app: 'svc' } } },
    });
    await create('/apis/policy/v1/namespaces/budget/poddisruptionbudgets', {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'pct' },
      spec: { minAvailable: '50%', selector: { matchLabels: { app: 'other' } } },
    });
    const list = await readyPods('budget', 'app=svc', 3);
    const policy = kc.makeApiClient(k8s.PolicyV1Api);
    const status = await eventually(async () => {
      const pdb = await policy.readNamespacedPodDisruptionBudget({ namespace: 'budget', name: 'svc' });
      return pdb.status?.currentHealthy === 3 ? pdb.status : undefined;
    });
    assert.equal(status.desiredHealthy, 2);
    assert.equal(status.expectedPods, 3);
    assert.equal(status.disruptionsAllowed, 1);
    assert.equal(status.observedGeneration, 1);
    const cond = status.conditions?.find((x) => x.type === 'DisruptionAllowed');
    assert.equal(cond?.status, 'True');
    assert.equal(cond?.reason, 'SufficientPods');
    const empty = await policy.readNamespacedPodDisruptionBudget({ namespace: 'budget', name: 'pct' });
    assert.equal(empty.status?.expectedPods, 0);
    assert.equal(empty.status?.disruptionsAllowed, 0);
    assert.equal(empty.status?.conditions?.[0]?.reason, 'InsufficientPods');

    const core = kc.makeApiClient(k8s.CoreV1Api);
    const evict = (name: string) =>
      core.createNamespacedPodEviction({
        namespace: 'budget',
        name,
        body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: 'budget' } },
      });
    // Hold the replacement back so the spent budget is observable (pods turn Ready in ~30 ms).
    const stall = c.faults.stallPods('budget', { app: 'svc' });
    await evict(list[0]!.metadata.name!);
    const gone = await call(sim, c, 'GET', `/api/v1/namespaces/budget/pods/${list[0]!.metadata.name}`);
    assert.equal(gone.status, 404, 'an allowed eviction deletes the pod');
    // The budget is spent until the replacement is Ready.
    await assert.rejects(evict(list[1]!.metadata.name!), (e: unknown) => {
      const err = e as { code?: number; body?: string };
      assert.equal(err.code, 429);
      const body = JSON.parse(err.body ?? '{}') as {
        reason: string;
        message: string;
        details: { causes: Array<{ reason: string; message: string }> };
      };
      assert.equal(body.reason, 'TooManyRequests');
      assert.equal(body.message, "Cannot evict pod as it would violate the pod's disruption budget.");
      assert.equal(body.details.causes[0]!.reason, 'DisruptionBudget');
      assert.match(
        body.details.causes[0]!.message,
        /^The disruption budget svc needs 2 healthy pods and has \d currently$/,
      );
      return true;
    });
    assert.equal(
      (await call(sim, c, 'GET', `/api/v1/namespaces/budget/pods/${list[1]!.metadata.name}`)).status,
      200,
    );
    c.faults.removeRule(stall);
    // Once the Deployment's replacement is Ready the budget allows one more.
    await readyPods('budget', 'app=svc', 3);
    await eventually(async () => {
      const pdb = await policy.readNamespacedPodDisruptionBudget({ namespace: 'budget', name: 'svc' });
      return pdb.status?.disruptionsAllowed === 1;
    });
    await evict(list[1]!.metadata.name!);
    // Mismatched names are a bad request, unknown pods are 404.
    const bad = await call(
      sim,
      c,
      'POST',
      `/api/v1/namespaces/budget/pods/${list[2]!.metadata.name}/eviction`,
      {
        apiVersion: 'policy/v1',
        kind: 'Eviction',
        metadata: { name: 'other' },
      },
    );
    assert.equal(bad.status, 400);
    assert.match(bad.text, /name in URL does not match name in Eviction object/);
    const missing = await call(sim, c, 'POST', '/api/v1/namespaces/budget/pods/nope/eviction', {
      apiVersion: 'policy/v1',
      kind: 'Eviction',
      metadata: { name: 'nope' },
    });
    assert.equal(missing.status, 404);
    // Discovery lists the subresource, so kubectl drain uses it.
    const v1 = (await call(sim, c, 'GET', '/api/v1')).json<{
      resources: Array<{ name: string; group?: string; kind: string }>;
    }>();
    const entry = v1.resources.find((r) => r.name === 'pods/eviction');
    assert.equal(entry?.kind, 'Eviction');
    assert.equal(entry?.group, 'policy');
  });

  it('keeps a single-replica workload with minAvailable: 1 from being evicted at all', async () => {
    await create('/apis/apps/v1/namespaces/budget/deployments', deployment('solo', 'budget', 1));
    await create('/apis/policy/v1/namespaces/budget/poddisruptionbudgets', {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'solo' },
      spec: { minAvailable: 1, selector: { matchLabels: { app: 'solo' } } },
    });
    const [solo] = await readyPods('budget', 'app=solo', 1);
    await eventually(async () => {
      const pdb = (
        await call(sim, c, 'GET', '/apis/policy/v1/namespaces/budget/poddisruptionbudgets/solo')
      ).json<{
        status?: { currentHealthy?: number };
      }>();
      return pdb.status?.currentHealthy === 1;
    });
    const res = await call(sim, c, 'POST', `/api/v1/namespaces/budget/pods/${solo!.metadata.name}/eviction`, {
      apiVersion: 'policy/v1',
      kind: 'Eviction',
      metadata: { name: solo!.metadata.name },
    });
    assert.equal(res.status, 429);
    assert.match(res.text, /The disruption budget solo needs 1 healthy pods and has 1 currently/);
    if (hasKubectl) {
      const node = solo!.spec.nodeName ?? '';
      const drain = await kubectl(
        'drain',
        node,
        '--ignore-daemonsets',
        '--pod-selector=app=solo',
        '--timeout=3s',
      );
      assert.notEqual(drain.code, 0, 'kubectl drain cannot evict past the budget');
      assert.match(drain.stderr + drain.stdout, /disruption budget/);
      const uncordon = await kubectl('uncordon', node);
      assert.equal(uncordon.code, 0, uncordon.stderr);
    }
    assert.equal(
      (await call(sim, c, 'GET', `/api/v1/namespaces/budget/pods/${solo!.metadata.name}`)).status,
      200,
    );
  });

  it('fault notReadyWhenMeshed: meshed pods never turn Ready, un-meshing and restarting heals', async () => {
    const [first] = await readyPods('faulty', 'app=api', 2);
    assert.ok(!meshed(first!));
    const applied = await call(sim, undefined, 'POST', '/_sim/clusters/adopt/faults', {
      kind: 'notReadyWhenMeshed',
      namespace: 'faulty',
      name: 'api',
    });
    assert.equal(applied.status, 200, applied.text);
    const id = applied.json<{ result: { id: number } }>().result.id;
    await new Promise((r) => setTimeout(r, 150));
    assert.ok((await pods('faulty', 'app=api')).every(ready), 'unmeshed pods are unaffected');

    await annotateNamespace('faulty', 'enabled');
    await restart('deployment', 'faulty', 'api');
    const stuck = await eventually(
      async () => {
        const list = (await pods('faulty', 'app=api')).filter(meshed);
        return list.length >= 1 && list.every((p) => p.status?.phase === 'Running') ? list : undefined;
      },
      10_000,
      'meshed pods running',
    );
    await new Promise((r) => setTimeout(r, 300));
    const again = await pods('faulty', 'app=api');
    assert.ok(
      again.filter(meshed).every((p) => !ready(p)),
      'meshed pods stay unready',
    );
    assert.equal(again.filter((p) => !meshed(p) && ready(p)).length >= 1, true, 'the rollout keeps old pods');
    const unhealthy = (await events('faulty', 'Unhealthy')).find(
      (e) => e.involvedObject.name === stuck[0]!.metadata.name,
    );
    assert.equal(unhealthy?.message, 'Readiness probe failed: HTTP probe failed with statuscode: 503');
    const d = (await call(sim, c, 'GET', '/apis/apps/v1/namespaces/faulty/deployments/api')).json<{
      status: { updatedReplicas?: number; availableReplicas?: number };
    }>();
    assert.ok((d.status.availableReplicas ?? 0) >= 1);

    // The rollback: drop the annotation, restart; unmeshed pods are Ready again.
    await annotateNamespace('faulty', null);
    // kubectl refuses a second restart within the same second (restartedAt has second precision).
    await new Promise((r) => setTimeout(r, 1100));
    await restart('deployment', 'faulty', 'api');
    const healed = await readyPods('faulty', 'app=api', 2, (list) => list.every((p) => !meshed(p)));
    assert.equal(healed.length, 2);
    const snapshot = (await call(sim, undefined, 'GET', '/_sim/clusters/adopt/faults')).json<{
      workloads: Array<{ id: number; kind: string }>;
    }>();
    assert.ok(snapshot.workloads.some((r) => r.id === id && r.kind === 'notReadyMeshed'));
    const rejected = await call(sim, undefined, 'POST', '/_sim/clusters/adopt/faults', {
      kind: 'notReadyWhenMeshed',
      namespace: 'faulty',
    });
    assert.equal(rejected.status, 400, 'a fault without its workload is refused');
  });

  /** Watches the store while `act` runs: the worst moment of a rollout for pods matching `app`. */
  const observe = async (ns: string, app: string, act: () => Promise<void>, done: () => Promise<boolean>) => {
    const seen = { minReady: Infinity, maxPods: 0, maxUnready: 0, deleted: [] as string[] };
    const sample = (): void => {
      const list = c.model.store
        .list('/pods', ns)
        .filter((p) => p.metadata.labels?.['app'] === app && !p.metadata.deletionTimestamp) as Pod[];
      const readyCount = list.filter(ready).length;
      seen.minReady = Math.min(seen.minReady, readyCount);
      seen.maxPods = Math.max(seen.maxPods, list.length);
      seen.maxUnready = Math.max(seen.maxUnready, list.length - readyCount);
    };
    const stop = c.model.store.subscribe((e) => {
      if (e.object.kind !== 'Pod' || e.object.metadata.namespace !== ns) return;
      if (e.object.metadata.labels?.['app'] !== app) return;
      if (e.type === 'DELETED') seen.deleted.push(e.object.metadata.name ?? '');
      sample();
    });
    try {
      await act();
      await eventually(done, 20_000, `${app} rolled out`);
    } finally {
      stop();
    }
    return seen;
  };

  it('rolls a Deployment restart within maxSurge and maxUnavailable', async () => {
    const d = deployment('roll', 'budget', 4, {
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
    });
    await create('/apis/apps/v1/namespaces/budget/deployments', d);
    const before = await readyPods('budget', 'app=roll', 4);
    const old = new Set(before.map((p) => p.metadata.name));
    const seen = await observe(
      'budget',
      'roll',
      () => restart('deployment', 'budget', 'roll'),
      async () => {
        const list = await pods('budget', 'app=roll');
        return list.length === 4 && list.every(ready) && list.every((p) => !old.has(p.metadata.name));
      },
    );
    assert.equal(seen.minReady, 4, 'maxUnavailable 0: never fewer than 4 Ready');
    assert.equal(seen.maxPods, 5, 'maxSurge 1: never more than 5 pods');
    assert.equal(seen.deleted.filter((n) => old.has(n)).length, 4);
  });

  it('restarts a StatefulSet one pod at a time from the highest ordinal', async () => {
    const sts = { ...deployment('ledger', 'budget', 3), kind: 'StatefulSet' };
    await create('/apis/apps/v1/namespaces/budget/statefulsets', sts);
    const before = await readyPods('budget', 'app=ledger', 3);
    const uids = new Set(before.map((p) => p.metadata.uid));
    const seen = await observe(
      'budget',
      'ledger',
      () => restart('statefulset', 'budget', 'ledger'),
      async () => {
        const list = await pods('budget', 'app=ledger');
        return list.length === 3 && list.every(ready) && list.every((p) => !uids.has(p.metadata.uid));
      },
    );
    assert.deepEqual(seen.deleted, ['ledger-2', 'ledger-1', 'ledger-0']);
    assert.ok(seen.minReady >= 2, 'one pod down at a time');
    const status = (await call(sim, c, 'GET', '/apis/apps/v1/namespaces/budget/statefulsets/ledger')).json<{
      status: { currentRevision: string; updateRevision: string; updatedReplicas: number };
    }>().status;
    assert.equal(status.currentRevision, status.updateRevision);
    assert.equal(status.updatedReplicas, 3);
  });

  it('rolls a DaemonSet restart one node at a time (maxUnavailable 1)', async () => {
    const ds = { ...deployment('node-agent', 'budget', 1), kind: 'DaemonSet' };
    delete (ds.spec as Record<string, unknown>)['replicas'];
    await create('/apis/apps/v1/namespaces/budget/daemonsets', ds);
    const before = await readyPods('budget', 'app=node-agent', 3);
    const old = new Set(before.map((p) => p.metadata.name));
    const seen = await observe(
      'budget',
      'node-agent',
      () => restart('daemonset', 'budget', 'node-agent'),
      async () => {
        const list = await pods('budget', 'app=node-agent');
        return list.length === 3 && list.every(ready) && list.every((p) => !old.has(p.metadata.name));
      },
    );
    assert.equal(seen.minReady, 2, 'exactly one node without a Ready pod at a time');
    assert.equal(seen.deleted.filter((n) => old.has(n)).length, 3);
    // A DaemonSet has no scale: a maxUnavailable budget over its pods cannot be computed.
    await create('/apis/policy/v1/namespaces/budget/poddisruptionbudgets', {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'node-agent' },
      spec: { maxUnavailable: 1, selector: { matchLabels: { app: 'node-agent' } } },
    });
    const cond = await eventually(async () => {
      const pdb = (
        await call(sim, c, 'GET', '/apis/policy/v1/namespaces/budget/poddisruptionbudgets/node-agent')
      ).json<{ status?: { disruptionsAllowed?: number; conditions?: Array<Record<string, string>> } }>();
      return pdb.status?.conditions?.find((x) => x['type'] === 'DisruptionAllowed');
    });
    assert.equal(cond['status'], 'False');
    assert.equal(cond['reason'], 'SyncFailed');
    assert.match(cond['message'] ?? '', /^found no controllers for pod "node-agent-/);
    const warned = await events('budget', 'CalculateExpectedPodCountFailed');
    assert.ok(warned.some((e) => e.involvedObject.name === 'node-agent'));
  });

  it('leaves a meshed Job running forever without native sidecars, completes it with them', async () => {
    const job = (name: string) => ({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name },
      spec: {
        template: {
          metadata: { annotations: { 'linkerd.io/inject': 'enabled' } },
          spec: { restartPolicy: 'Never', containers: [{ name: 'migrate', image: 'busybox' }] },
        },
      },
    });
    // edge-26.6.3 injects native sidecars: the Job completes.
    await create('/apis/batch/v1/namespaces/apps/jobs', job('native'));
    await eventually(
      async () =>
        (await call(sim, c, 'GET', '/apis/batch/v1/namespaces/apps/jobs/native')).json<{
          status?: { succeeded?: number };
        }>().status?.succeeded === 1,
      10_000,
      'native-sidecar Job complete',
    );
    // Opting the workload out of native sidecars puts the proxy among the containers.
    const legacy = job('legacy');
    (legacy.spec.template.metadata.annotations as Record<string, string>)[
      'config.alpha.linkerd.io/proxy-enable-native-sidecar'
    ] = 'false';
    await create('/apis/batch/v1/namespaces/apps/jobs', legacy);
    const [pod] = await eventually(
      async () => {
        const list = (await pods('apps', 'job-name=legacy')).filter((p) => p.status?.phase === 'Running');
        return list.length ? list : undefined;
      },
      10_000,
      'legacy Job pod running',
    );
    assert.equal(pod!.spec.containers[0]!.name, 'linkerd-proxy');
    await new Promise((r) => setTimeout(r, 200));
    const status = (await call(sim, c, 'GET', '/apis/batch/v1/namespaces/apps/jobs/legacy')).json<{
      status?: { succeeded?: number; active?: number };
    }>().status;
    assert.equal(status?.succeeded ?? 0, 0, 'the proxy keeps the Job from completing');
    assert.equal(status?.active, 1);
  });

  it('declares PDBs, extra ports, hostNetwork, Jobs and CronJobs in scenarios', async () => {
    const pdb = await eventually(async () => {
      const res = await call(sim, c, 'GET', '/apis/policy/v1/namespaces/declared/poddisruptionbudgets/db');
      const body = res.json<{ status?: { currentHealthy?: number; disruptionsAllowed?: number } }>();
      return body.status?.currentHealthy === 1 ? body.status : undefined;
    });
    assert.equal(pdb.disruptionsAllowed, 0, 'one replica with minAvailable 1: no voluntary disruption');
    const svc = (await call(sim, c, 'GET', '/api/v1/namespaces/declared/services/db')).json<KubeObject>();
    assert.equal(
      svc.metadata.annotations?.['config.linkerd.io/opaque-ports'],
      '5432',
      'the injector marks a Service exposing 5432 opaque',
    );
    const [edge] = await readyPods('declared', 'app=edge', 1);
    assert.equal(edge!.spec.hostNetwork, true);
    assert.ok(!meshed(edge!));
    await eventually(
      async () =>
        (await call(sim, c, 'GET', '/apis/batch/v1/namespaces/declared/jobs/migrate')).json<{
          status?: { succeeded?: number };
        }>().status?.succeeded === 1,
      10_000,
      'Job complete',
    );
    assert.equal(
      (await call(sim, c, 'GET', '/apis/batch/v1/namespaces/declared/cronjobs/nightly')).status,
      200,
    );
    assert.equal((await call(sim, c, 'GET', '/api/v1/namespaces/declared/services/migrate')).status, 404);
    assert.throws(
      () =>
        loadScenario({
          clusters: [
            {
              name: 'x',
              provider: 'eks',
              namespaces: [
                { name: 'y', workloads: [{ name: 'z', pdb: { minAvailable: 1, maxUnavailable: 1 } }] },
              ],
            },
          ],
        }),
      (e: unknown) =>
        e instanceof ScenarioError && e.issues.some((i) => /exactly one of minAvailable/.test(i)),
    );
  });

  // Last: it takes the injector down.
  it('with the injector down, failurePolicy Ignore admits pods unmeshed and Fail refuses them', async () => {
    const scale = async (replicas: number): Promise<void> => {
      const res = await call(
        sim,
        c,
        'PATCH',
        '/apis/apps/v1/namespaces/linkerd/deployments/linkerd-proxy-injector',
        { spec: { replicas } },
        { 'Content-Type': 'application/merge-patch+json' },
      );
      assert.equal(res.status, 200, res.text);
    };
    await scale(0);
    await eventually(() => !c.linkerd.injectionConfig(), 10_000, 'injector unavailable');
    // 'legacy' is annotated (first test): with Ignore the pod starts silently without a proxy.
    await create('/apis/apps/v1/namespaces/legacy/deployments', deployment('silent', 'legacy', 1));
    const [silent] = await readyPods('legacy', 'app=silent', 1);
    assert.ok(!meshed(silent!), 'failurePolicy Ignore: admitted without a proxy');

    const mwc =
      '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/linkerd-proxy-injector-webhook-config';
    const hooks = (await call(sim, c, 'GET', mwc)).json<{ webhooks: Array<Record<string, unknown>> }>()
      .webhooks;
    const patched = await call(
      sim,
      c,
      'PATCH',
      mwc,
      { webhooks: hooks.map((h) => ({ ...h, failurePolicy: 'Fail' })) },
      { 'Content-Type': 'application/merge-patch+json' },
    );
    assert.equal(patched.status, 200, patched.text);
    const refused = await call(sim, c, 'POST', '/api/v1/namespaces/legacy/pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'refused' },
      spec: { containers: [{ name: 'app', image: 'nginx' }] },
    });
    assert.equal(refused.status, 500);
    const status = refused.json<{ reason: string; message: string }>();
    assert.equal(status.reason, 'InternalError');
    assert.equal(
      status.message,
      'Internal error occurred: failed calling webhook "linkerd-proxy-injector.linkerd.io": failed to call webhook: Post "https://linkerd-proxy-injector.linkerd.svc:443/?timeout=10s": no endpoints available for service "linkerd-proxy-injector"',
    );
    // Namespaces the webhook does not select are unaffected.
    const elsewhere = await call(sim, c, 'POST', '/api/v1/namespaces/kube-system/pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'unaffected' },
      spec: { containers: [{ name: 'app', image: 'nginx' }] },
    });
    assert.equal(elsewhere.status, 201, elsewhere.text);
    const created = await call(sim, c, 'POST', '/api/v1/namespaces', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'cert-manager' },
    });
    assert.equal(created.status, 201, created.text);
    assert.equal(
      created.json<KubeObject>().metadata.labels?.['kubernetes.io/metadata.name'],
      'cert-manager',
      'the API server labels namespaces with their name',
    );
    const excluded = await call(sim, c, 'POST', '/api/v1/namespaces/cert-manager/pods', {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'unaffected' },
      spec: { containers: [{ name: 'app', image: 'nginx' }] },
    });
    assert.equal(excluded.status, 201, 'the webhook namespaceSelector excludes cert-manager');

    await create('/apis/apps/v1/namespaces/legacy/deployments', deployment('blocked', 'legacy', 1));
    const failed = await eventually(
      async () =>
        (await events('legacy', 'FailedCreate')).find((e) => e.involvedObject.kind === 'ReplicaSet'),
      10_000,
      'FailedCreate on the ReplicaSet',
    );
    assert.equal(failed.type, 'Warning');
    assert.match(failed.message, /^Error creating: Internal error occurred: failed calling webhook/);
    assert.equal((await pods('legacy', 'app=blocked')).length, 0);
    // The ReplicaSet controller retries: once the injector is back the pod is created, meshed.
    await scale(1);
    const [blocked] = await readyPods('legacy', 'app=blocked', 1);
    assert.ok(meshed(blocked!));
  });
});
