// importLinkerdExtension: a real-shaped `linkerd viz install` render joins the organization's import
// of its release; what is refused (and why) writes nothing; the agent route serves what was stored.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PrismaService } from '@meshfleet/db';
import { errorCode } from '@meshfleet/testing';
import { startApi, TestApi } from './harness';

import { cliRender } from '@meshfleet/linkerd/dist/src/catalog/testing/real-render.fixture';
import {
  multiclusterRender,
  vizCliRender,
  vizExternalSecretRender,
} from '@meshfleet/linkerd/dist/src/catalog/testing/extension-renders.fixture';
import { FAKE_PEM_LINES } from '@meshfleet/linkerd/dist/src/catalog/testing/fake-identity.fixture';

const V = 'enterprise-2.20.0';
const IMPORT = `mutation($i: ImportLinkerdExtensionInput!) {
  importLinkerdExtension(input: $i) { version extension namespace digest objects } }`;

describe('importLinkerdExtension', () => {
  let api: TestApi;
  let key: string;
  let org: string;
  let prisma: PrismaService;
  const imports = (i: Record<string, unknown>) => api.gql(IMPORT, { i }, key);
  const stored = () => prisma.extensionBundle.count({ where: { release: { organizationId: org } } });
  const audits = () =>
    prisma.auditEvent.count({ where: { organizationId: org, action: { startsWith: 'linkerd-extension.' } } });

  before(async () => {
    api = await startApi();
    ({ apiKey: key, organizationId: org } = await api.newOrg('ext-importer'));
    prisma = api.app.get(PrismaService);
  });
  after(() => api.close());

  it('refuses a render of a release the organization has not imported, writing nothing', async () => {
    const r = await imports({ version: V, extension: 'viz', yaml: vizCliRender(V) });
    assert.equal(errorCode(r), 'FAILED_PRECONDITION', JSON.stringify(r.errors));
    assert.equal(r.errors![0]!.extensions!['reason'], 'RELEASE_NOT_IMPORTED');
    assert.equal(await stored(), 0);
  });

  it('stores the viz render without its certificates, once, next to the imported release', async () => {
    const core = await api.gql(
      `mutation($i: ImportLinkerdReleaseInput!) { importLinkerdRelease(input: $i) { version } }`,
      { i: { version: V, variant: 'default', ...cliRender(V, 'default') } },
      key,
    );
    assert.equal(core.errors, undefined, JSON.stringify(core.errors));
    const r = await imports({ version: V, extension: 'viz', yaml: vizCliRender(V) });
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    const b = r.data!.importLinkerdExtension;
    assert.equal(b.namespace, 'linkerd-viz');
    assert.ok(b.objects > 40, String(b.objects));
    const row = await prisma.extensionBundle.findFirst({
      where: { release: { organizationId: org }, extension: 'viz' },
    });
    assert.ok(row);
    for (const line of FAKE_PEM_LINES) assert.ok(!row.yaml.includes(line), 'a PEM line was stored');
    // The externalSecret render is the same bundle: nothing new, no second audit entry.
    const again = await imports({
      version: V,
      extension: 'viz',
      yaml: vizExternalSecretRender(V),
    });
    assert.equal(again.data!.importLinkerdExtension.digest, b.digest);
    assert.equal(await stored(), 1);
    assert.equal(await audits(), 1);
  });

  it('refuses other manifests for the same extension unless replaced, and bad renders with their reasons', async () => {
    const other = vizCliRender(V).replace('scrape_interval: 10s', 'scrape_interval: 30s');
    const conflict = await imports({ version: V, extension: 'viz', yaml: other });
    assert.equal(errorCode(conflict), 'CONFLICT', JSON.stringify(conflict.errors));
    const replaced = await imports({ version: V, extension: 'viz', yaml: other, replace: true });
    assert.equal(replaced.errors, undefined, JSON.stringify(replaced.errors));
    assert.equal(await audits(), 2);

    const wrong = await imports({ version: V, extension: 'viz', yaml: multiclusterRender(V) });
    assert.equal(errorCode(wrong), 'BAD_USER_INPUT');
    assert.ok(
      (wrong.errors![0]!.extensions!['reasons'] as string[]).some((x) => /no Deployment tap;/.test(x)),
      JSON.stringify(wrong.errors),
    );
    assert.equal(await stored(), 1);
  });
});
