// Version skew and trust-anchor changes: what fleet monitoring has to notice.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startSimulator, type ClusterHandle, type KubeObject, type Simulator } from '../src';
import { call, eventually, smallCluster } from './helpers';

type Pod = KubeObject & {
  spec: { containers: Array<{ name: string }>; initContainers?: Array<{ name: string }> };
  status?: { conditions?: Array<{ type: string; status: string }> };
};
const ready = (p: Pod): boolean =>
  !!p.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True');

describe('Linkerd trust and version skew', () => {
  let sim: Simulator;
  let c: ClusterHandle;
  const pods = async (selector: string): Promise<Pod[]> =>
    (
      await call(sim, c, 'GET', `/api/v1/namespaces/app/pods?labelSelector=${encodeURIComponent(selector)}`)
    ).json<{ items: Pod[] }>().items;
  const restart = (name: string) =>
    call(
      sim,
      c,
      'PATCH',
      `/apis/apps/v1/namespaces/app/deployments/${name}`,
      {
        spec: {
          template: {
            metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': new Date().toISOString() } },
          },
        },
      },
      { 'Content-Type': 'application/strategic-merge-patch+json' },
    );
  const readyNewPod = (selector: string, notUid: string) =>
    eventually(
      async () => {
        const list = (await pods(selector)).filter(ready);
        return list.length === 1 && list[0]!.metadata.uid !== notUid ? list[0] : undefined;
      },
      10_000,
      `a new ready pod for ${selector}`,
    );

  before(async () => {
    sim = await startSimulator({
      scenario: {
        clusters: [
          smallCluster('skew', {
            linkerd: { version: 'enterprise-2.20.0', dataPlaneVersion: 'enterprise-2.19.4' },
            namespaces: [
              { name: 'app', inject: 'enabled', workloads: [{ name: 'front' }, { name: 'back' }] },
            ],
            traffic: [{ from: 'app/front', to: 'app/back', rps: 5 }],
          }),
        ],
      },
    });
    c = sim.cluster('skew');
  });
  after(() => sim.close());

  it('starts with a data plane that lags the control plane until pods restart', async () => {
    const [front] = await eventually(
      async () => ((await pods('app=front')).filter(ready).length === 1 ? pods('app=front') : undefined),
      10_000,
      'front',
    );
    assert.equal(front!.metadata.annotations?.['linkerd.io/proxy-version'], 'enterprise-2.19.4');
    assert.equal(front!.spec.containers[0]!.name, 'linkerd-proxy', '2.19 layout: regular container');
    await restart('front');
    const fresh = await readyNewPod('app=front', front!.metadata.uid ?? '');
    assert.equal(fresh!.metadata.annotations?.['linkerd.io/proxy-version'], 'enterprise-2.20.0');
    assert.ok(
      fresh!.spec.initContainers?.some((x) => x.name === 'linkerd-proxy'),
      '2.20 layout: native sidecar',
    );
  });

  it('leaves running pods on the old trust anchor after a rotation, and drops mTLS between old and new', async () => {
    const [back] = (await pods('app=back')).filter(ready);
    await c.linkerd.rotateTrustAnchor();
    assert.equal(c.linkerd.identityProblem(), undefined);
    const roots = (
      await call(sim, c, 'GET', '/api/v1/namespaces/linkerd/configmaps/linkerd-identity-trust-roots')
    ).json<{ data: Record<string, string> }>().data['ca-bundle.crt']!;
    const sha = createHash('sha256').update(roots).digest('hex');
    assert.notEqual(
      back!.metadata.annotations?.['linkerd.io/trust-root-sha256'],
      sha,
      'running pod keeps the old anchor',
    );
    const [oldFront] = (await pods('app=front')).filter(ready);
    await restart('front');
    const front = await readyNewPod('app=front', oldFront!.metadata.uid ?? '');
    assert.equal(front!.metadata.annotations?.['linkerd.io/trust-root-sha256'], sha);
    const metrics = (
      await call(sim, c, 'GET', `/api/v1/namespaces/app/pods/${front!.metadata.name}:4191/proxy/metrics`)
    ).text;
    assert.match(
      metrics,
      /request_total\{direction="outbound",authority="back\.app[^}]*tls="no_identity",no_tls_reason="not_provided_by_service_discovery"/,
    );
  });

  it('fails identity when the trust anchor itself has expired', async () => {
    await c.faults.expireTrustAnchor();
    assert.equal(c.linkerd.identityProblem(), 'trust-anchor-expired');
  });
});
