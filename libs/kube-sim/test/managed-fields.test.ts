// managedFields as the real API server writes them, for every writer drift detection has to
// name: kubectl edit/patch/scale/create/apply, server-side apply (also as a dry run), and a
// GitOps controller written through the admin API. kubectl runs as a child process.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, type ClusterHandle, type Simulator } from '../src';
import { call, smallCluster } from './helpers';

const hasKubectl = spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0;

const MANIFEST = `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
spec:
  replicas: 1
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27
`;

interface Entry {
  manager: string;
  operation: string;
  subresource?: string;
  time: string;
  fieldsV1: Record<string, unknown>;
}
interface Obj {
  spec: { replicas: number };
  metadata: { managedFields: Entry[]; resourceVersion: string; labels?: Record<string, string> };
}

const ownerOf = (o: Obj, probe: (f: Record<string, unknown>) => unknown): Entry[] =>
  o.metadata.managedFields.filter((e) => probe(e.fieldsV1) !== undefined);
const replicasOwners = (o: Obj): string[] =>
  ownerOf(o, (f) => (f['f:spec'] as Record<string, unknown> | undefined)?.['f:replicas']).map(
    (e) => e.manager,
  );

describe('managedFields of each writer', { skip: !hasKubectl && 'kubectl is not installed' }, () => {
  let sim: Simulator;
  let c: ClusterHandle;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const kubectl = (...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> =>
    new Promise((resolve) => {
      execFile('kubectl', args, { env, timeout: 30_000 }, (err, stdout, stderr) => {
        const code = err ? ((err as { code?: number }).code ?? 1) : 0;
        resolve({ stdout, stderr, code: typeof code === 'number' ? code : 1 });
      });
    });
  const read = async (): Promise<Obj> => {
    const got = await kubectl('get', 'deployment', 'web', '-o', 'json', '--show-managed-fields');
    assert.equal(got.code, 0, got.stderr);
    return JSON.parse(got.stdout) as Obj;
  };

  before(async () => {
    sim = await startSimulator({ scenario: { clusters: [smallCluster('mf')] } });
    c = sim.cluster('mf');
    dir = mkdtempSync(join(tmpdir(), 'kube-sim-mf-'));
    const [kubeconfig] = await sim.writeKubeconfigs(dir);
    writeFileSync(join(dir, 'web.yaml'), MANIFEST);
    // A non-interactive editor: kubectl edit runs it on the temp file.
    writeFileSync(join(dir, 'editor.sh'), '#!/bin/sh\nsed -i "s/replicas: 2/replicas: 5/" "$1"\n');
    chmodSync(join(dir, 'editor.sh'), 0o755);
    env = {
      ...process.env,
      KUBECONFIG: kubeconfig,
      KUBECACHEDIR: join(dir, 'cache'),
      HOME: dir,
      KUBE_EDITOR: join(dir, 'editor.sh'),
    };
  });
  after(async () => {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('server-side apply is an Apply entry whose keyed list elements carry "." and their key', async () => {
    const apply = await kubectl(
      'apply',
      '--server-side',
      '--field-manager=meshfleet-agent',
      '-f',
      join(dir, 'web.yaml'),
    );
    assert.equal(apply.code, 0, apply.stderr);
    const d = await read();
    const entry = d.metadata.managedFields.find((e) => e.manager === 'meshfleet-agent');
    assert.equal(entry?.operation, 'Apply');
    assert.match(entry?.time ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const containers = (
      (entry!.fieldsV1['f:spec'] as Record<string, Record<string, Record<string, unknown>>>)['f:template']![
        'f:spec'
      ] as Record<string, Record<string, unknown>>
    )['f:containers']!;
    assert.deepEqual(containers['k:{"name":"web"}'], { '.': {}, 'f:image': {}, 'f:name': {} });
  });

  it('kubectl patch, edit and scale each take spec.replicas under their own manager', async () => {
    assert.equal((await kubectl('patch', 'deployment', 'web', '-p', '{"spec":{"replicas":2}}')).code, 0);
    assert.deepEqual(replicasOwners(await read()), ['kubectl-patch']);
    const edit = await kubectl('edit', 'deployment', 'web');
    assert.equal(edit.code, 0, edit.stderr);
    let d = await read();
    assert.equal(d.spec.replicas, 5);
    assert.deepEqual(replicasOwners(d), ['kubectl-edit']);
    assert.ok(
      !d.metadata.managedFields.some((e) => e.manager === 'kubectl-patch'),
      'an entry owning nothing goes',
    );
    assert.equal((await kubectl('scale', 'deployment/web', '--replicas=3')).code, 0);
    d = await read();
    const scaled = d.metadata.managedFields.find((e) => e.subresource === 'scale');
    assert.equal(scaled?.operation, 'Update');
    assert.deepEqual(replicasOwners(d), [scaled!.manager]);
  });

  it('a server-side dry run returns the merged object and its managedFields without persisting', async () => {
    const before = await read();
    const dry = await kubectl(
      'apply',
      '--server-side',
      '--dry-run=server',
      '--force-conflicts',
      '--field-manager=meshfleet-agent',
      '-f',
      join(dir, 'web.yaml'),
      '-o',
      'json',
      '--show-managed-fields',
    );
    assert.equal(dry.code, 0, dry.stderr);
    const merged = JSON.parse(dry.stdout) as Obj;
    assert.equal(merged.spec.replicas, 1);
    assert.deepEqual(replicasOwners(merged), ['meshfleet-agent']);
    const after = await read();
    assert.equal(after.spec.replicas, 3);
    assert.equal(after.metadata.resourceVersion, before.metadata.resourceVersion);
  });

  it('kubectl create and client-side apply are Update entries under their kubectl managers', async () => {
    assert.equal((await kubectl('create', 'configmap', 'made', '--from-literal=a=b')).code, 0);
    const cm = JSON.parse(
      (await kubectl('get', 'cm', 'made', '-o', 'json', '--show-managed-fields')).stdout,
    ) as Obj;
    assert.deepEqual(
      cm.metadata.managedFields.map((e) => [e.manager, e.operation]),
      [['kubectl-create', 'Update']],
    );
    assert.equal((await kubectl('apply', '-f', join(dir, 'web.yaml'))).code, 0);
    const d = await read();
    assert.deepEqual(replicasOwners(d), ['kubectl-client-side-apply']);
  });

  it('the admin API writes as argocd-controller and refuses unknown writers', async () => {
    const res = await call(sim, undefined, 'POST', '/_sim/clusters/mf/writers/argocd-controller', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'default', labels: { 'app.kubernetes.io/instance': 'linkerd' } },
      spec: { replicas: 4 },
    });
    assert.equal(res.status, 200, res.text);
    const d = await read();
    assert.equal(d.spec.replicas, 4);
    assert.deepEqual(replicasOwners(d), ['argocd-controller']);
    assert.equal(d.metadata.managedFields.find((e) => e.manager === 'argocd-controller')?.operation, 'Apply');
    const bad = await call(sim, undefined, 'POST', '/_sim/clusters/mf/writers/someone', { kind: 'x' });
    assert.equal(bad.status, 400);
    assert.match(bad.text, /unknown simulated writer/);
    assert.ok(c.model, 'cluster handle stays usable');
  });
});
