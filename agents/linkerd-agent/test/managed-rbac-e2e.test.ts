// The agent's MANAGED RBAC is enough, and no more than that: the real agent runs with exactly the
// permissions of the manifest registerCluster returns (the simulator enforces RBAC for its token,
// with Kubernetes' escalate/bind checks) and installs, upgrades (with a data-plane restart),
// rotates the issuer and uninstalls Linkerd through GraphQL; the same token cannot create or bind
// roles that are not Linkerd's.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ClusterOps } from '../src/kube/cluster-ops';
import { loadKubeConfig } from '../src/kube/kube-config';
import { PLAIN_CLUSTER } from './lifecycle-fixture';
import { manifestPrincipal, startE2eFleet, type E2eFleet } from './e2e-fleet';
import { eventually } from './sim-fixture';

const OP = `error steps { step status message }`;
const RBAC = 'rbac.authorization.k8s.io/v1';

describe('lifecycle with the MANAGED RBAC only', () => {
  let fleet: E2eFleet;
  let domainId: string;
  let clusterId: string;

  const run = async (mutation: string, field: string) => {
    const r = await fleet.q(mutation, { c: clusterId, d: domainId });
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    const done = await fleet.finished(r.data![field].id, OP);
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done));
    return done;
  };
  const cluster = async () =>
    (
      await fleet.q(
        `query($id: ID!) { cluster(id: $id) { health { status } linkerd { installed version } } }`,
        {
          id: clusterId,
        },
      )
    ).data!.cluster;

  before(async () => {
    fleet = await startE2eFleet([{ ...PLAIN_CLUSTER, name: 'rbac-1' }], { rbac: 'MANAGED' });
    clusterId = fleet.member('rbac-1').clusterId;
    domainId = (await fleet.q(`mutation { createIdentityDomain(input: { name: "rbac" }) { id } }`)).data!
      .createIdentityDomain.id;
  });
  after(async () => fleet?.stop());

  it('installs, upgrades with a data-plane restart, rotates the issuer and uninstalls', async () => {
    await run(
      `mutation($c: ID!, $d: ID!) { installLinkerd(clusterId: $c, input: { version: "enterprise-2.19.1", identityDomainId: $d }) { id } }`,
      'installLinkerd',
    );
    await eventually(
      cluster,
      (c) => c.linkerd?.version === 'enterprise-2.19.1' && c.health.status === 'HEALTHY',
      30_000,
      'healthy on 2.19',
    );
    await run(
      `mutation($c: ID!) { upgradeLinkerd(clusterId: $c, input: { version: "enterprise-2.20.0", restartDataPlane: true }) { id } }`,
      'upgradeLinkerd',
    );
    await eventually(
      cluster,
      (c) => c.linkerd?.version === 'enterprise-2.20.0' && c.health.status === 'HEALTHY',
      30_000,
      'healthy on 2.20',
    );
    await run(`mutation($c: ID!) { rotateIssuer(clusterId: $c) { id } }`, 'rotateIssuer');
    await run(
      `mutation($c: ID!) { uninstallLinkerd(clusterId: $c, force: true) { id } }`,
      'uninstallLinkerd',
    );
    const c = await eventually(cluster, (c) => c.linkerd?.installed === false, 30_000, 'uninstalled');
    assert.equal(c.health.status, 'NOT_INSTALLED');
  });

  it('cannot create, escalate or bind roles that are not Linkerd’s with the agent’s token', async () => {
    const manifest = (
      await fleet.q(`mutation($c: ID!) { rotateBootstrapToken(clusterId: $c) { agentManifest } }`, {
        c: clusterId,
      })
    ).data!.rotateBootstrapToken.agentManifest;
    const token = fleet.sim.restrictedToken('rbac-1', manifestPrincipal(manifest));
    const ops = new ClusterOps(
      loadKubeConfig({ kubeconfigPath: null, kubeconfigYaml: fleet.sim.kubeconfigFor('rbac-1', token) }).kc,
    );
    const status = async (p: Promise<unknown>) => {
      try {
        await p;
        return 200;
      } catch (e) {
        return (e as { code?: number }).code ?? 0;
      }
    };
    const everything = [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }];
    // Linkerd's own name: `escalate` lets it grant what it does not hold.
    assert.equal(
      await status(
        ops.apply({
          apiVersion: RBAC,
          kind: 'ClusterRole',
          metadata: { name: 'linkerd-heartbeat' },
          rules: everything,
        } as never),
      ),
      200,
    );
    // Any other name: refused, as Kubernetes refuses it.
    assert.equal(
      await status(
        ops.apply({
          apiVersion: RBAC,
          kind: 'ClusterRole',
          metadata: { name: 'mine' },
          rules: everything,
        } as never),
      ),
      403,
    );
    // A Linkerd binding name pointing at cluster-admin: no bind on it, nor its permissions.
    const toAdmin = {
      apiVersion: RBAC,
      kind: 'ClusterRoleBinding',
      metadata: { name: 'linkerd-heartbeat' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
      subjects: [{ kind: 'ServiceAccount', name: 'meshfleet-agent', namespace: 'meshfleet-system' }],
    };
    assert.equal(await status(ops.apply(toAdmin as never)), 403);
    // Secrets other than Linkerd's, and namespaces other than linkerd, are out of reach.
    assert.equal(
      await status(
        ops.apply({
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'db', namespace: 'legacy' },
        } as never),
      ),
      403,
    );
    assert.equal(await status(ops.delete({ apiVersion: 'v1', kind: 'Namespace', name: 'legacy' })), 403);
    // MONITOR's token may read but not write.
    const monitor = manifestPrincipal(manifest);
    monitor.clusterRules = monitor.clusterRules.filter((r) =>
      r.verbs.every((v) => ['get', 'list', 'watch'].includes(v)),
    );
    const ro = new ClusterOps(
      loadKubeConfig({
        kubeconfigPath: null,
        kubeconfigYaml: fleet.sim.kubeconfigFor('rbac-1', fleet.sim.restrictedToken('rbac-1', monitor)),
      }).kc,
    );
    assert.ok((await ro.list('v1', 'Pod')).length > 0);
    assert.equal(
      await status(ro.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'linkerd' } } as never)),
      403,
    );
  });
});
