// The other shapes of real renders end to end: a `helm template` render of the linkerd-crds and
// linkerd-control-plane charts, and a `linkerd install --ha` render, imported through GraphQL and
// installed by the real agent. HA spreads its replicas with required pod anti-affinity, so it
// needs three schedulable nodes: on two it is refused before anything is applied.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  cliRender,
  crdsRender,
  helmRender,
} from '@meshfleet/linkerd/dist/src/catalog/testing/release-renders.fixture';
import { PLAIN_CLUSTER } from './lifecycle-fixture';
import { startE2eFleet, type E2eFleet } from './e2e-fleet';
import { eventually } from './sim-fixture';

const VERSION = 'edge-26.8.3';
const OP = `error steps { step status message }`;
const CLUSTER = `query($id: ID!) { cluster(id: $id) {
  health { status categories { name checks { description result error } } }
  linkerd { installed version ha }
} }`;
const HA_DEPLOYMENTS = ['linkerd-destination', 'linkerd-identity', 'linkerd-proxy-injector'];

describe('Helm and HA renders, imported and installed', () => {
  let fleet: E2eFleet;
  let domainId: string;

  const cluster = async (name: string) =>
    (await fleet.q(CLUSTER, { id: fleet.member(name).clusterId })).data!.cluster;
  const install = async (name: string, ha: boolean) => {
    const r = await fleet.q(
      `mutation($c: ID!, $d: ID!, $v: String!, $ha: Boolean) { installLinkerd(clusterId: $c, input: { version: $v, identityDomainId: $d, highAvailability: $ha }) { id } }`,
      { c: fleet.member(name).clusterId, d: domainId, v: VERSION, ha },
    );
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    return fleet.finished(r.data!.installLinkerd.id, OP);
  };
  const healthy = (name: string) =>
    eventually(
      () => cluster(name),
      (c) => c.linkerd?.version === VERSION && c.health.status === 'HEALTHY',
      30_000,
      `${name} healthy on ${VERSION}`,
    );

  const importRelease = async (i: Record<string, string>) => {
    const r = await fleet.q(
      `mutation($i: ImportLinkerdReleaseInput!) { importLinkerdRelease(input: $i) { version source } }`,
      { i },
    );
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    assert.equal(r.data!.importLinkerdRelease.source, 'IMPORTED');
  };

  before(async () => {
    fleet = await startE2eFleet([
      { ...PLAIN_CLUSTER, name: 'small', nodes: 2 },
      { ...PLAIN_CLUSTER, name: 'spread', nodes: 3 },
    ]);
    await importRelease({ version: VERSION, variant: 'default', ...helmRender(VERSION, 'default') });
    domainId = (await fleet.q(`mutation { createIdentityDomain(input: { name: "variants" }) { id } }`)).data!
      .createIdentityDomain.id;
  });
  after(async () => fleet?.stop());

  it('says which render to import when only the other variant of a version was imported', async () => {
    const r = await fleet.q(
      `mutation($c: ID!, $d: ID!, $v: String!) { installLinkerd(clusterId: $c, input: { version: $v, identityDomainId: $d, highAvailability: true }) { id } }`,
      { c: fleet.member('spread').clusterId, d: domainId, v: VERSION },
    );
    assert.equal(r.errors?.[0]?.extensions?.['code'], 'FAILED_PRECONDITION', JSON.stringify(r.errors));
    assert.match(r.errors![0]!.message, /imported without its ha variant.*linkerd install --ha/);
    await importRelease({
      version: VERSION,
      variant: 'ha',
      ...cliRender(VERSION, 'ha'),
      crdsYaml: crdsRender(VERSION),
    });
  });

  it('refuses HA on two nodes before applying anything', async () => {
    const done = await install('small', true);
    assert.equal(done.status, 'FAILED', JSON.stringify(done));
    assert.equal(done.error.code, 'PRECHECK_FAILED');
    assert.match(
      done.error.message,
      /linkerd-destination needs 3 distinct kubernetes\.io\/hostname \(required pod anti-affinity\), the cluster has 2 usable/,
    );
    assert.equal(
      await fleet.member('small').ops.get({ apiVersion: 'v1', kind: 'Namespace', name: 'linkerd' }),
      null,
      'nothing was applied',
    );
  });

  it('installs the Helm render: SUCCEEDED and HEALTHY', async () => {
    const done = await install('small', false);
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done));
    const c = await healthy('small');
    assert.equal(c.linkerd.ha, false);
    const cm = await fleet.member('small').ops.get<any>({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      namespace: 'linkerd',
      name: 'linkerd-config',
    });
    assert.match(cm.metadata.annotations['linkerd.io/created-by'], /^linkerd\/helm /);
  });

  it('installs the HA render on three nodes: one replica per node, HEALTHY with the HA checks passing', async () => {
    const done = await install('spread', true);
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done));
    const c = await healthy('spread');
    assert.equal(c.linkerd.ha, true);
    const ha = c.health.categories.find((x: any) => x.name === 'linkerd-ha-checks');
    assert.ok(ha, 'the HA checks ran');
    assert.ok(
      ha.checks.every((x: any) => x.result === 'SUCCESS'),
      JSON.stringify(ha.checks),
    );
    const pods = await fleet.member('spread').ops.list<any>('v1', 'Pod', 'linkerd');
    for (const d of HA_DEPLOYMENTS) {
      const mine = pods.filter((p) => p.metadata.name.startsWith(`${d}-`));
      assert.equal(mine.length, 3, `${d} runs 3 replicas`);
      assert.equal(new Set(mine.map((p) => p.spec.nodeName)).size, 3, `${d} spreads over 3 nodes`);
    }
  });
});
