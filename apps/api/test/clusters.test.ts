import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseAllDocuments } from 'yaml';
import { errorCode } from '@meshfleet/testing';
import { startApi, TestApi } from './harness';

const REGISTER = `mutation($input: RegisterClusterInput!) {
  registerCluster(input: $input) {
    cluster { id name provider region labels status createdAt }
    bootstrapToken { token expiresAt }
    agentManifest
  }
}`;

const LIST = `query($filter: ClusterFilter, $first: Int, $after: String) {
  clusters(filter: $filter, first: $first, after: $after) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { cursor node { id name provider region labels status } }
  }
}`;

describe('cluster registration', () => {
  let api: TestApi;
  let key: string;

  before(async () => {
    api = await startApi();
    ({ apiKey: key } = await api.newOrg('acme'));
  });
  after(() => api.close());

  const count = async (table: string) => {
    const rows = await api.app
      .get((await import('@meshfleet/db')).PrismaService)
      .$queryRawUnsafe<{ n: bigint }[]>(`SELECT COUNT(*) AS n FROM "${table}"`);
    return Number(rows[0]!.n);
  };

  it('registers a cluster and returns a token and a manifest that parses into the agent objects', async () => {
    const r = await api.gql(
      REGISTER,
      {
        input: {
          name: 'prod-eu-1',
          provider: 'AKS',
          region: 'westeurope',
          labels: { env: 'prod', team: 'payments' },
        },
      },
      key,
    );
    assert.equal(r.errors, undefined);
    const { cluster, bootstrapToken, agentManifest } = r.data!.registerCluster;
    assert.equal(cluster.status, 'PENDING');
    assert.deepEqual(cluster.labels, { env: 'prod', team: 'payments' });
    assert.match(bootstrapToken.token, /^mfb_/);
    assert.ok(new Date(bootstrapToken.expiresAt).getTime() > Date.now());

    const docs = parseAllDocuments(agentManifest).map((d) => d.toJS() as any);
    const kinds = docs.map((d) => `${d.kind}/${d.metadata.name}`);
    assert.deepEqual(kinds.sort(), [
      'ClusterRole/meshfleet-agent',
      'ClusterRoleBinding/meshfleet-agent',
      'Deployment/meshfleet-agent',
      'Namespace/meshfleet-system',
      'Role/meshfleet-agent',
      'RoleBinding/meshfleet-agent',
      'Secret/meshfleet-agent',
      'ServiceAccount/meshfleet-agent',
    ]);
    for (const d of docs.filter((d) => d.kind !== 'Namespace' && !d.kind.startsWith('Cluster'))) {
      assert.equal(d.metadata.namespace, 'meshfleet-system', `${d.kind} namespace`);
    }
    const secret = docs.find((d) => d.kind === 'Secret');
    assert.equal(secret.stringData.bootstrapToken, bootstrapToken.token);
    assert.equal(secret.stringData.apiUrl, 'https://meshfleet.example.test');
    assert.equal(secret.stringData.clusterId, cluster.id);
    const deployment = docs.find((d) => d.kind === 'Deployment');
    const pod = deployment.spec.template.spec;
    assert.equal(pod.serviceAccountName, 'meshfleet-agent');
    assert.equal(pod.securityContext.runAsNonRoot, true);
    assert.equal(pod.containers[0].securityContext.allowPrivilegeEscalation, false);
    const role = docs.find((d) => d.kind === 'ClusterRole');
    const wildcardEverything = role.rules.some(
      (r: any) => r.apiGroups.includes('*') && r.resources.includes('*'),
    );
    assert.equal(wildcardEverything, false, 'ClusterRole must not grant */*');
    assert.ok(
      role.rules.some((r: any) => r.resources.includes('pods/proxy')),
      'agent scrapes proxies',
    );
    // The agent's informers read these; the report would miss them without the grant.
    for (const [group, resource] of [
      ['apiregistration.k8s.io', 'apiservices'],
      ['', 'services'],
      ['', 'serviceaccounts'],
      ['rbac.authorization.k8s.io', 'clusterroles'],
      ['rbac.authorization.k8s.io', 'clusterrolebindings'],
    ]) {
      const rule = role.rules.find((r: any) => r.apiGroups.includes(group) && r.resources.includes(resource));
      for (const verb of ['get', 'list', 'watch'])
        assert.ok(rule?.verbs.includes(verb), `${verb} ${group || 'core'}/${resource}`);
    }

    // The token is stored hashed, never in clear.
    const stored = await api.app
      .get((await import('@meshfleet/db')).PrismaService)
      .bootstrapToken.findMany({ where: { clusterId: cluster.id } });
    assert.equal(stored.length, 1);
    assert.notEqual(stored[0]!.tokenHash, bootstrapToken.token);
    assert.ok(!JSON.stringify(stored).includes(bootstrapToken.token));

    const again = await api.gql(
      `query($id: ID!) { cluster(id: $id) { name region } }`,
      { id: cluster.id },
      key,
    );
    assert.deepEqual(again.data!.cluster, { name: 'prod-eu-1', region: 'westeurope' });
  });

  it('rejects a duplicate name with CONFLICT and writes nothing', async () => {
    const before = await count('Cluster');
    const r = await api.gql(REGISTER, { input: { name: 'prod-eu-1', provider: 'EKS' } }, key);
    assert.equal(errorCode(r), 'CONFLICT');
    assert.equal(r.errors![0]!.extensions!['field'], 'name');
    assert.equal(await count('Cluster'), before);
  });

  it('rejects invalid input before writing anything', async () => {
    const clusters = await count('Cluster');
    const tokens = await count('BootstrapToken');
    const audits = await count('AuditEvent');
    const cases: [Record<string, unknown>, string][] = [
      [{ name: 'Prod_EU', provider: 'AKS' }, 'name'],
      [{ name: '-leading', provider: 'AKS' }, 'name'],
      [{ name: 'x'.repeat(64), provider: 'AKS' }, 'name'],
      [{ name: 'ok-name', provider: 'AKS', labels: { 'bad key!': 'v' } }, 'labels'],
      [{ name: 'ok-name', provider: 'AKS', labels: { env: 'has space' } }, 'labels'],
      [{ name: 'ok-name', provider: 'AKS', labels: { env: 3 } }, 'labels'],
      [{ name: 'ok-name', provider: 'AKS', region: 'west europe' }, 'region'],
    ];
    for (const [input, field] of cases) {
      const r = await api.gql(REGISTER, { input }, key);
      assert.equal(errorCode(r), 'BAD_USER_INPUT', JSON.stringify(input));
      assert.equal(r.errors![0]!.extensions!['field'], field, JSON.stringify(input));
    }
    const unknownProvider = await api.gql(
      REGISTER,
      { input: { name: 'ok-name', provider: 'DIGITALOCEAN' } },
      key,
    );
    assert.equal(errorCode(unknownProvider), 'BAD_USER_INPUT');
    assert.match(unknownProvider.errors![0]!.message, /DIGITALOCEAN/);
    assert.equal(await count('Cluster'), clusters);
    assert.equal(await count('BootstrapToken'), tokens);
    assert.equal(await count('AuditEvent'), audits);
  });

  it('updates region and labels, with validation', async () => {
    const reg = await api.gql(
      REGISTER,
      { input: { name: 'upd-1', provider: 'GKE', labels: { env: 'dev' } } },
      key,
    );
    const id = reg.data!.registerCluster.cluster.id;
    const upd = await api.gql(
      `mutation($id: ID!, $input: UpdateClusterInput!) { updateCluster(id: $id, input: $input) { region labels } }`,
      { id, input: { region: 'europe-west4', labels: { env: 'staging', tier: 'edge' } } },
      key,
    );
    assert.deepEqual(upd.data!.updateCluster, {
      region: 'europe-west4',
      labels: { env: 'staging', tier: 'edge' },
    });
    const bad = await api.gql(
      `mutation($id: ID!, $input: UpdateClusterInput!) { updateCluster(id: $id, input: $input) { region } }`,
      { id, input: { labels: { 'a/b/c': 'x' } } },
      key,
    );
    assert.equal(errorCode(bad), 'BAD_USER_INPUT');
    const audit = await api.gql(
      `query($id: String) { auditEvents(filter: { targetId: $id }) { edges { node { action actorType metadata } } } }`,
      { id },
      key,
    );
    const actions = audit.data!.auditEvents.edges.map((e: any) => e.node.action);
    assert.deepEqual(actions, ['cluster.update', 'cluster.register']);
    assert.equal(audit.data!.auditEvents.edges[0].node.actorType, 'API_KEY');
  });

  it('deregisters a cluster, revoking its tokens, and refuses to update it afterwards', async () => {
    const reg = await api.gql(REGISTER, { input: { name: 'gone-1', provider: 'ONPREM' } }, key);
    const id = reg.data!.registerCluster.cluster.id;
    const d = await api.gql(
      `mutation($id: ID!) { deregisterCluster(id: $id) { status deregisteredAt } }`,
      { id },
      key,
    );
    assert.equal(d.data!.deregisterCluster.status, 'DEREGISTERED');
    const prisma = api.app.get((await import('@meshfleet/db')).PrismaService);
    const open = await prisma.bootstrapToken.count({ where: { clusterId: id, revokedAt: null } });
    assert.equal(open, 0);
    const upd = await api.gql(
      `mutation($id: ID!) { updateCluster(id: $id, input: { region: "x" }) { region } }`,
      { id },
      key,
    );
    assert.equal(errorCode(upd), 'CONFLICT');
    const rot = await api.gql(
      `mutation($id: ID!) { rotateBootstrapToken(clusterId: $id) { agentManifest } }`,
      { id },
      key,
    );
    assert.equal(errorCode(rot), 'CONFLICT');
    const list = await api.gql(LIST, { filter: { search: 'gone-1' } }, key);
    assert.equal(list.data!.clusters.totalCount, 0, 'deregistered clusters are hidden by default');
    const withGone = await api.gql(LIST, { filter: { search: 'gone-1', includeDeregistered: true } }, key);
    assert.equal(withGone.data!.clusters.totalCount, 1);
  });

  it('rotates the bootstrap token: the old unused one is revoked', async () => {
    const reg = await api.gql(REGISTER, { input: { name: 'rot-1', provider: 'EKS' } }, key);
    const id = reg.data!.registerCluster.cluster.id;
    const rot = await api.gql(
      `mutation($id: ID!) { rotateBootstrapToken(clusterId: $id) { bootstrapToken { token } agentManifest } }`,
      { id },
      key,
    );
    const token = rot.data!.rotateBootstrapToken.bootstrapToken.token;
    assert.notEqual(token, reg.data!.registerCluster.bootstrapToken.token);
    assert.ok(rot.data!.rotateBootstrapToken.agentManifest.includes(token));
    const prisma = api.app.get((await import('@meshfleet/db')).PrismaService);
    const tokens = await prisma.bootstrapToken.findMany({
      where: { clusterId: id },
      orderBy: { createdAt: 'asc' },
    });
    assert.equal(tokens.length, 2);
    assert.ok(tokens[0]!.revokedAt);
    assert.equal(tokens[1]!.revokedAt, null);
  });

  it('returns NOT_FOUND for unknown and malformed ids', async () => {
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid']) {
      const r = await api.gql(`query($id: ID!) { cluster(id: $id) { id } }`, { id }, key);
      assert.equal(errorCode(r), 'NOT_FOUND', id);
    }
  });
});

describe('cluster listing', () => {
  let api: TestApi;
  let key: string;
  const names: string[] = [];

  before(async () => {
    api = await startApi();
    ({ apiKey: key } = await api.newOrg('fleet'));
    const providers = ['AKS', 'EKS', 'GKE', 'ONPREM'];
    for (let i = 0; i < 23; i++) {
      const name = `c-${String(i).padStart(2, '0')}`;
      names.push(name);
      const labels: Record<string, string> = {
        env: i % 3 === 0 ? 'prod' : 'dev',
        team: ['a', 'b', 'c'][i % 3]!,
      };
      if (i % 5 === 0) labels['tier'] = 'edge';
      const r = await api.gql(
        REGISTER,
        {
          input: { name, provider: providers[i % 4], region: i % 2 ? 'eu-west-1' : 'us-east-1', labels },
        },
        key,
      );
      assert.equal(r.errors, undefined);
    }
  });
  after(() => api.close());

  const listAll = async (filter: Record<string, unknown>) => {
    const r = await api.gql(LIST, { filter, first: 200 }, key);
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    return r.data!.clusters.edges.map((e: any) => e.node.name as string);
  };

  it('pages through every cluster without duplicates or gaps', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const r: any = await api.gql(LIST, { first: 5, after }, key);
      assert.equal(r.data.clusters.totalCount, 23);
      seen.push(...r.data.clusters.edges.map((e: any) => e.node.name));
      pages++;
      if (!r.data.clusters.pageInfo.hasNextPage) break;
      after = r.data.clusters.pageInfo.endCursor;
    }
    assert.equal(pages, 5);
    assert.deepEqual(seen, names);
  });

  it('filters by provider, region and status', async () => {
    assert.deepEqual(
      await listAll({ provider: 'GKE' }),
      names.filter((_, i) => i % 4 === 2),
    );
    assert.deepEqual(
      await listAll({ region: 'eu-west-1' }),
      names.filter((_, i) => i % 2 === 1),
    );
    assert.equal((await listAll({ status: 'PENDING' })).length, 23);
    assert.equal((await listAll({ status: 'CONNECTED' })).length, 0);
    assert.deepEqual(
      await listAll({ search: 'c-1' }),
      names.filter((n) => n.startsWith('c-1')),
    );
    assert.deepEqual(await listAll({ search: '%' }), [], 'LIKE wildcards are literal');
  });

  it('filters by Kubernetes label selectors', async () => {
    const idx = (pred: (i: number) => boolean) => names.filter((_, i) => pred(i));
    assert.deepEqual(
      await listAll({ labelSelector: 'env=prod' }),
      idx((i) => i % 3 === 0),
    );
    assert.deepEqual(
      await listAll({ labelSelector: 'env=prod,tier!=edge' }),
      idx((i) => i % 3 === 0 && i % 5 !== 0),
    );
    assert.deepEqual(
      await listAll({ labelSelector: 'team in (a,b)' }),
      idx((i) => i % 3 !== 2),
    );
    assert.deepEqual(
      await listAll({ labelSelector: 'team notin (a)' }),
      idx((i) => i % 3 !== 0),
    );
    assert.deepEqual(
      await listAll({ labelSelector: 'tier' }),
      idx((i) => i % 5 === 0),
    );
    assert.deepEqual(
      await listAll({ labelSelector: '!tier,env=dev' }),
      idx((i) => i % 5 !== 0 && i % 3 !== 0),
    );
    const combined = await api.gql(
      LIST,
      { filter: { labelSelector: 'env=dev', provider: 'AKS' }, first: 2 },
      key,
    );
    assert.equal(
      combined.data!.clusters.totalCount,
      names.filter((_, i) => i % 3 !== 0 && i % 4 === 0).length,
    );
  });

  it('rejects a malformed selector, a bad page size and a bad cursor', async () => {
    const sel = await api.gql(LIST, { filter: { labelSelector: 'team in (a' } }, key);
    assert.equal(errorCode(sel), 'BAD_USER_INPUT');
    assert.equal(sel.errors![0]!.extensions!['field'], 'labelSelector');
    const first = await api.gql(LIST, { first: 0 }, key);
    assert.equal(errorCode(first), 'BAD_USER_INPUT');
    const big = await api.gql(LIST, { first: 1000 }, key);
    assert.equal(errorCode(big), 'BAD_USER_INPUT');
    const cursor = await api.gql(LIST, { after: 'garbage' }, key);
    assert.equal(errorCode(cursor), 'BAD_USER_INPUT');
  });
});
