// Linkerd 2.19+ on a cluster without the Gateway API CRDs, through GraphQL with the real API,
// worker and agent on the simulator: the precheck refuses and names both fixes; with
// installLinkerd(gatewayApiCrds: true) the agent installs the CRDs first and the install succeeds.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PLAIN_CLUSTER } from './lifecycle-fixture';
import { startE2eFleet, type E2eFleet } from './e2e-fleet';
import { eventually } from './sim-fixture';

const VERSION = 'enterprise-2.19.1';
const OP = `error steps { step status message }`;
const GATEWAY_CRDS = [
  'grpcroutes.gateway.networking.k8s.io',
  'httproutes.gateway.networking.k8s.io',
  'tcproutes.gateway.networking.k8s.io',
  'tlsroutes.gateway.networking.k8s.io',
];

describe('installLinkerd and the Gateway API CRDs', () => {
  let fleet: E2eFleet;
  let domainId: string;

  const install = async (gatewayApiCrds: boolean | null) => {
    const r = await fleet.q(
      `mutation($c: ID!, $d: ID!, $g: Boolean) { installLinkerd(clusterId: $c, input: { version: "${VERSION}", identityDomainId: $d, gatewayApiCrds: $g }) { id } }`,
      { c: fleet.member('bare').clusterId, d: domainId, g: gatewayApiCrds },
    );
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    return fleet.finished(r.data!.installLinkerd.id, OP);
  };
  const crd = (name: string) =>
    fleet
      .member('bare')
      .ops.get<any>({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name });

  before(async () => {
    fleet = await startE2eFleet([{ ...PLAIN_CLUSTER, name: 'bare' }], { gatewayApi: false });
    domainId = (await fleet.q(`mutation { createIdentityDomain(input: { name: "gw" }) { id } }`)).data!
      .createIdentityDomain.id;
  });
  after(async () => fleet?.stop());

  it('without the flag: PRECHECK_FAILED naming the missing CRDs and the fix, nothing applied', async () => {
    const done = await install(null);
    assert.equal(done.status, 'FAILED', JSON.stringify(done));
    assert.equal(done.error.code, 'PRECHECK_FAILED');
    assert.match(
      done.error.message,
      /needs the Gateway API CRDs, missing: grpcroutes\.gateway\.networking\.k8s\.io, httproutes/,
    );
    assert.match(done.error.message, /gatewayApiCrds: true/);
    for (const name of GATEWAY_CRDS) assert.equal(await crd(name), null, `${name} not created`);
    assert.equal(
      await fleet.member('bare').ops.get({ apiVersion: 'v1', kind: 'Namespace', name: 'linkerd' }),
      null,
      'nothing of Linkerd was applied',
    );
  });

  it('with gatewayApiCrds: true the CRDs are installed first, Established, and the install succeeds', async () => {
    const done = await install(true);
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done));
    const steps = done.steps.map((s: any) => `${s.step}:${s.status}`);
    const gw = steps.lastIndexOf('gateway-api-crds:succeeded');
    assert.ok(gw >= 0, steps.join(' '));
    assert.ok(
      gw < steps.lastIndexOf('crds:succeeded'),
      `Gateway API CRDs before Linkerd's: ${steps.join(' ')}`,
    );
    const msg = done.steps.find(
      (s: any) => s.step === 'gateway-api-crds' && s.status === 'succeeded',
    ).message;
    for (const name of GATEWAY_CRDS) {
      assert.ok(msg.includes(name), msg);
      const c = await crd(name);
      assert.ok(
        c?.status?.conditions?.some((x: any) => x.type === 'Established' && x.status === 'True'),
        `${name} Established`,
      );
      assert.equal(c.metadata.annotations['gateway.networking.k8s.io/channel'], 'experimental');
    }
    const c = await eventually(
      async () =>
        (
          await fleet.q(`query($id: ID!) { cluster(id: $id) { linkerd { installed version } } }`, {
            id: fleet.member('bare').clusterId,
          })
        ).data!.cluster,
      (x) => x.linkerd?.installed === true,
      30_000,
      'the agent reports Linkerd installed',
    );
    assert.equal(c.linkerd.version, VERSION);
  });
});
