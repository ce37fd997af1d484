// The real kubectl against the simulator. Skips (with a message) when kubectl is not installed;
// CI installs it. kubectl runs as a child process, so calls are async: the simulator shares
// this process's event loop.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { argocdCrds, fluxCrds, startSimulator, type Simulator } from '../src';
import { eventually, smallCluster } from './helpers';

const hasKubectl = spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0;
if (!hasKubectl)
  console.log('# kubectl not found on PATH: skipping kubectl tests (CI installs it via .ci/run)');

const MANIFEST = `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop
  namespace: default
spec:
  replicas: 3
  selector:
    matchLabels: {app: shop}
  template:
    metadata:
      labels: {app: shop}
    spec:
      containers:
        - name: shop
          image: nginx:1.27
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
`;

describe('kubectl against the simulator', { skip: !hasKubectl && 'kubectl is not installed' }, () => {
  let sim: Simulator;
  let dir: string;
  let env: NodeJS.ProcessEnv;

  const kubectl = (...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> =>
    new Promise((resolve) => {
      execFile('kubectl', args, { env, timeout: 30_000 }, (err, stdout, stderr) => {
        const code = err ? ((err as { code?: number }).code ?? 1) : 0;
        resolve({ stdout, stderr, code: typeof code === 'number' ? code : 1 });
      });
    });

  before(async () => {
    sim = await startSimulator({
      scenario: { clusters: [smallCluster('kubectl', { provider: 'gke', kubernetesVersion: '1.31.5' })] },
    });
    dir = mkdtempSync(join(tmpdir(), 'kube-sim-kubectl-'));
    const [kubeconfig] = await sim.writeKubeconfigs(dir);
    writeFileSync(join(dir, 'app.yaml'), MANIFEST);
    env = { ...process.env, KUBECONFIG: kubeconfig, KUBECACHEDIR: join(dir, 'cache'), HOME: dir };
  });
  after(async () => {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies server-side and waits for the CRD to be Established', async () => {
    const apply = await kubectl('apply', '--server-side', '-f', join(dir, 'app.yaml'));
    assert.equal(apply.code, 0, apply.stderr);
    assert.match(apply.stdout, /deployment.apps\/shop serverside-applied/);
    const wait = await kubectl(
      'wait',
      '--for=condition=Established',
      'crd/widgets.example.com',
      '--timeout=20s',
    );
    assert.equal(wait.code, 0, wait.stderr);
    assert.match(wait.stdout, /condition met/);
  });

  it('follows a rollout to completion and reads objects as JSON', async () => {
    const status = await kubectl('rollout', 'status', 'deployment/shop', '--timeout=30s');
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /successfully rolled out/);
    // kubectl before 1.21 has no --show-managed-fields (and always shows them).
    let got = await kubectl('get', 'deployment', 'shop', '-o', 'json', '--show-managed-fields');
    if (got.code !== 0) got = await kubectl('get', 'deployment', 'shop', '-o', 'json');
    const d = JSON.parse(got.stdout) as {
      status: { availableReplicas: number };
      metadata: { managedFields: Array<{ manager: string }> };
    };
    assert.equal(d.status.availableReplicas, 3);
    assert.ok(d.metadata.managedFields.some((m) => m.manager === 'kubectl'));
  });

  it('restarts a rollout onto a new ReplicaSet', async () => {
    const restart = await kubectl('rollout', 'restart', 'deployment/shop');
    assert.equal(restart.code, 0, restart.stderr);
    const status = await kubectl('rollout', 'status', 'deployment/shop', '--timeout=30s');
    assert.equal(status.code, 0, status.stderr);
    const rs = JSON.parse((await kubectl('get', 'rs', '-l', 'app=shop', '-o', 'json')).stdout) as {
      items: Array<{ spec: { replicas: number } }>;
    };
    assert.equal(rs.items.length, 2);
    assert.deepEqual(rs.items.map((r) => r.spec.replicas).sort(), [0, 3]);
    const d = JSON.parse((await kubectl('get', 'deployment', 'shop', '-o', 'json')).stdout) as {
      spec: { template: { metadata: { annotations: Record<string, string> } } };
    };
    assert.ok(d.spec.template.metadata.annotations['kubectl.kubernetes.io/restartedAt']);
  });

  it('rolls back onto the previous ReplicaSet and scales through the scale subresource', async () => {
    const undo = await kubectl('rollout', 'undo', 'deployment/shop');
    assert.equal(undo.code, 0, undo.stderr);
    assert.equal((await kubectl('rollout', 'status', 'deployment/shop', '--timeout=30s')).code, 0);
    const scale = await kubectl('scale', 'deployment/shop', '--replicas=1');
    assert.equal(scale.code, 0, scale.stderr);
    assert.equal((await kubectl('rollout', 'status', 'deployment/shop', '--timeout=30s')).code, 0);
    const rs = JSON.parse((await kubectl('get', 'rs', '-l', 'app=shop', '-o', 'json')).stdout) as {
      items: Array<{ spec: { replicas: number }; metadata: { annotations: Record<string, string> } }>;
    };
    assert.equal(rs.items.length, 2, 'undo reuses the old ReplicaSet');
    const active = rs.items.find((r) => r.spec.replicas === 1);
    assert.equal(active?.metadata.annotations['deployment.kubernetes.io/revision'], '3');
  });

  it('watches with get -w and deletes', async () => {
    assert.equal((await kubectl('create', 'configmap', 'before-watch')).code, 0);
    const child = spawn('kubectl', ['get', 'configmaps', '-w', '-o', 'name'], { env });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      await eventually(() => out.includes('configmap/before-watch'), 10_000, 'initial list');
      assert.equal((await kubectl('create', 'configmap', 'live-one')).code, 0);
      await eventually(() => out.includes('configmap/live-one'), 10_000, 'watch to show the new configmap');
    } finally {
      child.kill('SIGTERM');
    }
    const del = await kubectl('delete', 'deployment', 'shop');
    assert.equal(del.code, 0, del.stderr);
    await eventually(
      async () => (await kubectl('get', 'pods', '-l', 'app=shop', '-o', 'name')).stdout.trim() === '',
      10_000,
      'pods garbage-collected',
    );
  });
  it("serves Argo CD's Application and Flux's HelmRelease as CRDs: status with the object, or only through /status", async () => {
    const docs = [...argocdCrds(), ...fluxCrds()].map((c) => stringify(c)).join('---\n');
    writeFileSync(join(dir, 'gitops-crds.yaml'), docs);
    assert.equal((await kubectl('apply', '-f', join(dir, 'gitops-crds.yaml'))).code, 0);
    for (const crd of ['applications.argoproj.io', 'helmreleases.helm.toolkit.fluxcd.io'])
      assert.equal(
        (await kubectl('wait', '--for=condition=Established', `crd/${crd}`, '--timeout=20s')).code,
        0,
      );
    const status = {
      sync: { status: 'OutOfSync', revision: '4f2a9c1' },
      health: { status: 'Healthy' },
    };
    writeFileSync(
      join(dir, 'gitops.yaml'),
      [
        {
          apiVersion: 'argoproj.io/v1alpha1',
          kind: 'Application',
          metadata: { name: 'lcp', namespace: 'default' },
          spec: { project: 'default' },
          status,
        },
        {
          apiVersion: 'helm.toolkit.fluxcd.io/v2',
          kind: 'HelmRelease',
          metadata: { name: 'lcp', namespace: 'default' },
          spec: { interval: '10m' },
          status: { observedGeneration: 1 },
        },
      ]
        .map((o) => stringify(o))
        .join('---\n'),
    );
    const create = await kubectl('create', '-f', join(dir, 'gitops.yaml'));
    assert.equal(create.code, 0, create.stderr);
    // Application has no status subresource (as in Argo CD): the status came with the object.
    const app = await kubectl(
      'get',
      'applications.argoproj.io',
      'lcp',
      '-o',
      'jsonpath={.status.sync.status}',
    );
    assert.equal(app.stdout, 'OutOfSync');
    const cols = await kubectl('get', 'app', 'lcp');
    assert.equal(cols.code, 0, cols.stderr);
    // HelmRelease has one: a create drops status, a patch of the object leaves it, /status writes it.
    const hr = () => kubectl('get', 'hr', 'lcp', '-o', 'json').then((r) => JSON.parse(r.stdout));
    assert.equal((await hr()).status, undefined);
    const ready = {
      conditions: [
        {
          type: 'Ready',
          status: 'False',
          reason: 'UpgradeFailed',
          message: 'boom',
          lastTransitionTime: '2026-12-03T08:00:00Z',
        },
      ],
    };
    const main = await kubectl('patch', 'hr', 'lcp', '--type=merge', '-p', JSON.stringify({ status: ready }));
    assert.equal(main.code, 0, main.stderr);
    assert.equal((await hr()).status, undefined);
    const sub = await kubectl(
      'patch',
      'hr',
      'lcp',
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify({ status: ready }),
    );
    assert.equal(sub.code, 0, sub.stderr);
    const got = await hr();
    assert.equal(got.status.conditions[0].reason, 'UpgradeFailed');
    assert.equal(got.metadata.generation, 1, 'a status write is no new generation');
  });
});
