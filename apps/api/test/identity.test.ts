import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createIssuerCsr, IdentityDomainsService } from '@meshfleet/certificates';
import { PrismaService } from '@meshfleet/db';
import { errorCode } from '@meshfleet/testing';
import { startApi, TestApi } from './harness';

const CREATE = `mutation($input: CreateIdentityDomainInput!) { createIdentityDomain(input: $input) {
  id name trustDomain mode trustAnchor { pem subject notAfter sha256Fingerprint } } }`;

describe('identity domains', () => {
  let api: TestApi;
  let admin: string;
  let orgId: string;

  before(async () => {
    api = await startApi({ MESHFLEET_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}` });
    ({ apiKey: admin, organizationId: orgId } = await api.newOrg('pki'));
  });
  after(() => api.close());

  it('creates a managed domain with an ECDSA P-256 anchor whose private key is only stored encrypted', async () => {
    const r = await api.gql(CREATE, { input: { name: 'prod-mesh', anchorValidityDays: 3650 } }, admin);
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    const d = r.data!.createIdentityDomain;
    assert.equal(d.trustDomain, 'cluster.local');
    assert.equal(d.mode, 'MANAGED');
    assert.equal(d.trustAnchor.subject, 'CN=root.linkerd.cluster.local');
    assert.match(d.trustAnchor.pem, /BEGIN CERTIFICATE/);
    const years = (Date.parse(d.trustAnchor.notAfter) - Date.now()) / (365 * 86_400_000);
    assert.ok(years > 9.9 && years < 10.1);
    const row = await api.app.get(PrismaService).identityDomain.findUniqueOrThrow({ where: { id: d.id } });
    const stored = JSON.stringify(row);
    assert.ok(!stored.includes('PRIVATE KEY'), 'no clear private key in the database');
    assert.equal((row.anchorKeyEnc as { kid: string }).kid, 'k1');
    assert.ok(!JSON.stringify(r).includes('PRIVATE KEY'));
  });

  it('signs a cluster issuer from a CSR and keeps only the certificate', async () => {
    const domains = await api.gql(`{ identityDomains { id name } }`, {}, admin);
    const id = domains.data!.identityDomains.find((d: any) => d.name === 'prod-mesh').id;
    const csr = await createIssuerCsr('cluster.local');
    const clusterId = '00000000-0000-4000-8000-000000000001';
    const issued = await api.app.get(IdentityDomainsService).signIssuer(orgId, id, clusterId, csr.csrPem);
    assert.match(issued.certPem, /BEGIN CERTIFICATE/);
    const list = await api.gql(
      `query($id: ID!) { identityDomain(id: $id) { issuers { clusterId serialNumber notAfter } } }`,
      { id },
      admin,
    );
    assert.equal(list.data!.identityDomain.issuers[0].clusterId, clusterId);
    const rows = await api.app.get(PrismaService).issuerCertificate.findMany();
    assert.ok(!JSON.stringify(rows).includes('PRIVATE KEY'));
    assert.ok(!JSON.stringify(rows).includes(csr.keyPem.slice(40, 80)));
  });

  it('validates input and refuses duplicates and non-admins', async () => {
    assert.equal(errorCode(await api.gql(CREATE, { input: { name: 'prod-mesh' } }, admin)), 'CONFLICT');
    const bad = await api.gql(CREATE, { input: { name: 'x1', trustDomain: 'not a domain' } }, admin);
    assert.equal(errorCode(bad), 'BAD_USER_INPUT');
    assert.equal(bad.errors![0]!.extensions!['field'], 'trustDomain');
    assert.equal(
      errorCode(await api.gql(CREATE, { input: { name: 'x2', anchorValidityDays: 0 } }, admin)),
      'BAD_USER_INPUT',
    );
    const editor = await api.gql(
      `mutation { createApiKey(input: { name: "ed", role: EDITOR }) { secret } }`,
      {},
      admin,
    );
    assert.equal(
      errorCode(await api.gql(CREATE, { input: { name: 'x3' } }, editor.data!.createApiKey.secret)),
      'FORBIDDEN',
    );
    const count = await api.app.get(PrismaService).identityDomain.count();
    assert.equal(count, 1);
  });

  it('monitors an external domain without holding any key', async () => {
    const managed = await api.gql(`{ identityDomains { trustAnchor { pem } } }`, {}, admin);
    const pem = managed.data!.identityDomains[0].trustAnchor.pem;
    const r = await api.gql(
      CREATE,
      { input: { name: 'cert-manager', mode: 'EXTERNAL', externalTrustAnchorsPem: pem } },
      admin,
    );
    assert.equal(r.errors, undefined);
    assert.equal(r.data!.createIdentityDomain.mode, 'EXTERNAL');
    const id = r.data!.createIdentityDomain.id;
    const csr = await createIssuerCsr('cluster.local');
    await assert.rejects(
      api.app
        .get(IdentityDomainsService)
        .signIssuer(orgId, id, '00000000-0000-4000-8000-000000000002', csr.csrPem),
      /externally managed/,
    );
  });
});

describe('identity domains without an encryption key', () => {
  let api: TestApi;
  before(async () => {
    api = await startApi();
  });
  after(() => api.close());

  it('refuses a managed domain with FAILED_PRECONDITION and writes nothing', async () => {
    const { apiKey } = await api.newOrg('nokeys');
    const r = await api.gql(CREATE, { input: { name: 'm' } }, apiKey);
    assert.equal(errorCode(r), 'FAILED_PRECONDITION');
    assert.match(r.errors![0]!.message, /MESHFLEET_ENCRYPTION_KEYS/);
    assert.equal(await api.app.get(PrismaService).identityDomain.count(), 0);
  });
});
