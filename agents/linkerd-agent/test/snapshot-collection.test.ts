// What the informers add to the snapshot for the RBAC, viz and cluster-network checks, and that a
// resource the cluster does not serve (or the agent's role does not grant) leaves the agent
// synced with that field undefined, so its checks are skipped rather than failed.
import { vizRenderObjects } from '@meshfleet/linkerd/dist/src/catalog/testing/viz-render.fixture';
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Simulator } from '@meshfleet/kube-sim';
import { runChecks } from '@meshfleet/linkerd';
import { ClusterOps } from '../src/kube/cluster-ops';
import { KubeAccess } from '../src/kube/kube-access';
import { loadKubeConfig } from '../src/kube/kube-config';
import { createServingCa, issueServingCert } from '../src/tasks/lifecycle/agent-pki';
import { eventually, quietLog, startSim } from './sim-fixture';

const TAP = 'v1alpha1.tap.linkerd.io';
const names = (xs: Array<{ metadata?: { name?: string; namespace?: string } }> | undefined) =>
  (xs ?? []).map((x) => (x.metadata?.namespace ? `${x.metadata.namespace}/` : '') + x.metadata?.name);

describe('snapshot collection of APIServices, RBAC, nodes and Services', () => {
  let sim: Simulator;
  let ops: ClusterOps;
  const stops: Array<() => Promise<void>> = [];
  let tapCaBundle = '';

  const access = async () => {
    const kube = new KubeAccess(
      {
        kubeconfigPath: null,
        kubeconfigYaml: sim.kubeconfigFor('meshed'),
        linkerdNamespaces: ['linkerd', 'linkerd-viz'],
      },
      quietLog,
    );
    kube.start();
    stops.push(() => kube.stop());
    assert.equal(await kube.waitForSync(AbortSignal.timeout(10_000)), true, 'every informer synced');
    return kube;
  };
  const tapCheck = async (kube: KubeAccess) => {
    await kube.refreshServerVersion();
    const results = await runChecks(kube.snapshot(), {
      controlPlaneNamespace: 'linkerd',
      vizNamespace: 'linkerd-viz',
      certExpiryWarningDays: 60,
    });
    return results.categories
      .flatMap((c) => c.checks)
      .find((c) => c.description === 'tap API service is running');
  };

  before(async () => {
    sim = await startSim();
    ops = new ClusterOps(
      loadKubeConfig({ kubeconfigPath: null, kubeconfigYaml: sim.kubeconfigFor('meshed') }).kc,
    );
    // A viz namespace, so the viz category (and its tap API service check) applies.
    await ops.apply({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'linkerd-viz', labels: { 'linkerd.io/extension': 'viz' } },
    });
    await ops.apply({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'tap', namespace: 'linkerd-viz' },
    });
    // tap's serving cert, so the (fatal) cert check passes and the tap API service check is reached.
    const ca = await createServingCa('tap test CA');
    const tap = await issueServingCert(ca, ['tap.linkerd-viz.svc']);
    const b64 = (x: string) => Buffer.from(x).toString('base64');
    tapCaBundle = b64(ca.cert.toString('pem'));
    await ops.apply({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'tap-k8s-tls', namespace: 'linkerd-viz' },
      type: 'kubernetes.io/tls',
      data: { 'tls.crt': b64(tap.certPem), 'tls.key': b64(tap.keyPem) },
    });
    await ops.apply({
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'app', namespace: 'emojivoto' },
    });
    await ops.apply({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'linkerd-linkerd-viz-tap', labels: { 'linkerd.io/extension': 'viz' } },
      rules: [],
    });
    await ops.apply({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'someone-elses-role' },
      rules: [],
    });
    // kubectl's last-applied annotation: the bulk of a real Service, and never read. Linkerd's
    // opaque-ports annotation is read (the --proxy opaque ports check) and must survive.
    await ops.apply({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 'annotated',
        namespace: 'legacy',
        annotations: {
          'kubectl.kubernetes.io/last-applied-configuration': 'x'.repeat(20_000),
          'config.linkerd.io/opaque-ports': '5432',
        },
      },
      spec: { clusterIP: '10.96.0.50', selector: { app: 'billing' }, ports: [{ port: 80 }] },
    });
  });
  after(async () => {
    for (const s of stops) await s();
    await sim?.close();
  });

  it('carries the Linkerd namespaces’ ServiceAccounts, Linkerd’s ClusterRoles/Bindings, nodes and stripped Services', async () => {
    const kube = await access();
    const s = kube.snapshot();
    const sas = names(s.serviceAccounts);
    for (const sa of ['linkerd/linkerd-identity', 'linkerd/linkerd-destination', 'linkerd-viz/tap'])
      assert.ok(sas.includes(sa), `${sa} in ${sas.join(', ')}`);
    assert.ok(!sas.includes('emojivoto/app'), 'only the Linkerd namespaces');

    const roles = names(s.clusterRoles);
    for (const r of ['linkerd-linkerd-identity', 'linkerd-linkerd-proxy-injector', 'linkerd-linkerd-viz-tap'])
      assert.ok(roles.includes(r), `${r} in ${roles.join(', ')}`);
    assert.ok(!roles.includes('someone-elses-role'), 'selected by Linkerd labels on the server');
    assert.equal(new Set(roles).size, roles.length, 'no duplicates across the two selectors');
    assert.ok(names(s.clusterRoleBindings).includes('linkerd-linkerd-identity'));

    assert.equal(s.nodes?.length, 2);
    const svc = s.services?.find((x) => x.metadata?.name === 'annotated');
    assert.equal(svc?.spec?.clusterIP, '10.96.0.50', 'cluster IP kept');
    assert.deepEqual(svc.spec.selector, { app: 'billing' });
    assert.deepEqual(
      svc.metadata?.annotations,
      { 'config.linkerd.io/opaque-ports': '5432' },
      'only Linkerd annotations kept when caching',
    );
    assert.equal(svc.metadata?.managedFields, undefined);
    assert.ok(names(s.services).includes('emojivoto/web'));

    // A Service created later arrives through the watch, stripped too.
    await ops.apply({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'later', namespace: 'legacy', annotations: { a: 'b' } },
      spec: { ports: [{ port: 81 }] },
    });
    const later = await eventually(
      () => kube.snapshot().services?.find((x) => x.metadata?.name === 'later'),
      (v) => !!v,
      5000,
      'Service in cache',
    );
    assert.equal(later!.metadata?.annotations, undefined);
  });

  it('feeds the --proxy opaque ports check: a Service marking a port opaque that its pod does not', async () => {
    const kube = await access();
    const target = kube
      .snapshot()
      .pods.find(
        (p) =>
          p.metadata?.namespace === 'emojivoto' &&
          p.status?.podIP &&
          !p.metadata?.annotations?.['config.linkerd.io/opaque-ports'] &&
          p.spec?.containers.some((c) => c.name !== 'linkerd-proxy' && c.ports?.length),
      );
    assert.ok(target, 'a running emojivoto pod with a container port');
    const port = target
      .spec!.containers.filter((c) => c.name !== 'linkerd-proxy')
      .flatMap((c) => c.ports ?? [])[0]!.containerPort;
    await ops.apply({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 'opaque-check',
        namespace: 'emojivoto',
        annotations: { 'config.linkerd.io/opaque-ports': String(port) },
      },
      spec: { selector: target.metadata!.labels!, ports: [{ port, targetPort: port }] },
    });
    await kube.refreshServerVersion();
    const check = await eventually(
      async () => {
        const r = await runChecks(kube.snapshot(), {
          controlPlaneNamespace: 'linkerd',
          dataPlaneNamespace: 'emojivoto',
        });
        return r.categories
          .flatMap((c) => c.checks)
          .find((c) => c.description === 'opaque ports are properly annotated');
      },
      (c) => c?.result === 'warning',
      5000,
      'opaque ports warning',
    );
    assert.ok(
      check!.error!.includes(
        `service opaque-check expects target port ${port} to be opaque; add it to pod ${target.metadata!.name} config.linkerd.io/opaque-ports annotation`,
      ),
      check!.error,
    );
    assert.deepEqual(check!.namespaces, ['emojivoto']);
  });

  it('leaves the agent synced and the tap check skipped when APIServices are not served or not granted', async () => {
    const served = await ops.listIfServed('apiregistration.k8s.io/v1', 'APIService');
    // Forbidden works on every simulator version; not served is the case before aggregation exists.
    sim.cluster('meshed').faults.denyAccess(['apiservices']);
    try {
      const kube = await access();
      // Undefined, not []: with an empty list the tap API service check would fail.
      assert.equal(kube.snapshot().apiServices, undefined);
      const check = await tapCheck(kube);
      assert.ok(check?.result !== 'error' && check?.result !== 'warning', 'skipped, not failed');
      assert.ok(kube.snapshot().pods.length > 0, 'the rest of the snapshot is there');
      if (!served) {
        sim.cluster('meshed').faults.denyAccess([]);
        const unserved = await access();
        assert.equal(unserved.snapshot().apiServices, undefined, 'a 404 leaves it undefined too');
      }
    } finally {
      sim.cluster('meshed').faults.denyAccess([]);
    }
  });

  it('carries APIServices once served, and the tap check reads their Available condition', async () => {
    // The simulator serves APIServices with the aggregator's Available condition; viz's
    // ClusterRoles/Bindings must exist or the fatal RBAC checks end the viz run first.
    const fakeCert = { certPem: '', keyPem: '' };
    for (const o of vizRenderObjects({
      version: 'edge-26.8.3',
      tap: fakeCert,
      tapInjector: fakeCert,
      caPem: '',
    }))
      if (o.kind === 'ClusterRole' || o.kind === 'ClusterRoleBinding') await ops.apply(o);
    const kube = await access();
    await ops.apply({
      apiVersion: 'apiregistration.k8s.io/v1',
      kind: 'APIService',
      metadata: { name: TAP, labels: { 'linkerd.io/extension': 'viz' } },
      spec: {
        group: 'tap.linkerd.io',
        version: 'v1alpha1',
        service: { name: 'tap', namespace: 'linkerd-viz' },
        caBundle: tapCaBundle,
      },
    });
    // No tap Service yet: the aggregator reports ServiceNotFound.
    await eventually(
      () => tapCheck(kube),
      (c) => c?.result === 'warning' || c?.result === 'error',
      5000,
      'tap check fails while unavailable',
    );
    // A selector-less Service with a hand-written ready endpoint: the aggregator reports Passed.
    await ops.apply({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'tap', namespace: 'linkerd-viz' },
      spec: { ports: [{ name: 'apiserver', port: 443, targetPort: 8089 }] },
    });
    await ops.apply({
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'tap', namespace: 'linkerd-viz' },
      subsets: [{ addresses: [{ ip: '10.244.9.9' }], ports: [{ name: 'apiserver', port: 8089 }] }],
    });
    const ok = await eventually(
      () => tapCheck(kube),
      (c) => c?.result === 'success',
      5000,
      'tap check passes',
    );
    assert.equal(ok?.result, 'success');
    assert.ok(names(kube.snapshot().apiServices).includes(TAP));
  });
});
