import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { CheckResults } from '@meshfleet/agent-protocol';
import { CheckResultsSchema } from '@meshfleet/agent-protocol';
import { healthyCluster, issuerSecret, NOW, pod, withSecret } from '../testing/cluster.fixture';
import { makeCert, makePki, type TestPki } from '../testing/pki.fixture';
import type { ClusterSnapshot } from '../snapshot';
import { runChecks } from './run-checks';

function find(r: CheckResults, category: string, description: string) {
  return r.categories.find((c) => c.name === category)?.checks.find((c) => c.description === description);
}

function failures(r: CheckResults) {
  return r.categories.flatMap((c) =>
    c.checks.filter((x) => x.result !== 'success').map((x) => `${c.name}: ${x.description}`),
  );
}

describe('runChecks', () => {
  let pki: TestPki;
  before(async () => {
    pki = await makePki(NOW);
  });

  it('passes every check on a healthy cluster, in the CLI category order', async () => {
    const r = await runChecks(healthyCluster(pki));
    assert.deepEqual(failures(r), []);
    assert.equal(r.success, true);
    assert.deepEqual(
      r.categories.map((c) => c.name),
      [
        'kubernetes-api',
        'kubernetes-version',
        'linkerd-existence',
        'linkerd-config',
        'linkerd-identity',
        'linkerd-webhooks-and-apisvc-tls',
        'linkerd-identity-data-plane',
        'control-plane-version',
        'linkerd-control-plane-proxy',
        'linkerd-data-plane',
        // The CLI always prints this one (a pass when no extension is installed twice).
        'linkerd-extension-checks',
      ],
    );
    assert.equal(CheckResultsSchema.safeParse(r).success, true);
    assert.ok(find(r, 'linkerd-identity', 'trust anchors are valid for at least 60 days'));
  });

  it('says Linkerd is not installed and runs nothing after linkerd-existence', async () => {
    const s = healthyCluster(pki);
    const r = await runChecks({
      ...s,
      configMaps: [],
      secrets: [],
      pods: s.pods.filter((p) => p.metadata?.namespace !== 'linkerd'),
    });
    assert.equal(r.success, false);
    assert.deepEqual(
      r.categories.map((c) => c.name),
      ['kubernetes-api', 'kubernetes-version', 'linkerd-existence'],
    );
    const check = find(r, 'linkerd-existence', "'linkerd-config' config map exists");
    assert.equal(check?.result, 'error');
    assert.equal(check?.fatal, true);
    assert.match(check?.error ?? '', /Linkerd is not installed/);
    assert.equal(check?.hint, 'https://linkerd.io/2/checks/#l5d-existence-linkerd-config');
  });

  it('stops everything when the API cannot be queried', async () => {
    const r = await runChecks({ ...healthyCluster(pki), kubernetesVersion: null });
    assert.deepEqual(
      r.categories.map((c) => c.name),
      ['kubernetes-api'],
    );
    assert.equal(find(r, 'kubernetes-api', 'can query the Kubernetes API')?.result, 'error');
  });

  it('flags a Kubernetes version below the minimum of the installed Linkerd', async () => {
    const r = await runChecks({ ...healthyCluster(pki), kubernetesVersion: 'v1.29.4-eks-1' });
    const check = find(r, 'kubernetes-version', 'is running the minimum Kubernetes API version');
    assert.equal(check?.result, 'error');
    assert.match(check?.error ?? '', /\[1\.31\.0\] or more recent/);
  });

  it('fails linkerd-identity on an expired issuer and stops the run there, as the CLI does', async () => {
    const expired = await makeCert({
      cn: 'identity.linkerd.cluster.local',
      now: NOW,
      from: -400,
      to: -1,
      signer: pki.anchor,
    });
    const r = await runChecks(withSecret(healthyCluster(pki), issuerSecret(expired.pem)));
    const check = find(r, 'linkerd-identity', 'issuer cert is within its validity period');
    assert.equal(check?.result, 'error');
    assert.equal(check?.fatal, true);
    assert.match(check?.error ?? '', /Expired on/);
    assert.equal(find(r, 'linkerd-identity', 'issuer cert is issued by the trust anchor'), undefined);
    // healthcheck.go RunChecks returns at a failed fatal check: later categories do not run.
    assert.ok(!r.categories.some((c) => c.name === 'linkerd-data-plane'));
    assert.ok(r.notRun?.some((c) => c.category === 'linkerd-data-plane'));
    assert.equal(r.success, false);
  });

  it('reports an issuer signed by a different root', async () => {
    const otherRoot = await makeCert({ cn: 'root.other.local', now: NOW });
    const foreign = await makeCert({ cn: 'identity.linkerd.cluster.local', now: NOW, signer: otherRoot });
    const r = await runChecks(withSecret(healthyCluster(pki), issuerSecret(foreign.pem)));
    const check = find(r, 'linkerd-identity', 'issuer cert is issued by the trust anchor');
    assert.equal(check?.result, 'error');
    assert.equal(check?.fatal, false);
    assert.match(check?.error ?? '', /unknown authority/);
  });

  it('warns about an issuer expiring within the configurable threshold', async () => {
    const soon = await makeCert({
      cn: 'identity.linkerd.cluster.local',
      now: NOW,
      to: 45,
      signer: pki.anchor,
    });
    const s = withSecret(healthyCluster(pki), issuerSecret(soon.pem));
    const byDefault = await runChecks(s);
    const warn = find(byDefault, 'linkerd-identity', 'issuer cert is valid for at least 60 days');
    assert.equal(warn?.result, 'warning');
    assert.equal(byDefault.success, true, 'warnings alone keep the run successful');
    const relaxed = await runChecks(s, { certExpiryWarningDays: 30 });
    assert.equal(
      find(relaxed, 'linkerd-identity', 'issuer cert is valid for at least 30 days')?.result,
      'success',
    );
  });

  it('rejects an issuer secret without its key for the linkerd.io/tls scheme', async () => {
    const s = withSecret(healthyCluster(pki), {
      metadata: { namespace: 'linkerd', name: 'linkerd-identity-issuer' },
      data: { 'crt.pem': Buffer.from(pki.issuer.pem).toString('base64') },
    });
    const r = await runChecks(s);
    assert.equal(find(r, 'linkerd-identity', 'certificate config is valid')?.result, 'error');
    assert.equal(r.categories.find((c) => c.name === 'linkerd-identity')?.checks.length, 1);
  });

  it('warns when a data-plane proxy is older than the latest known version', async () => {
    const s = healthyCluster(pki);
    s.pods.push(
      pod({
        ns: 'shop',
        name: 'cart-5d8f7c9b4-zzzzz',
        deployment: 'cart',
        version: 'edge-25.10.7',
        trustPem: pki.anchor.pem,
      }),
    );
    const r = await runChecks(s, { latestKnownVersion: 'edge-26.8.3' });
    const check = find(r, 'linkerd-data-plane', 'data plane is up-to-date');
    assert.equal(check?.result, 'warning');
    assert.match(
      check?.error ?? '',
      /shop\/cart-5d8f7c9b4-zzzzz: is running version edge-25.10.7 but the latest edge version is edge-26.8.3/,
    );
    // The control plane itself is behind the latest as well.
    assert.equal(find(r, 'control-plane-version', 'control plane is up-to-date')?.result, 'warning');
  });

  it('without a latest version, compares proxies to the control plane', async () => {
    const s = healthyCluster(pki);
    s.pods.push(pod({ ns: 'shop', name: 'cart-1', version: 'edge-25.10.7', trustPem: pki.anchor.pem }));
    const r = await runChecks(s);
    assert.match(
      find(r, 'linkerd-data-plane', 'data plane is up-to-date')?.error ?? '',
      /control plane runs edge-26\.6\.3/,
    );
    assert.equal(find(r, 'control-plane-version', 'control plane is up-to-date'), undefined);
  });

  it('lists pods with a stale trust bundle', async () => {
    const s = healthyCluster(pki);
    s.pods.push(pod({ ns: 'shop', name: 'old-1', trustSha: 'f'.repeat(64) }));
    const r = await runChecks(s);
    const check = find(r, 'linkerd-identity-data-plane', 'data plane proxies certificate match CA');
    assert.equal(check?.result, 'warning');
    assert.match(check?.error ?? '', /\* shop\/old-1/);
    assert.doesNotMatch(check?.error ?? '', /web-/);
  });

  it('fails data plane readiness when a proxy is not ready', async () => {
    const s = healthyCluster(pki);
    s.pods.push(pod({ ns: 'shop', name: 'slow-1', ready: false, trustPem: pki.anchor.pem }));
    const r = await runChecks(s);
    assert.match(find(r, 'linkerd-data-plane', 'data plane proxies are ready')?.error ?? '', /slow-1/);
    assert.equal(
      find(r, 'linkerd-data-plane', 'data plane is up-to-date'),
      undefined,
      'fatal stops the category',
    );
  });

  it('checks HA replicas only when installed with HA values', async () => {
    const r = await runChecks(healthyCluster(pki, { ha: true }));
    const check = find(r, 'linkerd-ha-checks', 'multiple replicas of control plane pods');
    assert.equal(check?.result, 'warning');
    const ha = await runChecks(healthyCluster(pki, { ha: true, controllerReplicas: 3 }));
    assert.equal(find(ha, 'linkerd-ha-checks', 'multiple replicas of control plane pods')?.result, 'success');
  });

  it('fails a webhook certificate that does not name its service', async () => {
    const wrong = await makeCert({ cn: 'x', now: NOW, dnsNames: ['something-else.linkerd.svc'] });
    let s: ClusterSnapshot = healthyCluster(pki);
    s = withSecret(s, {
      metadata: { namespace: 'linkerd', name: 'linkerd-proxy-injector-k8s-tls' },
      data: { 'tls.crt': Buffer.from(wrong.pem).toString('base64') },
    });
    const r = await runChecks(s);
    const check = find(r, 'linkerd-webhooks-and-apisvc-tls', 'proxy-injector webhook has valid cert');
    assert.equal(check?.result, 'error');
    assert.match(check?.error ?? '', /not linkerd-proxy-injector\.linkerd\.svc/);
    assert.equal(
      find(r, 'linkerd-webhooks-and-apisvc-tls', 'sp-validator webhook has valid cert'),
      undefined,
    );
  });

  it('fails a webhook certificate the caBundle does not trust', async () => {
    const s = healthyCluster(pki);
    const other = await makeCert({ cn: 'x', now: NOW, dnsNames: ['linkerd-sp-validator.linkerd.svc'] });
    s.validatingWebhooks[0]!.webhooks![0]!.clientConfig.caBundle = Buffer.from(other.pem).toString('base64');
    const r = await runChecks(s);
    assert.match(
      find(r, 'linkerd-webhooks-and-apisvc-tls', 'sp-validator webhook has valid cert')?.error ?? '',
      /unknown authority/,
    );
  });

  it('runs linkerd-viz when the extension namespace exists', async () => {
    const s = healthyCluster(pki);
    s.namespaces.push({ metadata: { name: 'linkerd-viz', labels: { 'linkerd.io/extension': 'viz' } } });
    const tap = await makeCert({ cn: 'tap', now: NOW, to: 20, dnsNames: ['tap.linkerd-viz.svc'] });
    s.secrets.push({
      metadata: { namespace: 'linkerd-viz', name: 'tap-k8s-tls' },
      data: { 'tls.crt': Buffer.from(tap.pem).toString('base64') },
    });
    s.apiServices = [
      {
        metadata: { name: 'v1alpha1.tap.linkerd.io' },
        spec: {
          caBundle: Buffer.from(tap.pem).toString('base64'),
          groupPriorityMinimum: 1,
          versionPriority: 1,
        },
        status: { conditions: [{ type: 'Available', status: 'True' }] },
      },
    ];
    s.pods.push(pod({ ns: 'linkerd-viz', name: 'web-1', meshed: false, labels: {} }));
    const r = await runChecks(s);
    assert.equal(find(r, 'linkerd-viz', 'tap API server has valid cert')?.result, 'success');
    assert.equal(
      find(r, 'linkerd-viz', 'tap API server cert is valid for at least 60 days')?.result,
      'warning',
    );
    assert.equal(find(r, 'linkerd-viz', 'tap API service is running')?.result, 'success');
    assert.match(find(r, 'linkerd-viz', 'linkerd-viz pods are injected')?.error ?? '', /web-1/);
    // An agent that may not read APIServices cannot judge the caBundle: skipped, not failed.
    delete s.apiServices;
    const blind = await runChecks(s);
    assert.equal(find(blind, 'linkerd-viz', 'tap API server has valid cert'), undefined);
    assert.equal(find(blind, 'linkerd-viz', 'tap API service is running'), undefined);
    assert.equal(
      find(blind, 'linkerd-viz', 'tap API server cert is valid for at least 60 days')?.result,
      'warning',
    );
  });

  it('skips the --proxy categories when asked', async () => {
    const r = await runChecks(healthyCluster(pki), { proxy: false });
    assert.ok(
      !r.categories.some((c) => c.name === 'linkerd-data-plane' || c.name === 'linkerd-identity-data-plane'),
    );
  });
});
