// Drift end to end: real API, worker and agent on the simulator, a person's real kubectl. After
// Meshfleet installs Linkerd (and rotates the issuer) Cluster.drift is empty; `kubectl edit` of
// linkerd-destination's replicas and `kubectl patch` of a linkerd-config value show up within a
// report interval naming field and manager, and reconcileDrift clears it. Once Argo CD's marks are
// on the control plane the cluster is GITOPS: the Application they name (OutOfSync) shows in
// Cluster.gitopsSource, and a new drift's DRIFT_DETECTED webhook names it and says Meshfleet
// will not correct it (MESHFLEET-mode DRIFT_DETECTED in detail: apps/api/test/drift.test.ts).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { argocdCrds } from '@meshfleet/kube-sim';
import { startE2eFleet, type E2eFleet } from './e2e-fleet';
import { PLAIN_CLUSTER } from './lifecycle-fixture';
import { eventually } from './sim-fixture';

const hasKubectl = spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0;
const V219 = 'enterprise-2.19.1';
const DRIFT = `query($id: ID!) { cluster(id: $id) { drift { total findings { reason object { kind name } path desired live manager since } } } }`;

describe('drift end to end', { skip: !hasKubectl && 'kubectl is not installed' }, () => {
  let fleet: E2eFleet;
  let clusterId: string;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const q = (query: string, variables: Record<string, unknown> = {}) => fleet.q(query, variables);
  const drift = async () => (await q(DRIFT, { id: clusterId })).data!.cluster.drift;
  const kubectl = (...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> =>
    new Promise((resolve) => {
      execFile('kubectl', args, { env, timeout: 30_000 }, (err, stdout, stderr) =>
        resolve({ stdout, stderr, code: err ? 1 : 0 }),
      );
    });
  const run = async (mutation: string, field: string) => {
    const r = await q(mutation, { c: clusterId });
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    const done = await fleet.finished(r.data![field].id, 'error');
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done.error));
  };

  const hooks: any[] = [];
  let receiver: http.Server;

  before(async () => {
    receiver = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        hooks.push(JSON.parse(Buffer.concat(chunks).toString()));
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    fleet = await startE2eFleet([PLAIN_CLUSTER], {
      env: {
        MESHFLEET_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
        MESHFLEET_ALERT_POLL_INTERVAL_MS: '100',
        MESHFLEET_ALERT_EVALUATION_INTERVAL_SECONDS: '1',
      },
    });
    clusterId = fleet.member('plain').clusterId;
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const hook = await q(
      `mutation($u: String!) { createWebhookEndpoint(input: { url: $u, eventTypes: ["alert.firing"] }) { secret } }`,
      { u: url },
    );
    assert.equal(hook.errors, undefined, JSON.stringify(hook.errors));
    // The GITOPS step drifts again right after reconcileDrift resolved the first alert.
    const rule = await q(
      `mutation { updateAlertRule(kind: DRIFT_DETECTED, input: { params: { cooldownSeconds: 0 } }) { kind } }`,
    );
    assert.equal(rule.errors, undefined, JSON.stringify(rule.errors));
    dir = mkdtempSync(join(tmpdir(), 'mf-drift-e2e-'));
    writeFileSync(join(dir, 'kubeconfig'), fleet.member('plain').kubeconfigYaml);
    writeFileSync(join(dir, 'editor.sh'), '#!/bin/sh\nsed -i "s/^  replicas: 1$/  replicas: 3/" "$1"\n');
    chmodSync(join(dir, 'editor.sh'), 0o755);
    env = {
      ...process.env,
      KUBECONFIG: join(dir, 'kubeconfig'),
      KUBECACHEDIR: join(dir, 'cache'),
      HOME: dir,
      KUBE_EDITOR: join(dir, 'editor.sh'),
    };
  });
  after(async () => {
    await fleet?.stop();
    await new Promise<void>((r) => (receiver ? receiver.close(() => r()) : r()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a fresh install and an issuer rotation by Meshfleet report no drift', async () => {
    const domain = (await q(`mutation { createIdentityDomain(input: { name: "fleet" }) { id } }`)).data!
      .createIdentityDomain.id;
    const r = await q(
      `mutation($c: ID!, $d: ID!) { installLinkerd(clusterId: $c, input: { version: "${V219}", identityDomainId: $d }) { id } }`,
      { c: clusterId, d: domain },
    );
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    assert.equal((await fleet.finished(r.data!.installLinkerd.id, 'error')).status, 'SUCCEEDED');
    const fresh = await eventually(drift, (d) => d !== null, 20_000, 'first drift check');
    assert.deepEqual(fresh.findings, []);
    await run(`mutation($c: ID!) { rotateIssuer(clusterId: $c) { id } }`, 'rotateIssuer');
    await new Promise((res) => setTimeout(res, 3000)); // more than a report interval (2 s)
    assert.deepEqual((await drift()).findings, []);
  });

  it('kubectl edit and kubectl patch are drift naming field and manager within a report interval', async () => {
    const edit = await kubectl('edit', '-n', 'linkerd', 'deployment/linkerd-destination');
    assert.equal(edit.code, 0, edit.stderr);
    const cm = JSON.parse(
      (await kubectl('get', '-n', 'linkerd', 'cm', 'linkerd-config', '-o', 'json')).stdout,
    );
    const values = parse(cm.data.values) as Record<string, unknown>;
    const before = values['controllerLogLevel'];
    values['controllerLogLevel'] = 'debug';
    const patch = await kubectl(
      'patch',
      '-n',
      'linkerd',
      'cm',
      'linkerd-config',
      '--type=merge',
      '-p',
      JSON.stringify({ data: { values: stringify(values) } }),
    );
    assert.equal(patch.code, 0, patch.stderr);
    const started = Date.now();
    const d = await eventually(drift, (x) => x?.total === 2, 20_000, 'drift reported');
    // One report interval (2 s) plus the report's debounce and delivery.
    assert.ok(Date.now() - started < 8000, `took ${Date.now() - started} ms`);
    const got = d.findings
      .map((f: any) => [f.object.name, f.path, f.desired, f.live, f.manager])
      .sort((a: string[], b: string[]) => a[0]!.localeCompare(b[0]!));
    assert.deepEqual(got, [
      ['linkerd-config', 'data.values:controllerLogLevel', String(before), 'debug', 'kubectl-patch'],
      ['linkerd-destination', 'spec.replicas', '1', '3', 'kubectl-edit'],
    ]);
  });

  it('reconcileDrift re-applies what Meshfleet applied and clears the drift', async () => {
    await run(`mutation($c: ID!) { reconcileDrift(clusterId: $c) { id } }`, 'reconcileDrift');
    await eventually(drift, (x) => x?.total === 0, 20_000, 'drift cleared');
    const replicas = await kubectl(
      'get',
      '-n',
      'linkerd',
      'deployment/linkerd-destination',
      '-o',
      'jsonpath={.spec.replicas}',
    );
    assert.equal(replicas.stdout, '1');
    const none = await q(`mutation($c: ID!) { reconcileDrift(clusterId: $c) { id } }`, { c: clusterId });
    assert.equal(none.errors?.[0]?.extensions?.['reason'], 'NO_DRIFT');
  });
  it("on a GITOPS cluster the Argo CD Application's OutOfSync is in gitopsSource and the DRIFT_DETECTED webhook", async () => {
    for (const crd of argocdCrds()) await fleet.member('plain').ops.apply(crd as never);
    writeFileSync(
      join(dir, 'application.yaml'),
      stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'argocd' } }) +
        '---\n' +
        stringify({
          apiVersion: 'argoproj.io/v1alpha1',
          kind: 'Application',
          metadata: { name: 'linkerd-control-plane', namespace: 'argocd' },
          spec: {
            project: 'default',
            destination: { server: 'https://kubernetes.default.svc', namespace: 'linkerd' },
          },
          // Argo CD's Application has no status subresource: its controller writes status with it.
          status: { sync: { status: 'OutOfSync', revision: '4f2a9c1e' }, health: { status: 'Healthy' } },
        }),
    );
    const created = await kubectl('create', '-f', join(dir, 'application.yaml'));
    assert.equal(created.code, 0, created.stderr);
    const annotate = await kubectl(
      'annotate',
      '-n',
      'linkerd',
      'deployment/linkerd-destination',
      'argocd.argoproj.io/tracking-id=linkerd-control-plane:apps/Deployment:linkerd/linkerd-destination',
    );
    assert.equal(annotate.code, 0, annotate.stderr);
    const SOURCE = `query($id: ID!) { cluster(id: $id) { managementMode gitopsTool
      gitopsSource { tool kind namespace name readable syncStatus healthStatus revision } } }`;
    const c = await eventually(
      async () => (await q(SOURCE, { id: clusterId })).data!.cluster,
      // Both, as the Cluster row and the stored report are read apart: a report landing between
      // the two reads shows its source next to the mode from before it.
      (x) => x.gitopsSource?.syncStatus === 'OutOfSync' && x.managementMode === 'GITOPS',
      20_000,
      'the Application in gitopsSource',
    );
    assert.equal(c.managementMode, 'GITOPS');
    assert.equal(c.gitopsTool, 'ARGOCD');
    assert.deepEqual(c.gitopsSource, {
      tool: 'ARGOCD',
      kind: 'Application',
      namespace: 'argocd',
      name: 'linkerd-control-plane',
      readable: true,
      syncStatus: 'OutOfSync',
      healthStatus: 'Healthy',
      revision: '4f2a9c1e',
    });
    assert.deepEqual((await drift()).findings, [], 'the tracking annotation is no drift');

    const edit = await kubectl('edit', '-n', 'linkerd', 'deployment/linkerd-destination');
    assert.equal(edit.code, 0, edit.stderr);
    const isGitopsDrift = (h: any) =>
      h.type === 'alert.firing' && h.data.alert.kind === 'DRIFT_DETECTED' && h.data.alert.gitops;
    const hook = await eventually(
      async () => hooks.find(isGitopsDrift),
      (h) => !!h,
      20_000,
      'the DRIFT_DETECTED webhook of the GITOPS cluster',
    );
    assert.equal(hook.data.cluster.id, clusterId);
    assert.match(
      hook.data.alert.summary,
      /1 field\(s\) differ .*Managed by Argo CD \(Application argocd\/linkerd-control-plane: OutOfSync, health Healthy, revision 4f2a9c1e\); Meshfleet will not correct it/,
    );
    assert.equal(hook.data.alert.gitops.tool, 'ARGOCD');
    assert.equal(hook.data.alert.gitops.source.name, 'linkerd-control-plane');
    assert.equal(hook.data.alert.gitops.source.argocd.syncStatus, 'OutOfSync');
    const refused = await q(`mutation($c: ID!) { reconcileDrift(clusterId: $c) { id } }`, { c: clusterId });
    assert.equal(refused.errors?.[0]?.extensions?.['reason'], 'GITOPS_MANAGED');
  });
});
