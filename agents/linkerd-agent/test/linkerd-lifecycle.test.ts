// Lifecycle operations end to end against kube-sim: a cluster without Linkerd gets 2.19, is
// restarted into the mesh, upgraded to 2.20 with a data-plane restart, has its issuer rotated and
// is uninstalled. The API's half (bundles, CSR signing) runs in-process with the real libraries.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Pod } from '@kubernetes/client-node';
import { startSimulator, type Simulator } from '@meshfleet/kube-sim';
import {
  chainsToAny,
  isMeshed,
  isRunning,
  parseCertificateBundle,
  parseCertificatePem,
  proxyVersion,
} from '@meshfleet/linkerd';
import { ClusterOps } from '../src/kube/cluster-ops';
import { loadKubeConfig } from '../src/kube/kube-config';
import { executeLifecycle, type LifecycleTask } from '../src/tasks/lifecycle/lifecycle-executor';
import { TaskFailure } from '../src/tasks/task-failure';
import { eventually } from './sim-fixture';
import {
  FakeApi,
  gatewayApiCrds,
  installTask,
  PLAIN_CLUSTER,
  releaseRef,
  restartTask,
  rotateTask,
  uninstallTask,
  upgradeTask,
} from './lifecycle-fixture';

const V219 = 'enterprise-2.19.1';
const V220 = 'enterprise-2.20.0';

describe('Linkerd lifecycle on a simulated cluster', () => {
  let sim: Simulator;
  let ops: ClusterOps;
  let api: FakeApi;
  let n = 0;

  const run = (task: LifecycleTask) => executeLifecycle(api.context(ops, task.id), task);
  const failure = async (task: LifecycleTask): Promise<TaskFailure> => {
    try {
      await run(task);
    } catch (e) {
      if (e instanceof TaskFailure) return e;
      throw e;
    }
    assert.fail(`${task.kind} was expected to fail`);
  };
  const appPods = async () =>
    (await ops.list<V1Pod>('v1', 'Pod', 'emojivoto')).filter(
      (p) => isRunning(p) && !p.metadata?.deletionTimestamp,
    );
  const issuerPem = async () => (await ops.secretText('linkerd', 'linkerd-identity-issuer'))?.['crt.pem'];

  before(async () => {
    sim = await startSimulator({ scenario: { clusters: [PLAIN_CLUSTER] }, podReadyDelayMs: 20 });
    ops = new ClusterOps(
      loadKubeConfig({ kubeconfigPath: null, kubeconfigYaml: sim.kubeconfigFor('plain') }).kc,
    );
    for (const crd of gatewayApiCrds()) await ops.apply(crd);
    api = await FakeApi.create();
  });
  after(async () => {
    await sim?.close();
  });

  it('refuses a bundle whose digest differs from the task and applies nothing', async () => {
    const ref = { ...releaseRef(V219), controlPlaneDigest: releaseRef(V220).controlPlaneDigest };
    const f = await failure(installTask(`t${++n}`, ref));
    assert.equal(f.code, 'DIGEST_MISMATCH');
    assert.equal(await ops.get({ apiVersion: 'v1', kind: 'Namespace', name: 'linkerd' }), null);
    assert.equal(api.outcomes()['precheck'], 'failed');
  });

  it('installs 2.19: control plane available, issuer chained to the anchor, injector live', async () => {
    const from = api.events.length;
    const out = await run(installTask(`t${++n}`, releaseRef(V219)));
    assert.equal(out.controlPlaneVersion, V219);
    assert.equal(out.postcheck.errors, 0, out.postcheck.summary);
    assert.match(out.postcheck.summary, /^[1-9]\d* checks: 0 errors/);
    const steps = api.outcomes(from);
    for (const s of [
      'precheck',
      'crds',
      'crds-established',
      'issuer',
      'identity',
      'control-plane',
      'rollout',
      'postcheck',
    ])
      assert.equal(steps[s], 'succeeded', `step ${s}: ${JSON.stringify(steps)}`);
    assert.equal(api.csrCount, 1);

    const issuer = parseCertificatePem((await issuerPem())!);
    assert.equal(issuer.subject, 'CN=identity.linkerd.cluster.local');
    assert.equal(issuer.isCA, true);
    assert.ok(await chainsToAny(issuer, parseCertificateBundle(api.anchor.certPem).certificates));
    assert.equal(sim.cluster('plain').linkerd.identityProblem('linkerd'), undefined);
    assert.ok(sim.cluster('plain').linkerd.injectionConfig(), 'the simulated injector is active');
    // Pods that ran before the install stay unmeshed until restarted.
    assert.ok((await appPods()).every((p) => !isMeshed(p)));
  });

  it('re-running the same install converges without a new issuer', async () => {
    const before = await issuerPem();
    const from = api.events.length;
    const out = await run(installTask(`t${++n}`, releaseRef(V219)));
    assert.equal(out.postcheck.errors, 0);
    assert.equal(api.csrCount, 1, 'no second CSR');
    assert.equal(await issuerPem(), before);
    assert.equal(api.outcomes(from)['issuer'], 'skipped');
  });

  it('restarts the data plane namespace by namespace so pods join the mesh', async () => {
    const out = await run(restartTask(`t${++n}`));
    assert.equal(out.postcheck.errors, 0, out.postcheck.summary);
    const pods = await eventually(
      appPods,
      (ps) => ps.length === 3 && ps.every(isMeshed),
      10_000,
      'meshed pods',
    );
    assert.ok(
      pods.every((p) => proxyVersion(p) === V219),
      pods.map(proxyVersion).join(','),
    );
    const legacy = await ops.list<V1Pod>('v1', 'Pod', 'legacy');
    assert.ok(
      legacy.every((p) => !isMeshed(p)),
      'namespaces without injection are left alone',
    );
  });

  it('refuses to uninstall while workloads are meshed', async () => {
    const f = await failure(uninstallTask(`t${++n}`, false));
    assert.equal(f.code, 'MESHED_WORKLOADS');
    assert.match(f.message, /emojivoto/);
    assert.ok(await ops.get({ apiVersion: 'v1', kind: 'Namespace', name: 'linkerd' }));
  });

  it('upgrades to 2.20 keeping the issuer, and restarted pods run the new proxy', async () => {
    const issuerBefore = await issuerPem();
    const from = api.events.length;
    const out = await run(upgradeTask(`t${++n}`, releaseRef(V220)));
    assert.equal(out.controlPlaneVersion, V220);
    assert.equal(out.postcheck.errors, 0, out.postcheck.summary);
    assert.equal(api.outcomes(from)['data-plane-restart'], 'succeeded');
    assert.equal(api.outcomes(from)['issuer'], 'skipped');
    assert.equal(await issuerPem(), issuerBefore, 'upgrades never replace the issuer');
    assert.equal(api.csrCount, 1);
    const pods = await appPods();
    assert.equal(pods.length, 3);
    assert.ok(
      pods.every((p) => isMeshed(p) && proxyVersion(p) === V220),
      pods.map(proxyVersion).join(','),
    );
  });

  it('refuses an upgrade that skips a major version', async () => {
    const f = await failure(upgradeTask(`t${++n}`, releaseRef('enterprise-2.18.0')));
    assert.equal(f.code, 'UPGRADE_PATH_REFUSED');
  });

  it('rotates the issuer with a new in-cluster key; identity stays healthy', async () => {
    const before = await issuerPem();
    const out = await run(rotateTask(`t${++n}`));
    assert.equal(out.postcheck.errors, 0, out.postcheck.summary);
    assert.match(out.postcheck.summary, /^[1-9]\d* checks: 0 errors/);
    const after = await issuerPem();
    assert.notEqual(after, before);
    assert.equal(api.csrCount, 2);
    assert.ok(
      await chainsToAny(parseCertificatePem(after!), parseCertificateBundle(api.anchor.certPem).certificates),
    );
    await eventually(
      () => sim.cluster('plain').linkerd.identityProblem('linkerd'),
      (p) => p === undefined,
      5_000,
      'identity healthy',
    );
  });

  it('uninstalls when forced, removes every Linkerd object, and a re-run has nothing to do', async () => {
    const out = await run(uninstallTask(`t${++n}`, true));
    assert.equal(out.controlPlaneVersion, null);
    assert.equal(await ops.get({ apiVersion: 'v1', kind: 'Namespace', name: 'linkerd' }), null);
    const crds = await ops.list('apiextensions.k8s.io/v1', 'CustomResourceDefinition');
    const names = crds.map((c) => c.metadata?.name ?? '');
    assert.deepEqual(
      names.filter((c) => c.endsWith('linkerd.io')),
      [],
    );
    assert.ok(
      names.includes('httproutes.gateway.networking.k8s.io'),
      'Gateway API CRDs of the platform stay',
    );
    const from = api.events.length;
    await run(uninstallTask(`t${++n}`, false));
    assert.equal(api.outcomes(from)['uninstall'], 'skipped');
  });
});
