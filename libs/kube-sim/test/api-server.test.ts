// The REST semantics clients depend on, exercised over real HTTPS.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startSimulator, type ClusterHandle, type Simulator } from '../src';
import { call, deployment, eventually, smallCluster } from './helpers';

describe('Kubernetes API server', () => {
  let sim: Simulator;
  let c: ClusterHandle;
  let firstContinue = '';

  before(async () => {
    sim = await startSimulator({
      scenario: {
        clusters: [
          smallCluster('api'),
          smallCluster('other', { provider: 'gke', kubernetesVersion: '1.31.5' }),
        ],
      },
      watchWindow: 200,
      bookmarkIntervalMs: 200,
    });
    c = sim.cluster('api');
  });
  after(() => sim.close());

  it('rejects a wrong token with a 401 Status', async () => {
    const res = await call(sim, { ...c, token: 'nope' } as ClusterHandle, 'GET', '/api/v1/namespaces');
    assert.equal(res.status, 401);
    assert.deepEqual(
      { kind: res.json()['kind'], reason: res.json()['reason'], code: res.json()['code'] },
      { kind: 'Status', reason: 'Unauthorized', code: 401 },
    );
  });

  it('keeps clusters apart and serves provider-flavoured versions', async () => {
    const eks = (await call(sim, c, 'GET', '/version')).json<{ gitVersion: string }>();
    const gke = (await call(sim, sim.cluster('other'), 'GET', '/version')).json<{ gitVersion: string }>();
    assert.match(eks.gitVersion, /^v1\.31\.4-eks-/);
    assert.match(gke.gitVersion, /^v1\.31\.5-gke\./);
    const wrong = await call(
      sim,
      { ...c, token: sim.cluster('other').token } as ClusterHandle,
      'GET',
      '/api/v1/namespaces',
    );
    assert.equal(wrong.status, 401);
  });

  it('routes unprefixed absolute paths (kubectl get --raw) by bearer token', async () => {
    const res = await call(sim, undefined, 'GET', '/version', undefined, {
      Authorization: `Bearer ${sim.cluster('other').token}`,
    });
    assert.match(res.json<{ gitVersion: string }>().gitVersion, /-gke\./);
    assert.equal(
      (await call(sim, undefined, 'GET', '/api/v1/namespaces', undefined, { Authorization: 'Bearer wrong' }))
        .status,
      404,
    );
  });

  it('serves discovery for core and grouped APIs', async () => {
    const core = (await call(sim, c, 'GET', '/api/v1')).json<{ resources: Array<{ name: string }> }>();
    assert.ok(core.resources.some((r) => r.name === 'pods/log'));
    const groups = (await call(sim, c, 'GET', '/apis')).json<{ groups: Array<{ name: string }> }>();
    for (const g of [
      'apps',
      'batch',
      'rbac.authorization.k8s.io',
      'admissionregistration.k8s.io',
      'policy',
      'apiextensions.k8s.io',
      'authorization.k8s.io',
    ])
      assert.ok(
        groups.groups.some((x) => x.name === g),
        g,
      );
    const apps = (await call(sim, c, 'GET', '/apis/apps/v1')).json<{ resources: Array<{ name: string }> }>();
    assert.ok(apps.resources.some((r) => r.name === 'deployments/scale'));
  });

  it('creates with uid, resourceVersion, generation and timestamps; rejects duplicates', async () => {
    const res = await call(sim, c, 'POST', '/api/v1/namespaces/default/configmaps', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cm1' },
      data: { a: '1' },
    });
    assert.equal(res.status, 201);
    const cm = res.json<{ metadata: Record<string, string> }>();
    assert.match(cm.metadata['uid']!, /^[0-9a-f-]{36}$/);
    assert.ok(Number(cm.metadata['resourceVersion']) > 0);
    assert.match(cm.metadata['creationTimestamp']!, /Z$/);
    const dup = await call(sim, c, 'POST', '/api/v1/namespaces/default/configmaps', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cm1' },
    });
    assert.equal(dup.status, 409);
    assert.equal(dup.json()['reason'], 'AlreadyExists');
    const missing = await call(sim, c, 'GET', '/api/v1/namespaces/default/configmaps/nope');
    assert.equal(missing.status, 404);
    assert.equal(missing.json()['reason'], 'NotFound');
  });

  it('returns Invalid with causes for a bad name and a mismatched selector', async () => {
    const bad = await call(sim, c, 'POST', '/api/v1/namespaces/default/configmaps', {
      metadata: { name: 'Bad_Name' },
    });
    assert.equal(bad.status, 422);
    assert.equal(bad.json()['reason'], 'Invalid');
    const d = deployment('mismatch');
    d.spec.template.metadata.labels = { app: 'other' };
    const res = await call(sim, c, 'POST', '/apis/apps/v1/namespaces/default/deployments', d);
    assert.equal(res.status, 422);
    const causes = res.json<{ details: { causes: Array<{ field: string }> } }>().details.causes;
    assert.ok(causes.some((x) => x.field === 'spec.template.metadata.labels'));
  });

  it('bumps generation on spec changes only and enforces resourceVersion on PUT', async () => {
    const created = (
      await call(
        sim,
        c,
        'POST',
        '/apis/apps/v1/namespaces/default/deployments',
        deployment('gen', 'default', 1),
      )
    ).json<{ metadata: { resourceVersion: string; generation: number } }>();
    assert.equal(created.metadata.generation, 1);
    const labelled = (
      await call(
        sim,
        c,
        'PATCH',
        '/apis/apps/v1/namespaces/default/deployments/gen',
        { metadata: { labels: { x: 'y' } } },
        { 'Content-Type': 'application/merge-patch+json' },
      )
    ).json<{ metadata: { generation: number } }>();
    assert.equal(labelled.metadata.generation, 1);
    const scaled = (
      await call(
        sim,
        c,
        'PATCH',
        '/apis/apps/v1/namespaces/default/deployments/gen',
        { spec: { replicas: 2 } },
        { 'Content-Type': 'application/merge-patch+json' },
      )
    ).json<{ metadata: { generation: number } }>();
    assert.equal(scaled.metadata.generation, 2);
    const stale = await call(sim, c, 'PUT', '/apis/apps/v1/namespaces/default/deployments/gen', {
      ...deployment('gen', 'default', 3),
      metadata: { name: 'gen', namespace: 'default', resourceVersion: created.metadata.resourceVersion },
    });
    assert.equal(stale.status, 409);
    assert.equal(stale.json()['reason'], 'Conflict');
  });

  it('applies json-patch, and strategic merge that merges containers by name', async () => {
    await call(
      sim,
      c,
      'POST',
      '/apis/apps/v1/namespaces/default/deployments',
      deployment('smp', 'default', 1),
    );
    const smp = await call(
      sim,
      c,
      'PATCH',
      '/apis/apps/v1/namespaces/default/deployments/smp',
      {
        spec: {
          template: {
            spec: {
              containers: [
                { name: 'sidecar', image: 'busybox' },
                { name: 'smp', env: [{ name: 'A', value: '1' }] },
              ],
            },
          },
        },
      },
      { 'Content-Type': 'application/strategic-merge-patch+json' },
    );
    const containers = smp.json<{
      spec: { template: { spec: { containers: Array<{ name: string; image: string; env?: unknown[] }> } } };
    }>().spec.template.spec.containers;
    assert.deepEqual(
      containers.map((x) => x.name),
      ['smp', 'sidecar'],
    );
    assert.equal(containers[0]!.image, 'nginx:1.27');
    assert.equal(containers[0]!.env?.length, 1);
    const jp = await call(
      sim,
      c,
      'PATCH',
      '/apis/apps/v1/namespaces/default/deployments/smp',
      [{ op: 'replace', path: '/spec/replicas', value: 4 }],
      { 'Content-Type': 'application/json-patch+json' },
    );
    assert.equal(jp.json<{ spec: { replicas: number } }>().spec.replicas, 4);
  });

  it('server-side apply tracks managers and reports conflicts unless forced', async () => {
    const body = JSON.stringify({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'ssa', namespace: 'default' },
      data: { owner: 'a' },
    });
    const first = await call(
      sim,
      c,
      'PATCH',
      '/api/v1/namespaces/default/configmaps/ssa?fieldManager=alice',
      body,
      { 'Content-Type': 'application/apply-patch+yaml' },
    );
    assert.equal(first.status, 201);
    const mf = first.json<{ metadata: { managedFields: Array<{ manager: string; operation: string }> } }>()
      .metadata.managedFields;
    assert.deepEqual(
      mf.map((m) => [m.manager, m.operation]),
      [['alice', 'Apply']],
    );
    const other = JSON.stringify({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'ssa', namespace: 'default' },
      data: { owner: 'b' },
    });
    const clash = await call(
      sim,
      c,
      'PATCH',
      '/api/v1/namespaces/default/configmaps/ssa?fieldManager=bob',
      other,
      { 'Content-Type': 'application/apply-patch+yaml' },
    );
    assert.equal(clash.status, 409);
    assert.match(clash.json<{ message: string }>().message, /conflict with "alice"/);
    const forced = await call(
      sim,
      c,
      'PATCH',
      '/api/v1/namespaces/default/configmaps/ssa?fieldManager=bob&force=true',
      other,
      { 'Content-Type': 'application/apply-patch+yaml' },
    );
    assert.equal(forced.status, 200);
    assert.equal(forced.json<{ data: { owner: string } }>().data.owner, 'b');
    // alice no longer owns data.owner, so dropping it from her config leaves bob's value.
    const aliceEmpty = JSON.stringify({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'ssa', namespace: 'default' },
    });
    const after = await call(
      sim,
      c,
      'PATCH',
      '/api/v1/namespaces/default/configmaps/ssa?fieldManager=alice',
      aliceEmpty,
      { 'Content-Type': 'application/apply-patch+yaml' },
    );
    assert.equal(after.json<{ data: { owner: string } }>().data.owner, 'b');
  });

  it('does not persist dryRun=All writes', async () => {
    const res = await call(sim, c, 'POST', '/api/v1/namespaces/default/configmaps?dryRun=All', {
      metadata: { name: 'dry' },
    });
    assert.equal(res.status, 201);
    assert.equal((await call(sim, c, 'GET', '/api/v1/namespaces/default/configmaps/dry')).status, 404);
  });

  it('filters lists by label and field selectors and pages with limit/continue', async () => {
    for (let i = 0; i < 5; i++)
      await call(sim, c, 'POST', '/api/v1/namespaces/default/secrets', {
        metadata: { name: `page-${i}`, labels: { page: 'yes', idx: String(i) } },
      });
    const sel = (
      await call(
        sim,
        c,
        'GET',
        '/api/v1/namespaces/default/secrets?labelSelector=page%3Dyes%2Cidx%20in%20(1%2C3)',
      )
    ).json<{ items: unknown[] }>();
    assert.equal(sel.items.length, 2);
    const field = (await call(sim, c, 'GET', '/api/v1/secrets?fieldSelector=metadata.name%3Dpage-4')).json<{
      items: unknown[];
    }>();
    assert.equal(field.items.length, 1);
    const names: string[] = [];
    let cont = '';
    do {
      const page = (
        await call(
          sim,
          c,
          'GET',
          `/api/v1/namespaces/default/secrets?labelSelector=page%3Dyes&limit=2${cont ? `&continue=${cont}` : ''}`,
        )
      ).json<{ items: Array<{ metadata: { name: string } }>; metadata: { continue?: string } }>();
      assert.ok(page.items.length <= 2);
      names.push(...page.items.map((i) => i.metadata.name));
      cont = page.metadata.continue ?? '';
      firstContinue ||= cont;
    } while (cont);
    assert.deepEqual(names, ['page-0', 'page-1', 'page-2', 'page-3', 'page-4']);
  });

  it('serves status and scale subresources', async () => {
    await call(
      sim,
      c,
      'POST',
      '/apis/apps/v1/namespaces/default/deployments',
      deployment('scaled', 'default', 1),
    );
    const scale = await call(sim, c, 'PUT', '/apis/apps/v1/namespaces/default/deployments/scaled/scale', {
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: { name: 'scaled' },
      spec: { replicas: 3 },
    });
    assert.equal(scale.json<{ spec: { replicas: number } }>().spec.replicas, 3);
    const got = (await call(sim, c, 'GET', '/apis/apps/v1/namespaces/default/deployments/scaled')).json<{
      spec: { replicas: number };
    }>();
    assert.equal(got.spec.replicas, 3);
    // A PUT on the main resource cannot change status.
    const d = (await call(sim, c, 'GET', '/apis/apps/v1/namespaces/default/deployments/scaled')).json<
      Record<string, unknown>
    >();
    const put = (
      await call(sim, c, 'PUT', '/apis/apps/v1/namespaces/default/deployments/scaled', {
        ...d,
        status: { replicas: 99 },
      })
    ).json<{ status?: { replicas?: number } }>();
    assert.notEqual(put.status?.replicas, 99);
  });

  it('watches with ADDED/MODIFIED/DELETED, bookmarks and timeoutSeconds', async () => {
    const list = (await call(sim, c, 'GET', '/api/v1/namespaces/default/configmaps')).json<{
      metadata: { resourceVersion: string };
    }>();
    const pending = call(
      sim,
      c,
      'GET',
      `/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=${list.metadata.resourceVersion}&timeoutSeconds=1&allowWatchBookmarks=true`,
    );
    await new Promise((r) => setTimeout(r, 50));
    await call(sim, c, 'POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'w1' } });
    await call(
      sim,
      c,
      'PATCH',
      '/api/v1/namespaces/default/configmaps/w1',
      { data: { a: 'b' } },
      { 'Content-Type': 'application/merge-patch+json' },
    );
    await call(sim, c, 'DELETE', '/api/v1/namespaces/default/configmaps/w1');
    const res = await pending;
    const events = res.text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; object: { metadata: { name?: string } } });
    const mine = events.filter((e) => e.object.metadata.name === 'w1').map((e) => e.type);
    assert.deepEqual(mine, ['ADDED', 'MODIFIED', 'DELETED']);
    const bookmark = events.find((e) => e.type === 'BOOKMARK');
    assert.ok(bookmark, 'a BOOKMARK within the 1s watch');
    assert.ok(Number((bookmark.object.metadata as { resourceVersion?: string }).resourceVersion) > 0);
  });

  it('answers a too-old resourceVersion with 410 Expired', async () => {
    for (let i = 0; i < 210; i++)
      await call(sim, c, 'POST', '/api/v1/namespaces/default/events', {
        metadata: { name: `ev-${i}` },
        involvedObject: {},
      });
    const res = await call(sim, c, 'GET', '/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=1');
    const ev = JSON.parse(res.text.trim().split('\n')[0]!) as {
      type: string;
      object: { code: number; reason: string };
    };
    assert.equal(ev.type, 'ERROR');
    assert.equal(ev.object.code, 410);
    assert.equal(ev.object.reason, 'Expired');
    // A continue token from before the window is Gone as well.
    const stale = await call(
      sim,
      c,
      'GET',
      `/api/v1/namespaces/default/secrets?limit=2&continue=${firstContinue}`,
    );
    assert.equal(stale.status, 410);
    assert.equal(stale.json()['reason'], 'Expired');
  });

  it('collects dependents through ownerReferences and honours finalizers', async () => {
    const owner = (
      await call(sim, c, 'POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'owner' } })
    ).json<{ metadata: { uid: string } }>();
    await call(sim, c, 'POST', '/api/v1/namespaces/default/configmaps', {
      metadata: {
        name: 'child',
        ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata.uid }],
      },
    });
    await call(sim, c, 'POST', '/api/v1/namespaces/default/configmaps', {
      metadata: { name: 'held', finalizers: ['example.com/hold'] },
    });
    await call(sim, c, 'DELETE', '/api/v1/namespaces/default/configmaps/owner');
    await eventually(
      async () => (await call(sim, c, 'GET', '/api/v1/namespaces/default/configmaps/child')).status === 404,
      5000,
      'child collected',
    );
    const held = await call(sim, c, 'DELETE', '/api/v1/namespaces/default/configmaps/held');
    assert.ok(held.json<{ metadata: { deletionTimestamp?: string } }>().metadata.deletionTimestamp);
    assert.equal((await call(sim, c, 'GET', '/api/v1/namespaces/default/configmaps/held')).status, 200);
    await call(
      sim,
      c,
      'PATCH',
      '/api/v1/namespaces/default/configmaps/held',
      { metadata: { finalizers: null } },
      { 'Content-Type': 'application/merge-patch+json' },
    );
    assert.equal((await call(sim, c, 'GET', '/api/v1/namespaces/default/configmaps/held')).status, 404);
  });

  it('deletes dependents first with Foreground and keeps them with Orphan', async () => {
    const mk = async (name: string, owner?: { metadata: { uid: string } }, ownerName?: string) =>
      (
        await call(sim, c, 'POST', '/api/v1/namespaces/default/configmaps', {
          metadata: {
            name,
            ...(owner
              ? {
                  ownerReferences: [
                    { apiVersion: 'v1', kind: 'ConfigMap', name: ownerName, uid: owner.metadata.uid },
                  ],
                }
              : {}),
          },
        })
      ).json<{ metadata: { uid: string } }>();
    const fg = await mk('fg-owner');
    await mk('fg-child', fg, 'fg-owner');
    const del = await call(sim, c, 'DELETE', '/api/v1/namespaces/default/configmaps/fg-owner', {
      propagationPolicy: 'Foreground',
    });
    assert.ok(
      del.json<{ metadata: { finalizers: string[] } }>().metadata.finalizers.includes('foregroundDeletion'),
    );
    await eventually(
      async () =>
        (await call(sim, c, 'GET', '/api/v1/namespaces/default/configmaps/fg-owner')).status === 404,
      5000,
      'foreground owner gone',
    );
    assert.equal((await call(sim, c, 'GET', '/api/v1/namespaces/default/configmaps/fg-child')).status, 404);
    const or = await mk('or-owner');
    await mk('or-child', or, 'or-owner');
    await call(sim, c, 'DELETE', '/api/v1/namespaces/default/configmaps/or-owner?propagationPolicy=Orphan');
    await eventually(
      async () =>
        (await call(sim, c, 'GET', '/api/v1/namespaces/default/configmaps/or-owner')).status === 404,
      5000,
      'orphaning owner gone',
    );
    const child = (await call(sim, c, 'GET', '/api/v1/namespaces/default/configmaps/or-child')).json<{
      metadata: { ownerReferences?: unknown[] };
    }>();
    assert.deepEqual(child.metadata.ownerReferences ?? [], []);
  });

  it('terminates a namespace: forbids new content, empties it, then removes it', async () => {
    await call(sim, c, 'POST', '/api/v1/namespaces', { metadata: { name: 'doomed' } });
    await call(sim, c, 'POST', '/apis/apps/v1/namespaces/doomed/deployments', deployment('app', 'doomed', 1));
    const del = await call(sim, c, 'DELETE', '/api/v1/namespaces/doomed');
    assert.equal(del.json<{ status: { phase: string } }>().status.phase, 'Terminating');
    await eventually(
      async () => (await call(sim, c, 'GET', '/api/v1/namespaces/doomed')).status === 404,
      5000,
      'namespace gone',
    );
    assert.equal((await call(sim, c, 'GET', '/apis/apps/v1/namespaces/doomed/deployments/app')).status, 404);
  });

  it('answers SelfSubjectAccessReview', async () => {
    const res = await call(sim, c, 'POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec: { resourceAttributes: { verb: 'create', resource: 'deployments', group: 'apps' } },
    });
    assert.equal(res.status, 201);
    assert.equal(res.json<{ status: { allowed: boolean } }>().status.allowed, true);
  });

  it('serves custom resources once a CRD is created, and removes them with it', async () => {
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'gadgets.example.com' },
      spec: {
        group: 'example.com',
        scope: 'Cluster',
        names: { plural: 'gadgets', kind: 'Gadget' },
        versions: [{ name: 'v1', served: true, storage: true }],
      },
    };
    await call(sim, c, 'POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
    await eventually(
      async () => (await call(sim, c, 'GET', '/apis/example.com/v1')).status === 200,
      5000,
      'group served',
    );
    const created = await call(sim, c, 'POST', '/apis/example.com/v1/gadgets', {
      apiVersion: 'example.com/v1',
      kind: 'Gadget',
      metadata: { name: 'g1' },
      spec: { size: 1 },
    });
    assert.equal(created.status, 201);
    const established = (
      await call(sim, c, 'GET', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.example.com')
    ).json<{ status: { conditions: Array<{ type: string; status: string }> } }>();
    assert.ok(established.status.conditions.some((x) => x.type === 'Established' && x.status === 'True'));
    await call(
      sim,
      c,
      'DELETE',
      '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.example.com',
    );
    assert.equal((await call(sim, c, 'GET', '/apis/example.com/v1/gadgets/g1')).status, 404);
  });
});
