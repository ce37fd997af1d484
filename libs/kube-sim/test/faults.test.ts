// One test per fault kind, programmatic and through the admin endpoint.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startSimulator, type ClusterHandle, type KubeObject, type Simulator } from '../src';
import { call, deployment, eventually, smallCluster } from './helpers';

type Pod = KubeObject & {
  spec: { nodeName?: string };
  status?: {
    phase?: string;
    conditions?: Array<{ type: string; status: string }>;
    containerStatuses?: Array<{ restartCount: number; state: { waiting?: { reason: string } } }>;
  };
};
const ready = (p: Pod): boolean =>
  !!p.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True');

describe('faults', () => {
  let sim: Simulator;
  let c: ClusterHandle;
  const pods = async (selector: string, h = c): Promise<Pod[]> =>
    (
      await call(
        sim,
        h,
        'GET',
        `/api/v1/namespaces/default/pods?labelSelector=${encodeURIComponent(selector)}`,
      )
    ).json<{ items: Pod[] }>().items;
  const deploy = async (name: string, replicas = 1, h = c): Promise<void> => {
    await call(
      sim,
      h,
      'POST',
      '/apis/apps/v1/namespaces/default/deployments',
      deployment(name, 'default', replicas),
    );
  };

  before(async () => {
    sim = await startSimulator({
      scenario: {
        clusters: [
          smallCluster('faulty', { nodes: 3 }),
          smallCluster('meshed', { linkerd: { version: 'enterprise-2.20.0' } }),
        ],
      },
    });
    c = sim.cluster('faulty');
  });
  after(() => sim.close());

  it('crashes matching pods into CrashLoopBackOff with growing restart counts', async () => {
    await deploy('crashy');
    await eventually(async () => (await pods('app=crashy')).some(ready), 10_000, 'ready first');
    const id = c.faults.crashPods('default', { app: 'crashy' });
    const crashed = await eventually(
      async () => {
        const [p] = await pods('app=crashy');
        const cs = p?.status?.containerStatuses?.[0];
        return cs?.state.waiting?.reason === 'CrashLoopBackOff' && cs.restartCount >= 2 && !ready(p!)
          ? p
          : undefined;
      },
      10_000,
      'crash loop',
    );
    assert.ok(crashed);
    c.faults.removeRule(id);
    await eventually(async () => (await pods('app=crashy')).some(ready), 10_000, 'recovered');
  });

  it('stalls new pods in ContainerCreating', async () => {
    c.faults.stallPods('default', { app: 'stuck' });
    await deploy('stuck');
    await new Promise((r) => setTimeout(r, 300));
    const [p] = await pods('app=stuck');
    assert.equal(p?.status?.phase, 'Pending');
    assert.equal(p?.status?.containerStatuses?.[0]?.state.waiting?.reason, 'ContainerCreating');
  });

  it('keeps a Deployment from ever becoming ready', async () => {
    await deploy('never', 2);
    c.faults.deploymentNeverReady('default', 'never');
    await new Promise((r) => setTimeout(r, 400));
    const d = (await call(sim, c, 'GET', '/apis/apps/v1/namespaces/default/deployments/never')).json<{
      status: { readyReplicas: number; conditions: Array<{ type: string; status: string }> };
    }>();
    assert.equal(d.status.readyReplicas, 0);
    assert.ok(d.status.conditions.some((x) => x.type === 'Available' && x.status === 'False'));
    const running = await pods('app=never');
    assert.ok(running.every((p) => p.status?.phase === 'Running' && !ready(p)));
    // With a short progress deadline the rollout is reported as failed, which rollout status exits on.
    await call(
      sim,
      c,
      'PATCH',
      '/apis/apps/v1/namespaces/default/deployments/never',
      { spec: { progressDeadlineSeconds: 1 } },
      { 'Content-Type': 'application/merge-patch+json' },
    );
    await eventually(
      async () => {
        const s = (await call(sim, c, 'GET', '/apis/apps/v1/namespaces/default/deployments/never')).json<{
          status: { conditions: Array<{ type: string; reason: string }> };
        }>().status;
        return s.conditions.some((x) => x.type === 'Progressing' && x.reason === 'ProgressDeadlineExceeded');
      },
      10_000,
      'ProgressDeadlineExceeded',
    );
  });

  it('returns 500 and 429 Status errors at the configured rate', async () => {
    c.faults.apiErrors(1, 429);
    const limited = await call(sim, c, 'GET', '/api/v1/namespaces');
    assert.equal(limited.status, 429);
    assert.equal(limited.json()['reason'], 'TooManyRequests');
    assert.equal(limited.headers['retry-after'], '1');
    c.faults.apiErrors(1, 500);
    const broken = await call(sim, c, 'GET', '/api/v1/namespaces');
    assert.equal(broken.status, 500);
    assert.equal(broken.json()['reason'], 'InternalError');
    c.faults.apiErrors(0.5, 500);
    c.model.faults.random = (() => {
      let i = 0;
      return () => (i++ % 2 === 0 ? 0.1 : 0.9);
    })();
    const codes = [];
    for (let i = 0; i < 4; i++) codes.push((await call(sim, c, 'GET', '/version')).status);
    assert.deepEqual(codes, [500, 200, 500, 200]);
    c.model.faults.random = Math.random;
    c.faults.apiErrors(0);
  });

  it('adds latency to every request', async () => {
    c.faults.latency(150);
    const t0 = Date.now();
    await call(sim, c, 'GET', '/version');
    assert.ok(Date.now() - t0 >= 140);
    c.faults.latency(0);
  });

  it('cuts the cluster off entirely and restores it', async () => {
    c.faults.cutOff(true);
    await assert.rejects(call(sim, c, 'GET', '/version'), /socket hang up|ECONNRESET/);
    c.faults.cutOff(false);
    assert.equal((await call(sim, c, 'GET', '/version')).status, 200);
  });

  it('loses a node: NotReady, pods evicted and rescheduled elsewhere', async () => {
    await deploy('spread', 3);
    const before = await eventually(
      async () => {
        const p = (await pods('app=spread')).filter(ready);
        return p.length === 3 ? p : undefined;
      },
      10_000,
      'spread ready',
    );
    const victim = before[0]!.spec.nodeName!;
    assert.equal(c.faults.loseNode(victim), victim);
    const node = (await call(sim, c, 'GET', `/api/v1/nodes/${victim}`)).json<{
      status: { conditions: Array<{ type: string; status: string }> };
    }>();
    assert.equal(node.status.conditions.find((x) => x.type === 'Ready')?.status, 'Unknown');
    const after = await eventually(
      async () => {
        const p = (await pods('app=spread')).filter(ready);
        return p.length === 3 && p.every((x) => x.spec.nodeName !== victim) ? p : undefined;
      },
      10_000,
      'rescheduled',
    );
    assert.equal(after.length, 3);
    c.faults.restoreNode(victim);
  });

  it('expires, mismatches and corrupts the identity issuer', async () => {
    const m = sim.cluster('meshed');
    await m.faults.expireIssuer();
    assert.equal(m.linkerd.identityProblem(), 'expired');
    await m.faults.mismatchIssuer();
    assert.equal(m.linkerd.identityProblem(), 'not-signed-by-trust-roots');
    await m.faults.corruptIssuer();
    assert.equal(m.linkerd.identityProblem(), 'unparsable');
    await m.linkerd.rotateIssuer();
    assert.equal(m.linkerd.identityProblem(), undefined);
  });

  it('denies access to chosen resources (Forbidden and SelfSubjectAccessReview)', async () => {
    c.faults.denyAccess(['secrets']);
    const res = await call(sim, c, 'GET', '/api/v1/namespaces/default/secrets');
    assert.equal(res.status, 403);
    assert.equal(res.json()['reason'], 'Forbidden');
    const review = await call(sim, c, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
      spec: { resourceAttributes: { verb: 'list', resource: 'secrets' } },
    });
    assert.equal(review.json<{ status: { allowed: boolean } }>().status.allowed, false);
    c.faults.denyAccess([]);
  });

  it('applies and clears faults through the admin endpoint', async () => {
    const applied = await call(sim, undefined, 'POST', '/_sim/clusters/faulty/faults', {
      kind: 'apiErrors',
      rate: 1,
      code: 500,
    });
    assert.equal(applied.status, 200);
    assert.equal((await call(sim, c, 'GET', '/version')).status, 500);
    const snapshot = (await call(sim, undefined, 'GET', '/_sim/clusters/faulty/faults')).json<{
      api: { error: { rate: number } };
    }>();
    assert.equal(snapshot.api.error.rate, 1);
    assert.equal((await call(sim, undefined, 'DELETE', '/_sim/clusters/faulty/faults')).status, 200);
    assert.equal((await call(sim, c, 'GET', '/version')).status, 200);
    const bad = await call(sim, undefined, 'POST', '/_sim/clusters/faulty/faults', { kind: 'nonsense' });
    assert.equal(bad.status, 400);
    const cert = await call(sim, undefined, 'POST', '/_sim/clusters/meshed/faults', { kind: 'expireIssuer' });
    assert.equal(cert.status, 200);
    assert.equal(sim.cluster('meshed').linkerd.identityProblem(), 'expired');
  });
});
