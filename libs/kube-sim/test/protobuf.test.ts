// Request bodies in Kubernetes' protobuf encoding. kubectl 1.32+ sends typed-client creates
// (`kubectl create secret|configmap|namespace`) as application/vnd.kubernetes.protobuf; the
// raw tests below send such bodies by hand (so they run whatever kubectl is installed), the
// kubectl tests run the real binary against a 1.32 cluster (a version-dispatching kubectl
// then picks its 1.32 client, which sends protobuf). Undecodable bodies get a 415 Status.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTrustAnchor, startSimulator, validity, type ClusterHandle, type Simulator } from '../src';
import { call, smallCluster } from './helpers';

const PROTOBUF = 'application/vnd.kubernetes.protobuf';

// A minimal protobuf writer for the test's own bodies: length-delimited fields only.
const varint = (n: number): Buffer => {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return Buffer.from(out);
};
const field = (no: number, value: Buffer | string): Buffer => {
  const bytes = typeof value === 'string' ? Buffer.from(value) : value;
  return Buffer.concat([varint((no << 3) | 2), varint(bytes.length), bytes]);
};
const entry = (k: string, v: string | Buffer): Buffer => Buffer.concat([field(1, k), field(2, v)]);
/** "k8s\0" + runtime.Unknown{typeMeta{apiVersion, kind}, raw}. */
const envelope = (apiVersion: string, kind: string, raw: Buffer): Buffer =>
  Buffer.concat([
    Buffer.from('k8s\u0000'),
    field(1, Buffer.concat([field(1, apiVersion), field(2, kind)])),
    field(2, raw),
    field(3, ''),
    field(4, ''),
  ]);

describe('protobuf request bodies', () => {
  let sim: Simulator;
  let c: ClusterHandle;
  const post = (path: string, body: Buffer, contentType = PROTOBUF) =>
    call(sim, c, 'POST', path, body.toString('latin1'), {
      'Content-Type': contentType,
      'Content-Length': String(body.length),
    });

  before(async () => {
    sim = await startSimulator({ scenario: { clusters: [smallCluster('proto')] } });
    c = sim.cluster('proto');
  });
  after(() => sim.close());

  it('creates a ConfigMap and a Secret sent as protobuf, stored as their JSON form', async () => {
    const cm = Buffer.concat([
      field(1, Buffer.concat([field(1, 'from-proto'), field(11, entry('tier', 'web')), field(8, '')])),
      field(2, entry('a', 'b')),
      field(2, entry('empty', '')),
      field(3, entry('blob', Buffer.from([0, 1, 2]))),
    ]);
    const created = await post('/api/v1/namespaces/default/configmaps', envelope('v1', 'ConfigMap', cm));
    assert.equal(created.status, 201, created.text);
    const got = (await call(sim, c, 'GET', '/api/v1/namespaces/default/configmaps/from-proto')).json<{
      metadata: { labels: Record<string, string>; creationTimestamp: string };
      data: Record<string, string>;
      binaryData: Record<string, string>;
    }>();
    assert.deepEqual(got.data, { a: 'b', empty: '' });
    assert.deepEqual(got.binaryData, { blob: 'AAEC' });
    assert.deepEqual(got.metadata.labels, { tier: 'web' });
    assert.ok(got.metadata.creationTimestamp);

    const secret = Buffer.concat([field(1, field(1, 'proto-secret')), field(2, entry('token', 'hunter2'))]);
    const made = await post('/api/v1/namespaces/default/secrets', envelope('v1', 'Secret', secret));
    assert.equal(made.status, 201, made.text);
    const s = (await call(sim, c, 'GET', '/api/v1/namespaces/default/secrets/proto-secret')).json<{
      data: Record<string, string>;
      type: string;
    }>();
    assert.deepEqual(s.data, { token: Buffer.from('hunter2').toString('base64') });
    assert.equal(s.type, 'Opaque');
  });

  it('answers 415 with a Status for kinds it cannot decode, foreign media types and bad envelopes', async () => {
    const deploymentBody = envelope('apps/v1', 'Deployment', field(1, field(1, 'web')));
    for (const [path, body, type] of [
      ['/apis/apps/v1/namespaces/default/deployments', deploymentBody, PROTOBUF],
      ['/api/v1/namespaces/default/configmaps', Buffer.from('not an envelope'), PROTOBUF],
      ['/api/v1/namespaces/default/configmaps', Buffer.from('{}'), 'application/cbor'],
    ] as const) {
      const res = await post(path, body, type);
      assert.equal(res.status, 415, `${type} ${res.text}`);
      const status = res.json<{ kind: string; reason: string; code: number; message: string }>();
      assert.equal(status.kind, 'Status');
      assert.equal(status.reason, 'UnsupportedMediaType');
      assert.equal(status.code, 415);
      assert.match(status.message, /accepted media types include: application\/json/);
    }
    const list = (await call(sim, c, 'GET', '/apis/apps/v1/namespaces/default/deployments')).json<{
      items: unknown[];
    }>();
    assert.equal(list.items.length, 0, 'nothing was written');
  });
});

const hasKubectl = spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0;
if (!hasKubectl) console.log('# kubectl not found on PATH: skipping kubectl create tests');

describe('kubectl create against a 1.32 cluster', { skip: !hasKubectl && 'kubectl is not installed' }, () => {
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
  const json = async <T>(...args: string[]): Promise<T> => {
    const r = await kubectl(...args, '-o', 'json');
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as T;
  };

  before(async () => {
    sim = await startSimulator({
      scenario: { clusters: [smallCluster('kubectl-create', { kubernetesVersion: '1.32.5' })] },
    });
    dir = mkdtempSync(join(tmpdir(), 'kube-sim-create-'));
    const [kubeconfig] = await sim.writeKubeconfigs(dir);
    env = { ...process.env, KUBECONFIG: kubeconfig, KUBECACHEDIR: join(dir, 'cache'), HOME: dir };
  });
  after(async () => {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates generic and tls Secrets, a ConfigMap and a Namespace and reads them back', async () => {
    const anchor = await createTrustAnchor(validity(30), 'create.test');
    writeFileSync(join(dir, 'tls.crt'), anchor.certPem);
    writeFileSync(join(dir, 'tls.key'), anchor.keyPem);
    writeFileSync(join(dir, 'app.properties'), 'color=blue\n');
    for (const args of [
      ['create', 'namespace', 'shop'],
      [
        'create',
        'secret',
        'generic',
        'db',
        '-n',
        'shop',
        '--from-literal=user=admin',
        '--from-literal=empty=',
      ],
      [
        'create',
        'secret',
        'tls',
        'web-tls',
        '-n',
        'shop',
        `--cert=${join(dir, 'tls.crt')}`,
        `--key=${join(dir, 'tls.key')}`,
      ],
      [
        'create',
        'configmap',
        'settings',
        '-n',
        'shop',
        '--from-literal=mode=fast',
        `--from-file=${join(dir, 'app.properties')}`,
      ],
    ]) {
      const r = await kubectl(...args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stdout, / created/);
    }
    const ns = await json<{ status: { phase: string } }>('get', 'namespace', 'shop');
    assert.equal(ns.status.phase, 'Active');
    const db = await json<{ type: string; data: Record<string, string> }>(
      'get',
      'secret',
      'db',
      '-n',
      'shop',
    );
    assert.equal(db.type, 'Opaque');
    assert.deepEqual(db.data, { user: Buffer.from('admin').toString('base64'), empty: '' });
    const tls = await json<{ type: string; data: Record<string, string> }>(
      'get',
      'secret',
      'web-tls',
      '-n',
      'shop',
    );
    assert.equal(tls.type, 'kubernetes.io/tls');
    assert.equal(Buffer.from(tls.data['tls.crt'] ?? '', 'base64').toString(), anchor.certPem);
    const cm = await json<{ data: Record<string, string> }>('get', 'configmap', 'settings', '-n', 'shop');
    assert.deepEqual(cm.data, { mode: 'fast', 'app.properties': 'color=blue\n' });
    const can = await kubectl('auth', 'can-i', 'create', 'secrets', '-n', 'shop');
    assert.equal(can.stdout.trim(), 'yes', can.stderr);
  });

  it('lists APIServices with their availability and applies one client-side', async () => {
    writeFileSync(
      join(dir, 'apiservice.yaml'),
      [
        'apiVersion: apiregistration.k8s.io/v1',
        'kind: APIService',
        'metadata: {name: v1alpha1.tap.example.io}',
        'spec:',
        '  group: tap.example.io',
        '  version: v1alpha1',
        '  groupPriorityMinimum: 1000',
        '  versionPriority: 100',
        '  service: {name: tap, namespace: shop}',
      ].join('\n'),
    );
    const apply = await kubectl('apply', '-f', join(dir, 'apiservice.yaml'));
    assert.equal(apply.code, 0, apply.stderr);
    const reapply = await kubectl('apply', '-f', join(dir, 'apiservice.yaml'));
    assert.equal(reapply.code, 0, reapply.stderr);
    assert.match(reapply.stdout, /unchanged/);
    const get = await kubectl('get', 'apiservices');
    assert.equal(get.code, 0, get.stderr);
    assert.match(get.stdout, /^v1\.apps\s+Local\s+True\s/m);
    assert.match(get.stdout, /^v1alpha1\.tap\.example\.io\s+shop\/tap\s+False \(ServiceNotFound\)\s/m);
  });
});
