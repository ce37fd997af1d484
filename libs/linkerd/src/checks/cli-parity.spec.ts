// Checks added for parity with `linkerd check` / `linkerd viz check` (healthcheck.go).
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type {
  V1ClusterRole,
  V1ClusterRoleBinding,
  V1Node,
  V1Service,
  V1ServiceAccount,
} from '@kubernetes/client-node';
import type { CheckResults } from '@meshfleet/agent-protocol';
import { CheckResultsSchema } from '@meshfleet/agent-protocol';
import { healthyCluster, NOW, pod } from '../testing/cluster.fixture';
import { makeCert, makePki, type TestPki } from '../testing/pki.fixture';
import type { ClusterSnapshot } from '../snapshot';
import { runChecks } from './run-checks';

function find(r: CheckResults, category: string, description: string) {
  return r.categories.find((c) => c.name === category)?.checks.find((c) => c.description === description);
}

const NETWORKS = '10.0.0.0/8,100.64.0.0/10,172.16.0.0/12,192.168.0.0/16,fd00::/8';
const CP_LABELS = { 'linkerd.io/control-plane-ns': 'linkerd' };

function withConfigLines(s: ClusterSnapshot, ...lines: string[]): ClusterSnapshot {
  const cm = s.configMaps.find((c) => c.metadata?.name === 'linkerd-config')!;
  cm.data = { values: `${cm.data!['values']}\n${lines.join('\n')}` };
  return s;
}

const node = (name: string, podCIDR?: string): V1Node => ({
  metadata: { name },
  spec: podCIDR ? { podCIDR } : {},
});
const service = (ns: string, name: string, clusterIP: string): V1Service => ({
  metadata: { namespace: ns, name },
  spec: { clusterIP },
});

const binding = (name: string, labels?: Record<string, string>): V1ClusterRoleBinding => ({
  metadata: { name, ...(labels ? { labels } : {}) },
  roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
});

function withRbac(s: ClusterSnapshot): ClusterSnapshot {
  const named = (name: string, ns?: string, labels: Record<string, string> = CP_LABELS) => ({
    metadata: { name, ...(ns ? { namespace: ns } : {}), labels },
  });
  const roles = ['linkerd-linkerd-identity', 'linkerd-linkerd-proxy-injector', 'linkerd-heartbeat'];
  s.clusterRoles = roles.map((n) => named(n)) as V1ClusterRole[];
  s.clusterRoleBindings = roles.map((n) => binding(n, CP_LABELS));
  s.serviceAccounts = [
    'linkerd-destination',
    'linkerd-identity',
    'linkerd-proxy-injector',
    'linkerd-heartbeat',
  ].map((n) => named(n, 'linkerd')) as V1ServiceAccount[];
  return s;
}

describe('CLI parity checks', () => {
  let pki: TestPki;
  before(async () => {
    pki = await makePki(NOW);
  });

  describe('gateway-api-crd', () => {
    const gatewayCrd = (name: string, versions: string[], annotations?: Record<string, string>) => ({
      metadata: { name, ...(annotations ? { annotations } : {}) },
      spec: {
        group: 'gateway.networking.k8s.io',
        names: { kind: '', plural: '' },
        scope: 'Namespaced',
        versions: versions.map((v) => ({ name: v, served: true, storage: v === 'v1' })),
      },
    });

    it('passes right after kubernetes-version when HTTPRoute serves v1', async () => {
      const s = healthyCluster(pki, { version: 'edge-26.8.3' });
      s.crds.push(gatewayCrd('httproutes.gateway.networking.k8s.io', ['v1beta1', 'v1']));
      const r = await runChecks(s);
      assert.deepEqual(
        r.categories.slice(0, 4).map((c) => c.name),
        ['kubernetes-api', 'kubernetes-version', 'gateway-api-crd', 'linkerd-existence'],
      );
      const check = find(r, 'gateway-api-crd', 'Gateway API CRDs are installed');
      assert.equal(check?.result, 'success');
      assert.equal(check?.fatal, true);
    });

    it('fails fatally without the CRDs, and nothing after it runs', async () => {
      const r = await runChecks(healthyCluster(pki, { version: 'edge-26.8.3' }));
      const check = find(r, 'gateway-api-crd', 'Gateway API CRDs are installed');
      assert.equal(check?.result, 'error');
      assert.match(check?.error ?? '', /The Gateway API CRDs must be installed prior to installing Linkerd/);
      assert.equal(check?.hint, 'https://linkerd.io/2/checks/#gateway-api-crd');
      assert.deepEqual(
        r.categories.map((c) => c.name),
        ['kubernetes-api', 'kubernetes-version', 'gateway-api-crd'],
      );
      assert.equal(r.success, false);
      assert.ok(r.notRun?.some((c) => c.description === "'linkerd-config' config map exists"));
    });

    it('fails an external install that lacks v1, accepts one Linkerd created', async () => {
      const s = healthyCluster(pki, { version: 'edge-26.8.3' });
      s.crds.push(gatewayCrd('httproutes.gateway.networking.k8s.io', ['v1beta1']));
      const r = await runChecks(s);
      assert.match(
        find(r, 'gateway-api-crd', 'Gateway API CRDs are installed')?.error ?? '',
        /httproutes.gateway.networking.k8s.io CRD is missing the v1 version/,
      );
      const old = healthyCluster(pki, { version: 'edge-26.8.3' });
      old.crds.push(
        gatewayCrd('httproutes.gateway.networking.k8s.io', ['v1beta1'], {
          'linkerd.io/created-by': 'linkerd/helm edge-24.2.1',
        }),
      );
      const r2 = await runChecks(old);
      assert.equal(find(r2, 'gateway-api-crd', 'Gateway API CRDs are installed')?.result, 'success');
    });

    it('is not run for releases whose CLI did not have it (before edge-26.7.1 / 2.21)', async () => {
      for (const version of ['edge-26.6.3', 'enterprise-2.20.0']) {
        const r = await runChecks(healthyCluster(pki, { version }));
        assert.ok(!r.categories.some((c) => c.name === 'gateway-api-crd'), version);
      }
    });
  });

  describe('cluster networks', () => {
    const networked = () => {
      const s = withConfigLines(healthyCluster(pki), `clusterNetworks: "${NETWORKS}"`);
      s.nodes = [node('n1', '10.244.0.0/24'), node('n2', '10.244.1.0/24')];
      s.services = [service('shop', 'web', '10.96.4.2'), service('shop', 'db', 'None')];
      return s;
    };

    it('passes when nodes, pods and services are all inside clusterNetworks', async () => {
      const r = await runChecks(networked());
      for (const d of [
        'cluster networks contains all node podCIDRs',
        'cluster networks contains all pods',
        'cluster networks contains all services',
      ])
        assert.equal(find(r, 'linkerd-existence', d)?.result, 'success', d);
      assert.equal(find(r, 'linkerd-existence', 'cluster networks contains all pods')?.fatal, false);
    });

    it('fails each one (as errors, not fatal) with the CLI messages', async () => {
      const s = networked();
      s.nodes!.push(node('n3', '203.0.113.0/24'), node('n4', '10.0.0.0/7'));
      s.pods.push(pod({ ns: 'shop', name: 'odd-1', ip: '198.51.100.7' }));
      s.services!.push(service('shop', 'ext', '198.51.100.20'));
      const r = await runChecks(s);
      const cidr = find(r, 'linkerd-existence', 'cluster networks contains all node podCIDRs');
      assert.equal(cidr?.result, 'error');
      assert.equal(cidr?.hint, 'https://linkerd.io/2/checks/#l5d-cluster-networks-cidr');
      assert.equal(
        cidr?.error,
        'node has podCIDR(s) [10.0.0.0/7 203.0.113.0/24] which are not contained in the Linkerd clusterNetworks.\n' +
          '\tTry installing linkerd via --set clusterNetworks="10.0.0.0/7\\,203.0.113.0/24"',
      );
      const pods = find(r, 'linkerd-existence', 'cluster networks contains all pods');
      assert.equal(pods?.hint, 'https://linkerd.io/2/checks/#l5d-cluster-networks-pods');
      assert.match(pods?.error ?? '', /do not include pod shop\/odd-1 \(198\.51\.100\.7\)/);
      const svcs = find(r, 'linkerd-existence', 'cluster networks contains all services');
      assert.equal(svcs?.hint, 'https://linkerd.io/2/checks/#l5d-cluster-networks-pods');
      assert.match(svcs?.error ?? '', /do not include svc shop\/ext \(198\.51\.100\.20\)/);
      // Not fatal: the run goes on.
      assert.ok(r.categories.some((c) => c.name === 'linkerd-config'));
    });

    it('skips the node and service checks when the agent collected neither', async () => {
      const s = networked();
      delete s.nodes;
      delete s.services;
      const r = await runChecks(s);
      assert.equal(find(r, 'linkerd-existence', 'cluster networks contains all node podCIDRs'), undefined);
      assert.equal(find(r, 'linkerd-existence', 'cluster networks contains all services'), undefined);
      assert.equal(find(r, 'linkerd-existence', 'cluster networks contains all pods')?.result, 'success');
    });

    it('handles IPv6 pods', async () => {
      const s = networked();
      s.pods.push(
        pod({ ns: 'shop', name: 'v6-1', ip: 'fd00:10::5' }),
        pod({ ns: 'shop', name: 'v6-2', ip: '2001:db8::1' }),
      );
      const r = await runChecks(s);
      assert.match(find(r, 'linkerd-existence', 'cluster networks contains all pods')?.error ?? '', /v6-2/);
    });
  });

  describe('RBAC and ServiceAccounts', () => {
    it('runs the four existence checks once the agent collects them', async () => {
      const r = await runChecks(withRbac(healthyCluster(pki)));
      assert.equal(find(r, 'linkerd-existence', 'heartbeat ServiceAccount exist')?.result, 'success');
      for (const d of [
        'control plane ClusterRoles exist',
        'control plane ClusterRoleBindings exist',
        'control plane ServiceAccounts exist',
      ])
        assert.equal(find(r, 'linkerd-config', d)?.result, 'success', d);
    });

    it('only counts objects with the control-plane label, as the CLI selector does', async () => {
      const s = withRbac(healthyCluster(pki));
      s.clusterRoles!.find((c) => c.metadata?.name === 'linkerd-linkerd-identity')!.metadata!.labels = {};
      const r = await runChecks(s);
      const check = find(r, 'linkerd-config', 'control plane ClusterRoles exist');
      assert.equal(check?.error, 'missing ClusterRoles: linkerd-linkerd-identity');
      // Fatal: identity and everything after it do not run.
      assert.equal(find(r, 'linkerd-config', 'control plane ClusterRoleBindings exist'), undefined);
      assert.ok(r.notRun?.some((c) => c.category === 'linkerd-config'));
      assert.ok(!r.categories.some((c) => c.name === 'linkerd-identity'));
    });

    it('fails a missing heartbeat ServiceAccount fatally, passes it when the heartbeat is disabled', async () => {
      const s = withRbac(healthyCluster(pki));
      s.serviceAccounts = s.serviceAccounts!.filter((a) => a.metadata?.name !== 'linkerd-heartbeat');
      const r = await runChecks(s);
      assert.equal(
        find(r, 'linkerd-existence', 'heartbeat ServiceAccount exist')?.error,
        'missing ServiceAccounts: linkerd-heartbeat',
      );
      assert.ok(!r.categories.some((c) => c.name === 'linkerd-config'));
      const off = await runChecks(withConfigLines(s, 'disableHeartBeat: true'));
      assert.equal(find(off, 'linkerd-existence', 'heartbeat ServiceAccount exist')?.result, 'success');
    });

    it('fails missing ServiceAccounts', async () => {
      const s = withRbac(healthyCluster(pki));
      s.serviceAccounts = s.serviceAccounts!.filter((a) => a.metadata?.name !== 'linkerd-destination');
      const r = await runChecks(s);
      assert.equal(
        find(r, 'linkerd-config', 'control plane ServiceAccounts exist')?.error,
        'missing ServiceAccounts: linkerd-destination',
      );
    });
  });

  describe('linkerd-extension-checks', () => {
    it('passes with one namespace per extension and warns when two claim the same', async () => {
      const s = healthyCluster(pki);
      const r = await runChecks(s);
      assert.equal(
        find(r, 'linkerd-extension-checks', 'namespace configuration for extensions')?.result,
        'success',
      );
      s.namespaces.push(
        { metadata: { name: 'jaeger-a', labels: { 'linkerd.io/extension': 'jaeger' } } },
        { metadata: { name: 'jaeger-b', labels: { 'linkerd.io/extension': 'jaeger' } } },
      );
      const bad = await runChecks(s);
      const check = find(bad, 'linkerd-extension-checks', 'namespace configuration for extensions');
      assert.equal(check?.result, 'warning');
      assert.equal(
        check?.error,
        'some extensions have invalid configuration\n' +
          '\t* label "linkerd.io/extension=jaeger" is present on more than one namespace:\n\t\t* jaeger-a\n\t\t* jaeger-b',
      );
      assert.equal(bad.success, true, 'a warning keeps the run successful');
    });
  });

  describe('linkerd-viz', () => {
    const withViz = async (s: ClusterSnapshot, metricsApiReady: boolean) => {
      const tap = await makeCert({ cn: 'tap', now: NOW, to: 200, dnsNames: ['tap.linkerd-viz.svc'] });
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
      s.namespaces.push({ metadata: { name: 'linkerd-viz', labels: { 'linkerd.io/extension': 'viz' } } });
      s.pods.push(
        pod({
          ns: 'linkerd-viz',
          name: 'metrics-api-1',
          ready: metricsApiReady,
          labels: { 'linkerd.io/extension': 'viz', component: 'metrics-api' },
        }),
      );
      return s;
    };
    const vizRbac = (s: ClusterSnapshot, drop?: string) => {
      withRbac(s);
      const roles = ['tap', 'metrics-api', 'tap-admin'].map((r) => `linkerd-linkerd-viz-${r}`);
      const bindings = ['tap', 'metrics-api', 'tap-auth-delegator'].map((r) => `linkerd-linkerd-viz-${r}`);
      for (const name of [...roles, 'linkerd-tap-injector'])
        if (name !== drop) s.clusterRoles!.push({ metadata: { name } });
      for (const name of [...bindings, 'linkerd-tap-injector'])
        if (name !== drop) s.clusterRoleBindings!.push(binding(name));
      return s;
    };

    it('checks the viz ClusterRoles and ClusterRoleBindings when collected', async () => {
      const r = await runChecks(vizRbac(await withViz(healthyCluster(pki), true)));
      assert.equal(find(r, 'linkerd-viz', 'linkerd-viz ClusterRoles exist')?.result, 'success');
      assert.equal(find(r, 'linkerd-viz', 'linkerd-viz ClusterRoleBindings exist')?.result, 'success');
      assert.equal(find(r, 'linkerd-viz', 'viz extension self-check')?.result, 'success');
    });

    it('a missing viz ClusterRole stops the viz run only', async () => {
      const r = await runChecks(
        vizRbac(await withViz(healthyCluster(pki), true), 'linkerd-linkerd-viz-tap-admin'),
      );
      const check = find(r, 'linkerd-viz', 'linkerd-viz ClusterRoles exist');
      assert.equal(check?.error, 'missing ClusterRoles: linkerd-linkerd-viz-tap-admin');
      assert.equal(check?.hint, 'https://linkerd.io/2/checks/#l5d-viz-cr-exists');
      assert.ok(
        r.notRun?.some((c) => c.category === 'linkerd-viz' && c.description === 'viz extension self-check'),
      );
      // `linkerd check` runs the extension after the core: the core results are all there.
      assert.ok(r.categories.some((c) => c.name === 'linkerd-extension-checks'));
      const missingBinding = await runChecks(
        vizRbac(await withViz(healthyCluster(pki), true), 'linkerd-linkerd-viz-tap-auth-delegator'),
      );
      assert.equal(
        find(missingBinding, 'linkerd-viz', 'linkerd-viz ClusterRoleBindings exist')?.error,
        'missing ClusterRoleBindings: linkerd-linkerd-viz-tap-auth-delegator',
      );
    });

    it('fails the self-check without a ready metrics-api pod and says how it was judged', async () => {
      const r = await runChecks(await withViz(healthyCluster(pki), false));
      const check = find(r, 'linkerd-viz', 'viz extension self-check');
      assert.equal(check?.result, 'error');
      assert.equal(check?.fatal, true);
      assert.match(check?.error ?? '', /no ready metrics-api pod .*does not call the viz API/);
      assert.equal(r.success, false);
    });
  });

  describe('fatal stop', () => {
    it('lists every later check as not run, never as success, and validates against the protocol', async () => {
      const s = healthyCluster(pki);
      s.pods = s.pods.filter(
        (p) => p.metadata?.labels?.['linkerd.io/control-plane-component'] !== 'identity',
      );
      const r = await runChecks(s);
      const check = find(r, 'linkerd-existence', 'control plane pods are ready');
      assert.equal(check?.result, 'error');
      assert.equal(r.success, false);
      assert.deepEqual(
        r.categories.map((c) => c.name),
        ['kubernetes-api', 'kubernetes-version', 'linkerd-existence'],
      );
      const notRun = r.notRun ?? [];
      assert.ok(notRun.some((c) => c.description === 'cluster networks contains all pods'));
      assert.ok(notRun.some((c) => c.category === 'linkerd-identity'));
      assert.ok(notRun.some((c) => c.category === 'linkerd-extension-checks'));
      const ran = new Set(r.categories.flatMap((c) => c.checks.map((k) => `${c.name}/${k.description}`)));
      assert.ok(notRun.every((c) => !ran.has(`${c.category}/${c.description}`)));
      assert.equal(CheckResultsSchema.safeParse(r).success, true);
    });

    it('an older agent report without notRun still validates', () => {
      const parsed = CheckResultsSchema.parse({ success: true, categories: [] });
      assert.equal(parsed.notRun, undefined);
    });
  });
});
