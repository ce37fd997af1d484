// Real Linkerd renders end to end: an operator imports a `linkerd install` render (config-overrides
// Secret, externally managed webhook certificates) through GraphQL, installs it on a simulated
// cluster with the real agent, applies `linkerd viz install` output by hand with kubectl, and
// later loses the Gateway API CRDs. The fixtures reproduce the structures of real output.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliRender, crdsRender } from '@meshfleet/linkerd/dist/src/catalog/testing/release-renders.fixture';
import { vizRender, vizRenderObjects } from '@meshfleet/linkerd/dist/src/catalog/testing/viz-render.fixture';
import { makeCert } from '@meshfleet/linkerd/dist/src/testing/pki.fixture';
import type { ClusterOps } from '../src/kube/cluster-ops';
import { startE2eFleet, type E2eFleet } from './e2e-fleet';
import { gatewayApiCrds, PLAIN_CLUSTER } from './lifecycle-fixture';
import { eventually } from './sim-fixture';

const VERSION = 'edge-26.8.3';
const OP = `id kind status error steps { step status message }`;
const CLUSTER = `query($id: ID!) { cluster(id: $id) {
  status health { status categories { name checks { description result error } } }
  linkerd { installed version }
} }`;
const WEBHOOK_SECRETS = [
  ['linkerd-proxy-injector-k8s-tls', 'linkerd-proxy-injector', 'linkerd-proxy-injector-webhook-config'],
  ['linkerd-sp-validator-k8s-tls', 'linkerd-sp-validator', 'linkerd-sp-validator-webhook-config'],
  ['linkerd-policy-validator-k8s-tls', 'linkerd-policy-validator', 'linkerd-policy-validator-webhook-config'],
] as const;
const execFileAsync = promisify(execFile);
const hasKubectl = spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0;

type Health = { status: string; categories: Array<{ name: string; checks: any[] }> };
const failing = (h: Health) =>
  h.categories.flatMap((c) =>
    c.checks
      .filter((x) => x.result !== 'SUCCESS')
      .map((x) => `${c.name}: ${x.description} (${x.result}) ${x.error ?? ''}`),
  );

describe('a real linkerd install render, imported and installed', () => {
  let fleet: E2eFleet;
  let ops: ClusterOps;
  let kubeconfig: string;
  let clusterId: string;

  const q = (query: string, variables: Record<string, unknown> = {}) => fleet.q(query, variables);
  const cluster = async () => (await q(CLUSTER, { id: clusterId })).data!.cluster;

  before(async () => {
    fleet = await startE2eFleet([PLAIN_CLUSTER]);
    const plain = fleet.member('plain');
    ({ clusterId, ops } = plain);
    // kubectl reads the same cluster from a file.
    kubeconfig = join(await mkdtemp(join(tmpdir(), 'mf-real-release-')), 'kubeconfig');
    await writeFile(kubeconfig, plain.kubeconfigYaml);
    await eventually(cluster, (c) => c.status === 'CONNECTED', 20_000, 'first report');
  });

  after(async () => {
    await fleet?.stop();
  });

  it('imports the CLI render through GraphQL and installs it: every webhook Secret exists and the cluster is HEALTHY', async () => {
    const render = cliRender(VERSION, 'default');
    const imported = await q(
      `mutation($i: ImportLinkerdReleaseInput!) { importLinkerdRelease(input: $i) { version source } }`,
      {
        i: {
          version: VERSION,
          variant: 'default',
          crdsYaml: crdsRender(VERSION),
          controlPlaneYaml: render.controlPlaneYaml,
        },
      },
    );
    assert.equal(imported.errors, undefined, JSON.stringify(imported.errors));
    assert.equal(imported.data!.importLinkerdRelease.source, 'IMPORTED');

    const domainId = (await q(`mutation { createIdentityDomain(input: { name: "real" }) { id } }`)).data!
      .createIdentityDomain.id;
    const r = await q(
      `mutation($c: ID!, $d: ID!, $v: String!) { installLinkerd(clusterId: $c, input: { version: $v, identityDomainId: $d }) { ${OP} } }`,
      { c: clusterId, d: domainId, v: VERSION },
    );
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    const done = await eventually(
      async () =>
        (await q(`query($id: ID!) { operation(id: $id) { ${OP} } }`, { id: r.data!.installLinkerd.id })).data!
          .operation,
      (o) => ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'CANCELLED'].includes(o.status),
      120_000,
      'install finished',
    );
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify({ error: done.error, steps: done.steps }));

    for (const [secret, service, webhook] of WEBHOOK_SECRETS) {
      const data = await ops.secretText('linkerd', secret);
      assert.ok(data?.['tls.crt'] && data['tls.key'], `${secret} holds a certificate and key`);
      const cert = new X509Certificate(data['tls.crt']);
      assert.ok(cert.checkHost(`${service}.linkerd.svc`), `${secret} is valid for ${service}.linkerd.svc`);
      const kind = webhook.includes('injector')
        ? 'MutatingWebhookConfiguration'
        : 'ValidatingWebhookConfiguration';
      const cfg = await ops.get<any>({ apiVersion: 'admissionregistration.k8s.io/v1', kind, name: webhook });
      const ca = new X509Certificate(
        Buffer.from(cfg.webhooks[0].clientConfig.caBundle, 'base64').toString('utf8'),
      );
      assert.ok(cert.verify(ca.publicKey), `the caBundle of ${webhook} trusts ${secret}`);
    }
    const c = await eventually(
      cluster,
      (c) => c.linkerd?.version === VERSION && c.health.status === 'HEALTHY',
      30_000,
      'report shows the imported release, healthy',
    ).catch(async (e) => {
      throw new Error(`${(e as Error).message}: ${JSON.stringify(failing((await cluster()).health))}`);
    });
    assert.equal(c.health.status, 'HEALTHY');
  });

  it('reads HEALTHY with every viz check passing once viz is applied by hand', async () => {
    const now = new Date();
    const ca = await makeCert({ cn: 'webhook.linkerd.cluster.local', now, to: 365 });
    const serving = async (svc: string) => {
      const c = await makeCert({
        cn: `${svc}.linkerd-viz.svc`,
        now,
        to: 365,
        ca: false,
        signer: ca,
        dnsNames: [`${svc}.linkerd-viz.svc`],
      });
      const key = Buffer.from(await crypto.subtle.exportKey('pkcs8', c.keys.privateKey)).toString('base64');
      return { certPem: c.pem, keyPem: `-----BEGIN PRIVATE KEY-----\n${key}\n-----END PRIVATE KEY-----\n` };
    };
    const vizInput = {
      version: VERSION,
      tap: await serving('tap'),
      tapInjector: await serving('tap-injector'),
      caPem: ca.pem,
    };
    const yaml = vizRender(vizInput);
    if (hasKubectl) {
      const file = join(await mkdtemp(join(tmpdir(), 'mf-viz-')), 'viz.yaml');
      await writeFile(file, yaml);
      // Async: the simulator serves from this process.
      await execFileAsync('kubectl', ['--kubeconfig', kubeconfig, 'apply', '-f', file]);
    } else {
      for (const o of vizRenderObjects(vizInput)) await ops.apply(o);
    }
    const c = await eventually(
      cluster,
      (c) =>
        c.health.status === 'HEALTHY' &&
        c.health.categories.some((x: any) => x.name === 'linkerd-viz') &&
        failing(c.health).length === 0,
      40_000,
      'viz checks all passing',
    ).catch(async (e) => {
      throw new Error(`${(e as Error).message}: ${JSON.stringify(failing((await cluster()).health))}`);
    });
    const viz = c.health.categories.find((x: any) => x.name === 'linkerd-viz');
    assert.ok(
      viz.checks.some((x: any) => x.description === 'tap API service is running' && x.result === 'SUCCESS'),
    );
  });

  it('fails gateway-api-crd fatally once the Gateway API CRDs are gone, and runs nothing after it', async () => {
    for (const crd of gatewayApiCrds()) {
      await ops.delete({
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        name: crd.metadata!.name!,
      });
    }
    const c = await eventually(
      cluster,
      (c) =>
        c.health.categories.some(
          (x: any) => x.name === 'gateway-api-crd' && x.checks.some((k: any) => k.result === 'ERROR'),
        ),
      30_000,
      'gateway-api-crd fails',
    );
    assert.equal(c.health.status, 'UNHEALTHY');
    // As `linkerd check` does, the core run ends there; `linkerd viz check` is a run of its own.
    const names: string[] = c.health.categories.map((x: any) => x.name);
    const later = names.slice(names.indexOf('gateway-api-crd') + 1);
    assert.deepEqual(later, ['linkerd-viz'], 'no core category after the fatal check');
    // What did not run is said, and the CLI-shaped JSON carries only what ran.
    const more = (
      await q(
        `query($id: ID!) { cluster(id: $id) { health { notRun { category description } checkJson } } }`,
        {
          id: clusterId,
        },
      )
    ).data!.cluster.health;
    const notRunCategories = new Set(more.notRun.map((n: any) => n.category));
    for (const cat of ['linkerd-config', 'linkerd-identity', 'control-plane-version'])
      assert.ok(notRunCategories.has(cat), `${cat} listed as not run: ${[...notRunCategories]}`);
    const json = more.checkJson;
    assert.equal(json.success, false);
    assert.deepEqual(
      json.categories.map((x: any) => x.categoryName),
      names,
      'the JSON lists the categories that ran, in order',
    );
    const fatal = json.categories.find((x: any) => x.categoryName === 'gateway-api-crd').checks;
    assert.equal(fatal.at(-1).result, 'error');
    assert.match(fatal.at(-1).hint, /^https:\/\/linkerd\.io\/2[.\d]*\/checks\/#/);
    assert.deepEqual(Object.keys(fatal.at(-1)), ['description', 'hint', 'error', 'result']);
  });
});
