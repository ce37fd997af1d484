// Extensions end to end: viz and multicluster installed, upgraded (with prune) and removed through
// GraphQL by the real agent on a simulated 2.20 cluster; the viz checks read passing after the
// install; every refusal answers with a code and writes nothing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { V1Pod } from '@kubernetes/client-node';
import { isMeshed } from '@meshfleet/linkerd';
import { errorCode } from '@meshfleet/testing';
import type { AnyObject, ClusterOps } from '../src/kube/cluster-ops';
import { EXTENSION_KINDS } from '../src/tasks/lifecycle/extension-objects';
import { startE2eFleet, type E2eFleet } from './e2e-fleet';
import { PLAIN_CLUSTER } from './lifecycle-fixture';
import { eventually } from './sim-fixture';

const FIRST = 'edge-26.6.3'; // 2.20
const VERSION = 'edge-26.8.3'; // 2.20 too
const OLDER_SAME_MAJOR = FIRST;
const OP = `id kind status error params warnings { code namespaces message } steps { step status message }`;
const CLUSTER = `query($id: ID!) { cluster(id: $id) {
  status health { status categories { name checks { description result error } } }
  linkerd { installed version extensions { name namespace version managed note prometheusUrl links } }
} }`;
const PROM_URL = 'http://prometheus.monitoring.svc.cluster.local:9090';
const INSTALL_EXT = `mutation($i: ExtensionInput!) { installExtension(input: $i) { ${OP} } }`;
const UPGRADE_EXT = `mutation($i: ExtensionInput!) { upgradeExtension(input: $i) { ${OP} } }`;
const UNINSTALL_EXT = `mutation($i: ExtensionInput!) { uninstallExtension(input: $i) { ${OP} } }`;
const LINK = { apiVersion: 'multicluster.linkerd.io/v1alpha3', kind: 'Link' };

async function labelled(ops: ClusterOps, extension: string): Promise<string[]> {
  const out: string[] = [];
  for (const [apiVersion, kind] of [...EXTENSION_KINDS, ['v1', 'Namespace'] as const]) {
    const items =
      (await ops.listIfServed<AnyObject>(apiVersion, kind, undefined, `linkerd.io/extension=${extension}`)) ??
      [];
    out.push(...items.map((o) => `${kind} ${o.metadata?.namespace ?? ''}/${o.metadata?.name}`));
  }
  return out;
}

describe('Linkerd extensions as operations', () => {
  let fleet: E2eFleet;
  let ops: ClusterOps;
  let clusterId: string;

  const q = (query: string, variables: Record<string, unknown> = {}) => fleet.q(query, variables);
  const cluster = async () => (await q(CLUSTER, { id: clusterId })).data!.cluster;
  const operationCount = async () =>
    (
      await q(`query($c: ID!) { operations(filter: { clusterId: $c }, first: 100) { totalCount } }`, {
        c: clusterId,
      })
    ).data!.operations.totalCount as number;
  const run = async (mutation: string, variables: Record<string, unknown>, field: string) => {
    const r = await q(mutation, variables);
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    return fleet.finished(r.data![field].id, OP, 120_000);
  };
  /** A refusal: its code and reason, and no operation written. */
  const refused = async (mutation: string, input: Record<string, unknown>, code: string, reason: string) => {
    const before = await operationCount();
    const r = await q(mutation, { i: { clusterId, ...input } });
    assert.equal(errorCode(r), code, JSON.stringify(r.errors));
    assert.equal(r.errors![0]!.extensions!['reason'], reason, JSON.stringify(r.errors));
    assert.equal(await operationCount(), before, `${reason}: nothing written`);
    return r.errors![0]!.message;
  };

  before(async () => {
    // Eight operations in a row: more step events in a minute than the default agent rate limit.
    fleet = await startE2eFleet([PLAIN_CLUSTER], {
      rbac: 'MANAGED',
      env: { MESHFLEET_AGENT_RATE_LIMIT_PER_MINUTE: '2000' },
    });
    ({ clusterId, ops } = fleet.member('plain'));
    await eventually(cluster, (c) => c.status === 'CONNECTED' && c.linkerd, 20_000, 'first report');
  });

  after(async () => {
    await fleet?.stop();
  });

  it('refuses an extension while Linkerd is not installed', async () => {
    const msg = await refused(INSTALL_EXT, { extension: 'viz' }, 'FAILED_PRECONDITION', 'NOT_INSTALLED');
    assert.match(msg, /installLinkerd first/);
  });

  it('installs viz through GraphQL: the viz pods meshed and Ready, the tap APIService available, every viz check passing', async () => {
    // emojivoto denies by default: the install warns that its scrapes need the allow-scrapes policies.
    await ops.apply({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: 'emojivoto',
        annotations: { 'linkerd.io/inject': 'enabled', 'config.linkerd.io/default-inbound-policy': 'deny' },
      },
    } as AnyObject);
    const domainId = (await q(`mutation { createIdentityDomain(input: { name: "ext" }) { id } }`)).data!
      .createIdentityDomain.id;
    const install = await q(
      `mutation($c: ID!, $d: ID!, $v: String!) { installLinkerd(clusterId: $c, input: { version: $v, identityDomainId: $d }) { id } }`,
      { c: clusterId, d: domainId, v: FIRST },
    );
    assert.equal(install.errors, undefined, JSON.stringify(install.errors));
    const core = await fleet.finished(install.data!.installLinkerd.id, OP, 120_000);
    assert.equal(core.status, 'SUCCEEDED', JSON.stringify(core.error));
    await eventually(cluster, (c) => c.linkerd?.version === FIRST, 30_000, 'report shows Linkerd');

    const done = await run(
      INSTALL_EXT,
      { i: { clusterId, extension: 'viz', allowScrapesNamespaces: ['emojivoto'] } },
      'installExtension',
    );
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify({ error: done.error, steps: done.steps }));
    assert.equal(done.kind, 'INSTALL_EXTENSION');
    assert.deepEqual(
      done.warnings.map((w: any) => [w.code, w.namespaces]),
      [['ALLOW_SCRAPES_APPLIED', ['emojivoto']]],
    );
    assert.match(done.warnings[0].message, /emojivoto \(deny\).*allow-scrapes policies will be applied/);
    const scrape = await ops.get<AnyObject>({
      apiVersion: 'policy.linkerd.io/v1alpha1',
      kind: 'AuthorizationPolicy',
      namespace: 'emojivoto',
      name: 'prometheus-scrape',
    });
    assert.equal(scrape?.metadata?.labels?.['linkerd.io/extension'], 'viz', 'allow-scrapes applied');
    assert.equal(done.params.extensionRelease.version, FIRST, "defaults to the control plane's release");
    const final = (step: string) => done.steps.filter((s: any) => s.step === step).at(-1)?.status;
    assert.deepEqual(['precheck', 'extension', 'prune', 'rollout', 'postcheck'].map(final), [
      'succeeded',
      'succeeded',
      'skipped',
      'succeeded',
      'succeeded',
    ]);
    assert.match(
      done.steps.find((s: any) => s.step === 'extension' && s.status === 'succeeded').message,
      /created serving Secrets linkerd-viz\/tap-k8s-tls/,
    );

    const ns = await ops.get<AnyObject>({ apiVersion: 'v1', kind: 'Namespace', name: 'linkerd-viz' });
    assert.equal(ns?.metadata?.labels?.['linkerd.io/extension'], 'viz');
    const pods = await ops.list<AnyObject>('v1', 'Pod', 'linkerd-viz');
    assert.equal(pods.length, 5);
    for (const p of pods) assert.ok(isMeshed(p as V1Pod), `${p.metadata?.name} is meshed`);
    const c = await eventually(
      cluster,
      (c) => {
        const viz = c.health.categories.find((x: any) => x.name === 'linkerd-viz');
        return viz && viz.checks.every((x: any) => x.result === 'SUCCESS');
      },
      45_000,
      'every viz check passing',
    ).catch(async (e) => {
      const viz = (await cluster()).health.categories.find((x: any) => x.name === 'linkerd-viz');
      throw new Error(`${(e as Error).message}: ${JSON.stringify(viz)}`);
    });
    const viz = c.health.categories.find((x: any) => x.name === 'linkerd-viz');
    assert.ok(viz.checks.length >= 10, JSON.stringify(viz.checks.map((x: any) => x.description)));
    assert.ok(viz.checks.some((x: any) => x.description === 'tap API service is running'));
    assert.deepEqual(c.linkerd.extensions, [
      {
        name: 'viz',
        namespace: 'linkerd-viz',
        version: FIRST,
        managed: true,
        note: null,
        prometheusUrl: null,
        links: null,
      },
    ]);
  });

  it('refuses bad extension requests with a code, writing nothing', async () => {
    assert.match(
      await refused(INSTALL_EXT, { extension: 'jaeger' }, 'BAD_USER_INPUT', 'UNKNOWN_EXTENSION'),
      /deprecated jaeger/,
    );
    await refused(
      INSTALL_EXT,
      { extension: 'viz', version: 'enterprise-2.19.1' },
      'FAILED_PRECONDITION',
      'EXTENSION_VERSION_MISMATCH',
    );
    await refused(INSTALL_EXT, { extension: 'viz' }, 'FAILED_PRECONDITION', 'EXTENSION_INSTALLED');
    // A release of the control plane's major that the catalog has no viz bundle of.
    assert.match(
      await refused(
        UPGRADE_EXT,
        { extension: 'viz', version: 'edge-26.7.99' },
        'BAD_USER_INPUT',
        'NOT_IN_CATALOG',
      ),
      /no viz bundle for edge-26\.7\.99/,
    );
    assert.match(
      await refused(
        UPGRADE_EXT,
        { extension: 'viz', prometheusUrl: 'prometheus:9090' },
        'BAD_USER_INPUT',
        'BAD_PROMETHEUS_URL',
      ),
      /not http or https/,
    );
    await refused(
      UPGRADE_EXT,
      { extension: 'viz', prometheusUrl: 'https://admin:secret@prom.example.invalid' },
      'BAD_USER_INPUT',
      'BAD_PROMETHEUS_URL',
    );
    await refused(
      INSTALL_EXT,
      { extension: 'multicluster', prometheusUrl: PROM_URL },
      'BAD_USER_INPUT',
      'VIZ_ONLY',
    );
    await refused(
      INSTALL_EXT,
      { extension: 'multicluster', allowScrapesNamespaces: ['emojivoto'] },
      'BAD_USER_INPUT',
      'VIZ_ONLY',
    );
    await refused(
      UPGRADE_EXT,
      { extension: 'viz', allowScrapesNamespaces: ['nowhere'] },
      'BAD_USER_INPUT',
      'UNKNOWN_NAMESPACE',
    );
    await refused(
      UPGRADE_EXT,
      { extension: 'multicluster' },
      'FAILED_PRECONDITION',
      'EXTENSION_NOT_INSTALLED',
    );
    // Core uninstall while viz is there, as `linkerd uninstall` refuses.
    const before = await operationCount();
    const r = await q(`mutation($c: ID!) { uninstallLinkerd(clusterId: $c) { id } }`, { c: clusterId });
    assert.equal(errorCode(r), 'FAILED_PRECONDITION');
    assert.equal(r.errors![0]!.extensions!['reason'], 'EXTENSIONS_INSTALLED');
    assert.match(r.errors![0]!.message, /viz in linkerd-viz/);
    assert.equal(await operationCount(), before);
  });

  it('under its MANAGED RBAC, the agent names a labelled object it may not delete instead of pruning it', async () => {
    const stray = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'linkerd-viz', name: 'made-by-hand' };
    await ops.apply({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: stray.name, namespace: stray.namespace, labels: { 'linkerd.io/extension': 'viz' } },
    } as AnyObject);
    const done = await run(UPGRADE_EXT, { i: { clusterId, extension: 'viz' } }, 'upgradeExtension');
    assert.equal(done.status, 'FAILED');
    assert.equal(done.error.code, 'APPLY_FAILED');
    assert.match(
      done.error.message,
      /ConfigMap linkerd-viz\/made-by-hand is labelled for the extension but the agent's RBAC does not let it delete that name/,
    );
    assert.ok(await ops.get(stray), 'left in place');
    await ops.delete(stray);
  });

  it('switches viz to an external Prometheus: the bundled one pruned, the metrics-api pointed at the URL, shown in GraphQL', async () => {
    const done = await run(
      UPGRADE_EXT,
      { i: { clusterId, extension: 'viz', prometheusUrl: PROM_URL } },
      'upgradeExtension',
    );
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify({ error: done.error, steps: done.steps }));
    assert.equal(done.params.prometheusUrl, PROM_URL);
    const prune = done.steps.filter((s: any) => s.step === 'prune').at(-1);
    assert.match(prune.message, /Deployment linkerd-viz\/prometheus/);
    assert.match(prune.message, /ClusterRole linkerd-linkerd-viz-prometheus/);
    const viz = (kind: string, name: string, apiVersion = 'v1') =>
      ops.get<AnyObject>({ apiVersion, kind, namespace: 'linkerd-viz', name });
    assert.equal(await viz('Deployment', 'prometheus', 'apps/v1'), null);
    assert.equal(await viz('ConfigMap', 'prometheus-config'), null);
    assert.ok(
      await viz('Server', 'prometheus-admin', 'policy.linkerd.io/v1beta3'),
      'policies stay, as in the chart',
    );
    const api = (await viz('Deployment', 'metrics-api', 'apps/v1')) as any;
    assert.ok(api.spec.template.spec.containers[0].args.includes(`-prometheus-url=${PROM_URL}`));
    const c = await eventually(
      cluster,
      (c) => c.linkerd.extensions.find((e: any) => e.name === 'viz')?.prometheusUrl === PROM_URL,
      30_000,
      'the report shows the external Prometheus',
    );
    assert.ok(c);
  });

  it("a rollout to a new release upgrades viz in the same wave, in Linkerd's order: control plane, viz, data plane", async () => {
    const r = await q(`mutation($i: RolloutInput!) { startRollout(input: $i) { id } }`, {
      i: {
        targetVersion: VERSION,
        selector: { clusterIds: [clusterId] },
        strategy: { canaryCount: 1, healthGateSeconds: 1, maxFailures: 0 },
      },
    });
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    const ROLLOUT = `query($id: ID!) { rollout(id: $id) { status targets { status operationId reason } } }`;
    const rollout = await eventually(
      async () => (await q(ROLLOUT, { id: r.data!.startRollout.id })).data!.rollout,
      (x) => !['PENDING', 'RUNNING'].includes(x.status),
      180_000,
      'rollout finished',
    );
    assert.equal(rollout.status, 'SUCCEEDED', JSON.stringify(rollout));
    const op = (
      await q(`query($id: ID!) { operation(id: $id) { ${OP} } }`, { id: rollout.targets[0].operationId })
    ).data!.operation;
    assert.deepEqual(
      op.params.extensions.map((e: any) => `${e.extension} ${e.release.version} ${e.prometheusUrl}`),
      [`viz ${VERSION} ${PROM_URL}`],
      'viz keeps its external Prometheus through the core upgrade',
    );

    const done = op;
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify({ error: done.error, steps: done.steps }));
    const at = (step: string, pattern?: RegExp) =>
      done.steps.findIndex(
        (s: any) => s.step === step && s.status === 'succeeded' && (!pattern || pattern.test(s.message)),
      );
    const order = [at('control-plane'), at('extension', /^viz edge-26\.8\.3/), at('rollout', /^viz/)];
    const dataPlane = done.steps.findIndex((s: any) => s.step === 'data-plane-restart');
    assert.ok(
      order.every((i) => i >= 0),
      JSON.stringify(done.steps),
    );
    assert.deepEqual(
      [...order, dataPlane],
      [...order, dataPlane].sort((a, b) => a - b),
      JSON.stringify(done.steps),
    );
    const tap = await ops.get<AnyObject>({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: 'linkerd-viz',
      name: 'tap',
    });
    assert.match(JSON.stringify(tap), new RegExp(`tap:${VERSION}`));
    assert.equal(
      await ops.get({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        namespace: 'linkerd-viz',
        name: 'prometheus',
      }),
      null,
      'no bundled Prometheus came back',
    );
  });

  it('upgrades viz and prunes what the new render no longer has', async () => {
    // An object an older render had (viz bundled Grafana up to 2.11): labelled for viz, not in this release's bundle.
    await ops.apply({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'grafana-config',
        namespace: 'linkerd-viz',
        labels: { 'linkerd.io/extension': 'viz' },
      },
      data: { a: 'b' },
    } as AnyObject);
    const done = await run(
      UPGRADE_EXT,
      { i: { clusterId, extension: 'viz', version: OLDER_SAME_MAJOR } },
      'upgradeExtension',
    );
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify({ error: done.error, steps: done.steps }));
    assert.equal(
      done.params.prometheusUrl,
      PROM_URL,
      'an upgrade without prometheusUrl keeps the current one',
    );
    const prune = done.steps.filter((s: any) => s.step === 'prune').at(-1);
    assert.equal(prune.status, 'succeeded');
    assert.match(prune.message, /deleted 1 objects .*ConfigMap linkerd-viz\/grafana-config/);
    assert.ok((await labelled(ops, 'viz')).includes('Server emojivoto/proxy-admin'), 'allow-scrapes kept');
    assert.equal(
      await ops.get({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        namespace: 'linkerd-viz',
        name: 'grafana-config',
      }),
      null,
    );
    const tap = await ops.get<AnyObject>({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: 'linkerd-viz',
      name: 'tap',
    });
    assert.match(JSON.stringify(tap), new RegExp(`tap:${OLDER_SAME_MAJOR}`));
  });

  it('uninstalls viz: nothing labelled for it remains, allow-scrapes policies in application namespaces included', async () => {
    const meta = (name: string) => ({
      name,
      namespace: 'emojivoto',
      labels: { 'linkerd.io/extension': 'viz' },
    });
    await ops.apply({
      apiVersion: 'policy.linkerd.io/v1beta3',
      kind: 'Server',
      metadata: meta('proxy-admin'),
      spec: { podSelector: {}, port: 'linkerd-admin', proxyProtocol: 'HTTP/1' },
    } as AnyObject);
    await ops.apply({
      apiVersion: 'policy.linkerd.io/v1alpha1',
      kind: 'AuthorizationPolicy',
      metadata: meta('prometheus-scrape'),
      spec: {
        targetRef: { group: 'policy.linkerd.io', kind: 'Server', name: 'proxy-admin' },
        requiredAuthenticationRefs: [
          { kind: 'ServiceAccount', name: 'prometheus', namespace: 'linkerd-viz' },
        ],
      },
    } as AnyObject);
    assert.ok((await labelled(ops, 'viz')).includes('Server emojivoto/proxy-admin'));
    const done = await run(UNINSTALL_EXT, { i: { clusterId, extension: 'viz' } }, 'uninstallExtension');
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify({ error: done.error, steps: done.steps }));
    assert.deepEqual(await labelled(ops, 'viz'), []);
    assert.equal(await ops.get({ apiVersion: 'v1', kind: 'Namespace', name: 'linkerd-viz' }), null);
    // The control plane stays.
    assert.ok(await ops.get({ apiVersion: 'v1', kind: 'Namespace', name: 'linkerd' }));
    await eventually(
      cluster,
      (c) => !c.health.categories.some((x: any) => x.name === 'linkerd-viz'),
      30_000,
      'the report no longer shows viz',
    );
  });

  it('multicluster: uninstall is refused while the report lists a Link, leaving it all in place; removed once unlinked', async () => {
    const done = await run(INSTALL_EXT, { i: { clusterId, extension: 'multicluster' } }, 'installExtension');
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify({ error: done.error, steps: done.steps }));
    await ops.apply({
      ...LINK,
      metadata: { name: 'east', namespace: 'linkerd-multicluster' },
      spec: { targetClusterName: 'east', gatewayAddress: 'east.example.invalid', gatewayPort: '4143' },
    } as AnyObject);
    // Links are no informer's: a namespace coming or going makes the agent report again.
    const POKE = { apiVersion: 'v1', kind: 'Namespace', name: 'e2e-poke' };
    const poke = (n: string) =>
      n === '1'
        ? ops.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: POKE.name } } as AnyObject)
        : ops.delete(POKE);
    const linksReported = (links: string[]) =>
      eventually(
        cluster,
        (c) =>
          JSON.stringify(c.linkerd.extensions.find((e: any) => e.name === 'multicluster')?.links) ===
          JSON.stringify(links),
        30_000,
        `the report lists Links ${links.join(', ') || 'none'}`,
      );
    await poke('1');
    await linksReported(['linkerd-multicluster/east']);
    const before = await labelled(ops, 'multicluster');
    const msg = await refused(
      UNINSTALL_EXT,
      { extension: 'multicluster' },
      'FAILED_PRECONDITION',
      'LINKS_EXIST',
    );
    assert.match(msg, /linkerd-multicluster\/east/);
    assert.deepEqual(await labelled(ops, 'multicluster'), before, 'nothing removed');

    await ops.delete({ ...LINK, namespace: 'linkerd-multicluster', name: 'east' });
    await poke('2');
    await linksReported([]);
    const removed = await run(
      UNINSTALL_EXT,
      { i: { clusterId, extension: 'multicluster' } },
      'uninstallExtension',
    );
    assert.equal(removed.status, 'SUCCEEDED', JSON.stringify({ error: removed.error, steps: removed.steps }));
    assert.deepEqual(await labelled(ops, 'multicluster'), []);
  });
});
