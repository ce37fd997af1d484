// importLinkerdRelease through GraphQL over real HTTP on Postgres (issue 13): real-size bodies,
// CONFLICT / replace with its audit row, idempotent re-imports, one listed release per version,
// and nothing stored when an import is refused.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { PrismaService } from '@meshfleet/db';
import { errorCode } from '@meshfleet/testing';
import { startApi, TestApi } from './harness';

const ROOT = join(__dirname, '../../../..');
type Render = { crdsYaml: string; controlPlaneYaml: string };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const fixtures = require(join(ROOT, 'libs/linkerd/dist/src/catalog/testing/real-render.fixture.js')) as {
  cliRender: (v: string, variant: 'default' | 'ha') => Render;
  helmRender: (v: string, variant: 'default' | 'ha') => Render;
};

const IMPORT = `mutation($i: ImportLinkerdReleaseInput!) {
  importLinkerdRelease(input: $i) { version source shadowsSimulated bundles { variant crdsDigest controlPlaneDigest } }
}`;
const V = 'enterprise-2.20.0';
// Real CRD renders carry ~420 KB of schemas; comments make the fixture as large and are not stored.
const padded = (yaml: string, bytes: number): string =>
  `${`# ${'x'.repeat(98)}\n`.repeat(bytes / 100)}${yaml}`;

const message = (r: { errors?: Array<{ message: string }> }): string => r.errors?.[0]?.message ?? '';

async function post(api: TestApi, body: string, key: string): Promise<{ status: number; json: any }> {
  const res = await fetch(`${api.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body,
  });
  return { status: res.status, json: await res.json() };
}

describe('importLinkerdRelease over HTTP', () => {
  let api: TestApi;
  let key: string;
  let org: string;
  let prisma: PrismaService;
  const imports = (i: Record<string, unknown>) => api.gql(IMPORT, { i }, key);
  const stored = () => prisma.linkerdRelease.count({ where: { organizationId: org } });
  const audits = (action: string) => prisma.auditEvent.findMany({ where: { organizationId: org, action } });

  before(async () => {
    api = await startApi();
    ({ apiKey: key, organizationId: org } = await api.newOrg('importer'));
    prisma = api.app.get(PrismaService);
  });
  after(() => api.close());

  it('accepts an import of real size but keeps the small limit for every other request', async () => {
    const render = fixtures.cliRender('enterprise-2.19.1', 'default');
    const crdsYaml = padded(render.crdsYaml, 600_000);
    const body = JSON.stringify({
      query: IMPORT,
      variables: { i: { version: 'enterprise-2.19.1', variant: 'default', ...render, crdsYaml } },
    });
    assert.ok(body.length > 600_000);
    const ok = await post(api, body, key);
    assert.equal(ok.status, 200, JSON.stringify(ok.json.errors));
    assert.equal(ok.json.data.importLinkerdRelease.source, 'IMPORTED');

    const query = JSON.stringify({
      query: '{ linkerdReleases { version } }',
      variables: { pad: 'x'.repeat(200_000) },
    });
    const small = await post(api, query, key);
    assert.equal(small.status, 413);
    assert.equal(small.json.errors[0].extensions.code, 'PAYLOAD_TOO_LARGE');
    assert.match(
      small.json.errors[0].message,
      /exceeds 100 KiB .*only a request holding nothing but importLinkerdRelease, from a caller allowed to import \(ADMIN\), may send up to 8 MiB/,
    );

    // An import that smuggles another field along is held to the small limit too.
    const mixed = JSON.stringify({
      query: IMPORT.replace(
        'importLinkerdRelease(input: $i) {',
        'a: importLinkerdRelease(input: $i) { version } b: revokeApiKey(id: "x") {',
      ),
      variables: { i: { version: 'enterprise-2.19.1', variant: 'default', ...render, crdsYaml } },
    });
    assert.equal((await post(api, mixed, key)).status, 413);
  });

  it('reads a large body only for a caller allowed to import, judged before the body is read', async () => {
    const render = fixtures.cliRender('enterprise-2.19.1', 'default');
    const body = JSON.stringify({
      query: IMPORT,
      variables: {
        i: {
          version: 'enterprise-2.19.1',
          variant: 'default',
          ...render,
          crdsYaml: padded(render.crdsYaml, 300_000),
        },
      },
    });
    const send = (headers: Record<string, string>) =>
      fetch(`${api.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
      });
    const anonymous = await send({});
    assert.equal(anonymous.status, 401);
    assert.equal(((await anonymous.json()) as any).errors[0].extensions.code, 'UNAUTHENTICATED');
    // Headers alone get the answer: the body is never waited for.
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${api.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': String(5_000_000) },
      });
      req.on('response', (res) => {
        resolve(res.statusCode ?? 0);
        res.resume();
        req.destroy();
      });
      req.on('error', reject);
      req.flushHeaders();
    });
    assert.equal(status, 401);
    const unknown = await send({ authorization: 'Bearer mfk_not_a_key_0123456789abcdef' });
    assert.equal(unknown.status, 401);
    const viewer = (
      await api.gql(`mutation { createApiKey(input: { name: "reader", role: VIEWER }) { secret } }`, {}, key)
    ).data!.createApiKey.secret;
    const refused = await send({ authorization: `Bearer ${viewer}` });
    assert.equal(refused.status, 413);
    const json = (await refused.json()) as any;
    assert.equal(json.errors[0].extensions.code, 'PAYLOAD_TOO_LARGE');
    assert.match(json.errors[0].message, /exceeds 100 KiB .*allowed to import \(ADMIN\)/);
    // A small request from the same caller is unaffected.
    const smallOk = await api.gql('{ linkerdReleases { version } }', {}, viewer);
    assert.equal(smallOk.errors, undefined);
  });

  it('answers 413 over 8 MiB, saying the limit and the CLI way', async () => {
    const render = fixtures.cliRender(V, 'default');
    const body = JSON.stringify({
      query: IMPORT,
      variables: {
        i: { version: V, variant: 'default', ...render, crdsYaml: padded(render.crdsYaml, 9_000_000) },
      },
    });
    const r = await post(api, body, key);
    assert.equal(r.status, 413);
    assert.equal(r.json.errors[0].extensions.code, 'PAYLOAD_TOO_LARGE');
    assert.match(
      r.json.errors[0].message,
      /exceeds 8 MiB.*MESHFLEET_RELEASE_IMPORT_MAX_BYTES.*cli -- release import/,
    );
    const releases = await api.gql('{ linkerdReleases { version source } }', {}, key);
    assert.deepEqual(
      releases.data!.linkerdReleases.filter((x: any) => x.version === V).map((x: any) => x.source),
      ['SIMULATED'],
    );
  });

  it('stores nothing when an import is refused, and says why', async () => {
    const before = await stored();
    const render = fixtures.cliRender(V, 'default');
    const cut = render.controlPlaneYaml.slice(0, render.controlPlaneYaml.lastIndexOf('containers:'));
    const r = await imports({ version: V, variant: 'default', ...render, controlPlaneYaml: cut });
    assert.equal(errorCode(r), 'BAD_USER_INPUT');
    assert.match(JSON.stringify(r.errors?.[0]?.extensions), /is incomplete .*was the bundle cut short/);
    const partial = render.crdsYaml.split(/^---$/m).slice(0, 4).join('---');
    const crds = await imports({ version: V, variant: 'default', ...render, crdsYaml: partial });
    assert.equal(errorCode(crds), 'BAD_USER_INPUT');
    assert.match(message(crds), /CRDs bundle is incomplete: Linkerd 2\.20 needs 10 Linkerd CRDs/);
    const other = await imports({
      version: 'enterprise-2.19.1',
      variant: 'ha',
      ...fixtures.cliRender(V, 'ha'),
    });
    assert.match(message(other), /renders Linkerd enterprise-2\.20\.0, not enterprise-2\.19\.1/);
    assert.equal(await stored(), before);
    assert.equal((await audits('linkerd-release.import')).length, before);
  });

  it('re-imports the same render idempotently, refuses other manifests with CONFLICT, replaces on request', async () => {
    const cli = { version: V, variant: 'ha', ...fixtures.cliRender(V, 'ha') };
    const first = await imports(cli);
    assert.equal(first.errors, undefined, JSON.stringify(first.errors));
    const again = await imports(cli);
    assert.deepEqual(again.data, first.data, 'the same digest again is a success');
    assert.equal(
      (await audits('linkerd-release.import')).filter((a) => (a.metadata as any).version === V).length,
      1,
    );

    const helm = { version: V, variant: 'ha', ...fixtures.helmRender(V, 'ha') };
    const conflict = await imports(helm);
    assert.equal(errorCode(conflict), 'CONFLICT');
    assert.match(
      message(conflict),
      /already imported with other manifests.*replace: true \(CLI: --replace\)/,
    );
    const kept = await prisma.releaseBundle.findFirstOrThrow({
      where: { release: { organizationId: org, version: V } },
    });
    assert.equal(kept.controlPlaneDigest, first.data!.importLinkerdRelease.bundles[0].controlPlaneDigest);

    const replaced = await imports({ ...helm, replace: true });
    assert.equal(replaced.errors, undefined, JSON.stringify(replaced.errors));
    const digest = replaced.data!.importLinkerdRelease.bundles[0].controlPlaneDigest;
    assert.notEqual(digest, kept.controlPlaneDigest);
    const [audit] = await audits('linkerd-release.replace');
    assert.deepEqual(
      [(audit!.metadata as any).previousControlPlaneDigest, (audit!.metadata as any).controlPlaneDigest],
      [kept.controlPlaneDigest, digest],
    );
  });

  it('lists each version once: the import shadows the simulated release and says so', async () => {
    const r = await api.gql(
      '{ linkerdReleases { version source simulated imported shadowsSimulated } }',
      {},
      key,
    );
    const list = r.data!.linkerdReleases as any[];
    const versions = list.map((x) => x.version);
    assert.equal(new Set(versions).size, versions.length, 'no version twice');
    assert.deepEqual(
      list.find((x) => x.version === V),
      {
        version: V,
        source: 'IMPORTED',
        simulated: false,
        imported: true,
        shadowsSimulated: true,
      },
    );
    assert.ok(list.filter((x) => !x.imported).every((x) => x.source === 'SIMULATED' && !x.shadowsSimulated));
    const other = await api.newOrg('other');
    const theirs = await api.gql('{ linkerdReleases { version source } }', {}, other.apiKey);
    assert.equal(theirs.data!.linkerdReleases.find((x: any) => x.version === V).source, 'SIMULATED');
  });

  it('takes --replace on the CLI', async () => {
    const { execFileSync } = await import('node:child_process');
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'mf-replace-'));
    const cli = fixtures.cliRender(V, 'ha');
    writeFileSync(join(dir, 'crds.yaml'), cli.crdsYaml);
    writeFileSync(join(dir, 'cp.yaml'), cli.controlPlaneYaml);
    const args = [join(ROOT, 'apps/api/dist/src/cli.js'), 'release', 'import', '--org', org, '--version', V];
    const run = (extra: string[]) => {
      try {
        return {
          status: 0,
          out: execFileSync(
            process.execPath,
            [
              ...args,
              '--variant',
              'ha',
              '--crds',
              join(dir, 'crds.yaml'),
              '--control-plane',
              join(dir, 'cp.yaml'),
              ...extra,
            ],
            {
              env: { ...process.env, DATABASE_URL: api.db.url, LOG_LEVEL: 'silent' },
              encoding: 'utf8',
              stdio: 'pipe',
            },
          ),
        };
      } catch (e: any) {
        return { status: e.status as number, out: String(e.stderr) };
      }
    };
    const refused = run([]);
    assert.equal(refused.status, 3, refused.out);
    assert.match(refused.out, /already imported with other manifests/);
    const ok = run(['--replace']);
    assert.equal(ok.status, 0, ok.out);
    assert.equal(JSON.parse(ok.out).shadowsSimulated, true);
    assert.equal((await audits('linkerd-release.replace')).length, 2);
  });
});
