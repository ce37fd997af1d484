import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import {
  buildClientSchema,
  buildSchema,
  getIntrospectionQuery,
  isObjectType,
  lexicographicSortSchema,
  printSchema,
} from 'graphql';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { PrismaService } from '@meshfleet/db';
import { errorCode } from '@meshfleet/testing';
import { runNode } from '@meshfleet/testing';
import { startApi, TestApi } from './harness';
import { BootstrapAdmin } from '../src/bootstrap-admin';

const ROOT = join(__dirname, '..', '..', '..', '..');

describe('access policy', () => {
  let api: TestApi;
  before(async () => {
    api = await startApi();
  });
  after(() => api.close());

  it('serves exactly the committed schema.graphql (the printer and the app use the same resolvers)', async () => {
    const { apiKey } = await api.newOrg('schema-check');
    const r = await api.gql(getIntrospectionQuery({ specifiedByUrl: true }), {}, apiKey);
    assert.equal(r.errors, undefined);
    const live = printSchema(lexicographicSortSchema(buildClientSchema(r.data as never)));
    const committed = printSchema(
      lexicographicSortSchema(buildSchema(readFileSync(join(ROOT, 'apps/api/schema.graphql'), 'utf8'))),
    );
    assert.equal(live, committed);
  });

  it('refuses every query and mutation without credentials (no resolver is accidentally public)', async () => {
    const schema = buildSchema(readFileSync(join(ROOT, 'apps/api/schema.graphql'), 'utf8'));
    const PUBLIC: string[] = [];
    const roots = [schema.getQueryType(), schema.getMutationType()].filter(isObjectType);
    let checked = 0;
    for (const root of roots) {
      for (const field of Object.values(root.getFields())) {
        if (PUBLIC.includes(field.name)) continue;
        // Satisfy argument types with variables we never send; a guarded field fails on auth
        // before its arguments matter, while a public one would answer or fail differently.
        const args = field.args.filter((a) => String(a.type).endsWith('!'));
        const varDefs = args.map((a) => `$${a.name}: ${String(a.type)}`).join(', ');
        const argUse = args.map((a) => `${a.name}: $${a.name}`).join(', ');
        const op = root === schema.getMutationType() ? 'mutation' : 'query';
        const query = `${op}${varDefs ? `(${varDefs})` : ''} { ${field.name}${argUse ? `(${argUse})` : ''} { __typename } }`;
        const variables = Object.fromEntries(args.map((a) => [a.name, sampleFor(String(a.type))]));
        const r = await api.gql(query, variables);
        assert.equal(errorCode(r), 'UNAUTHENTICATED', `${op} ${field.name}: ${JSON.stringify(r.errors)}`);
        checked++;
      }
    }
    assert.ok(checked >= 12, `checked ${checked} root fields`);
  });
});

function sampleFor(type: string): unknown {
  const t = type.replace(/!$/, '');
  if (t === 'ID' || t === 'String') return '00000000-0000-4000-8000-000000000000';
  if (t === 'Role') return 'VIEWER';
  if (t === 'Int') return 1;
  if (t === 'Float') return 1;
  if (t === 'DateTime') return '2030-01-01T00:00:00.000Z';
  if (t === 'AlertKind') return 'AGENT_OFFLINE';
  if (t === 'ClusterMode') return 'MONITOR';
  if (t === 'ManagementMode') return 'GITOPS';
  if (t === 'GitopsTool') return 'ARGOCD';
  if (t === 'GitopsFormat') return 'FLUX';
  if (t === 'CreateWebhookEndpointInput') return { url: 'https://x.example', eventTypes: ['alert.firing'] };
  if (t === 'RegisterClusterInput') return { name: 'x', provider: 'AKS' };
  if (t === 'UpdateClusterInput') return {};
  if (t === 'CreateApiKeyInput') return { name: 'x', role: 'VIEWER' };
  if (t === 'CreateIdentityDomainInput') return { name: 'x' };
  if (t === 'RolloutInput') return { targetVersion: 'x' };
  if (t === 'MeshAdoptionRolloutInput') return { namespaces: ['x'] };
  if (t === 'MeshNamespacesInput')
    return { clusterId: '00000000-0000-4000-8000-000000000000', namespaces: ['x'] };
  if (t === 'InstallLinkerdInput') return { version: 'x', identityDomainId: 'x' };
  if (t === 'UpgradeLinkerdInput') return { version: 'x' };
  if (t === 'ImportLinkerdReleaseInput')
    return { version: 'x', variant: 'default', crdsYaml: '', controlPlaneYaml: '' };
  if (t === 'ExtensionInput') return { clusterId: '00000000-0000-4000-8000-000000000000', extension: 'viz' };
  if (t === 'ImportLinkerdExtensionInput') return { version: 'x', extension: 'viz', yaml: '' };
  if (t === 'AddMemberInput') return { subject: 'x', role: 'VIEWER', issuer: 'https://x' };
  return {};
}

describe('service basics', () => {
  let api: TestApi;
  let key: string;
  before(async () => {
    api = await startApi({
      MESHFLEET_GRAPHQL_MAX_DEPTH: '6',
      MESHFLEET_GRAPHQL_MAX_COMPLEXITY: '400',
      MESHFLEET_GRAPHQL_INTROSPECTION: 'false',
    });
    ({ apiKey: key } = await api.newOrg('basics'));
  });
  after(() => api.close());

  it('serves /healthz, /readyz and /metrics, and echoes request ids', async () => {
    const health = await fetch(`${api.url}/healthz`, { headers: { 'x-request-id': 'req-123' } });
    assert.equal(health.status, 200);
    assert.equal(health.headers.get('x-request-id'), 'req-123');
    const ready = await fetch(`${api.url}/readyz`);
    assert.equal(ready.status, 200);
    const body = (await ready.json()) as { checks: { name: string; ok: boolean }[] };
    assert.deepEqual(
      body.checks.map((c) => [c.name, c.ok]),
      [
        ['postgres', true],
        ['redis', true],
      ],
    );
    await api.gql('{ viewer { role } }', {}, key);
    const metrics = await (await fetch(`${api.url}/metrics`)).text();
    assert.match(
      metrics,
      /^http_server_request_duration_seconds_count\{[^}]*route="\/graphql"[^}]*\} [1-9]/m,
    );
    assert.match(metrics, /^process_cpu_user_seconds_total /m);
    const minted = await fetch(`${api.url}/healthz`);
    assert.match(minted.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
  });

  it('limits query depth and complexity', async () => {
    const deep = await api.gql(
      '{ clusters { edges { node { id } } pageInfo { hasNextPage } } viewer { organization { id } } }',
      {},
      key,
    );
    assert.equal(deep.errors, undefined, JSON.stringify(deep.errors));
    const tooDeep = await api.gql(
      '{ auditEvents { edges { node { id } } } viewer { organization { id } } clusters { edges { node { labels } } } }',
      {},
      key,
    );
    assert.equal(tooDeep.errors, undefined);
    const d = await api.gql(
      'query { clusters { edges { node { id } } } a: clusters { edges { node { id } } } b: clusters { edges { node { id } } } c: clusters { edges { node { id name region labels status } } } }',
      {},
      key,
    );
    assert.equal(errorCode(d), 'QUERY_TOO_COMPLEX');
  });

  it('turns introspection off when configured', async () => {
    const r = await api.gql('{ __schema { queryType { name } } }', {}, key);
    assert.ok(r.errors && r.errors.length > 0);
    assert.match(r.errors[0]!.message, /introspection/i);
  });
});

describe('depth limit', () => {
  let api: TestApi;
  before(async () => {
    api = await startApi({ MESHFLEET_GRAPHQL_MAX_DEPTH: '2' });
  });
  after(() => api.close());

  it('rejects a query nested deeper than the limit before resolving anything', async () => {
    const r = await api.gql('{ clusters { edges { node { id } } } }');
    assert.ok(r.errors?.[0]?.message.match(/exceeds maximum operation depth/), JSON.stringify(r.errors));
    assert.equal(errorCode(r), 'GRAPHQL_VALIDATION_FAILED');
  });
});

describe('bootstrap admin key and operator CLI', () => {
  const adminKey = 'mfk_bootstrap_0123456789abcdefghij';
  let api: TestApi;
  before(async () => {
    api = await startApi({ MESHFLEET_BOOTSTRAP_ADMIN_KEY: adminKey });
  });
  after(() => api.close());

  it('ensures the default organization with the configured admin key, idempotently', async () => {
    const r = await api.gql('{ viewer { role organization { name } } }', {}, adminKey);
    assert.deepEqual(r.data!.viewer, { role: 'ADMIN', organization: { name: 'default' } });
    await api.app.get(BootstrapAdmin).onApplicationBootstrap();
    const keys = await api.gql('{ apiKeys { name } }', {}, adminKey);
    assert.deepEqual(keys.data!.apiKeys, [{ name: 'bootstrap-admin' }]);
  });

  it('creates and lists organizations from the CLI', async () => {
    const env = { ...process.env, DATABASE_URL: api.db.url, LOG_LEVEL: 'silent' };
    const cli = join(ROOT, 'apps/api/dist/src/cli.js');
    const created = await runNode([cli, 'org', 'create', 'from-cli'], {
      env,
      encoding: 'utf8',
    });
    assert.equal(created.status, 0, created.stderr);
    const lines = created.stdout.trim().split('\n');
    assert.equal(lines.length, 1);
    const out = JSON.parse(lines[0]!) as { organizationId: string; apiKey: string };
    assert.match(out.apiKey, /^mfk_/);
    const dup = await runNode([cli, 'org', 'create', 'from-cli'], { env, encoding: 'utf8' });
    assert.notEqual(dup.status, 0);
    assert.match(dup.stderr, /already exists/);
    const bad = await runNode([cli, 'org', 'create', 'Bad Name'], { env, encoding: 'utf8' });
    assert.notEqual(bad.status, 0);
    const list = await runNode([cli, 'org', 'list'], { env, encoding: 'utf8' });
    const names = list.stdout
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { name: string }).name);
    assert.deepEqual(names.sort(), ['default', 'from-cli']);
    return api.gql('{ viewer { organization { id name } } }', {}, out.apiKey).then((r) => {
      assert.deepEqual(r.data!.viewer.organization, { id: out.organizationId, name: 'from-cli' });
    });
  });

  it('imports rendered Linkerd manifests from the CLI, with identity material replaced', async () => {
    const env = { ...process.env, DATABASE_URL: api.db.url, LOG_LEVEL: 'silent' };
    const cli = join(ROOT, 'apps/api/dist/src/cli.js');
    const org = JSON.parse(
      (await runNode([cli, 'org', 'create', 'importer'], { env, encoding: 'utf8' })).stdout,
    ) as {
      organizationId: string;
      apiKey: string;
    };
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { realRender } = require(
      join(ROOT, 'libs/linkerd/dist/src/catalog/testing/real-render.fixture.js'),
    ) as {
      realRender: (v: string, variant: 'default' | 'ha') => { crdsYaml: string; controlPlaneYaml: string };
    };
    const render = realRender('enterprise-2.19.0', 'default');
    assert.match(render.controlPlaneYaml, /BEGIN/, 'the input carries identity material');
    const dir = mkdtempSync(join(tmpdir(), 'mf-import-'));
    writeFileSync(join(dir, 'crds.yaml'), render.crdsYaml);
    writeFileSync(join(dir, 'cp.yaml'), render.controlPlaneYaml);
    const args = [
      'release',
      'import',
      '--org',
      org.organizationId,
      '--version',
      'enterprise-2.19.0',
      '--variant',
      'default',
    ];
    const r = await runNode(
      [cli, ...args, '--crds', join(dir, 'crds.yaml'), '--control-plane', join(dir, 'cp.yaml')],
      { env, encoding: 'utf8' },
    );
    assert.equal(r.status, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { version: string; major: string; crdsDigest: string };
    assert.equal(out.major, '2.19');
    assert.match(out.crdsDigest, /^[0-9a-f]{64}$/);
    const releases = await api.gql('{ linkerdReleases { version imported simulated } }', {}, org.apiKey);
    assert.deepEqual(
      releases.data!.linkerdReleases.filter((x: any) => x.imported),
      [{ version: 'enterprise-2.19.0', imported: true, simulated: false }],
    );
    const prisma = api.app.get(PrismaService);
    const bundle = await prisma.releaseBundle.findFirstOrThrow({
      where: { release: { organizationId: org.organizationId } },
    });
    assert.ok(
      !/PRIVATE KEY|BEGIN CERTIFICATE/.test(bundle.controlPlaneYaml),
      'identity material was replaced by placeholders',
    );
    const bad = await runNode(
      [cli, ...args, '--crds', join(dir, 'cp.yaml'), '--control-plane', join(dir, 'cp.yaml')],
      { env, encoding: 'utf8' },
    );
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /error:/);
  });
});
