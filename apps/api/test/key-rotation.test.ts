// Encryption-key rotation from the operator CLI: `keys status` and `keys rewrap` move every stored
// secret (trust-anchor keys, webhook signing secrets) to the active key, after which the old key can
// be dropped from MESHFLEET_ENCRYPTION_KEYS and the secrets still open.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, randomBytes, X509Certificate } from 'node:crypto';
import { join, resolve } from 'node:path';
import { open, type Sealed } from '@meshfleet/certificates';
import { PrismaService } from '@meshfleet/db';
import { runNode } from '@meshfleet/testing';
import { startApi, type TestApi } from './harness';

const ROOT = resolve(__dirname, '..', '..', '..', '..');
const CLI = join(ROOT, 'apps/api/dist/src/cli.js');
const k1 = randomBytes(32);
const k2 = randomBytes(32);
const keyring = (entries: [string, Buffer][], activeKeyId: string) => ({
  keys: new Map(entries),
  activeKeyId,
});

describe('encryption key rotation (CLI keys status / rewrap)', () => {
  let api: TestApi;
  let apiKey: string;
  let webhookSecret: string;

  const cli = (args: string[], keys: string, active?: string) =>
    runNode([CLI, ...args], {
      env: {
        ...process.env,
        DATABASE_URL: api.db.url,
        LOG_LEVEL: 'silent',
        MESHFLEET_ENCRYPTION_KEYS: keys,
        ...(active ? { MESHFLEET_ENCRYPTION_ACTIVE_KEY: active } : {}),
      },
      encoding: 'utf8',
    });
  const stored = async () => {
    const prisma = api.app.get(PrismaService);
    const domain = await prisma.identityDomain.findFirstOrThrow({ where: { name: 'prod' } });
    const endpoint = await prisma.webhookEndpoint.findFirstOrThrow();
    return {
      anchorCertPem: domain.anchorCertPem!,
      anchorKey: domain.anchorKeyEnc as unknown as Sealed,
      secret: endpoint.secretEnc as unknown as Sealed,
    };
  };

  before(async () => {
    api = await startApi({
      MESHFLEET_ENCRYPTION_KEYS: `k1:${k1.toString('base64')}`,
      MESHFLEET_WEBHOOK_ALLOWED_HOSTS: 'hooks.example.test',
    });
    apiKey = (await api.newOrg('rotation')).apiKey;
    const d = await api.gql(`mutation { createIdentityDomain(input: { name: "prod" }) { id } }`, {}, apiKey);
    assert.equal(d.errors, undefined, JSON.stringify(d.errors));
    const w = await api.gql(
      `mutation { createWebhookEndpoint(input: { url: "https://hooks.example.test/in", eventTypes: ["alert.firing"] }) { secret } }`,
      {},
      apiKey,
    );
    assert.equal(w.errors, undefined, JSON.stringify(w.errors));
    webhookSecret = w.data!.createWebhookEndpoint.secret;
  });

  after(() => api?.close());

  it('reports which keys the stored secrets use', async () => {
    const r = await cli(['keys', 'status'], `k1:${k1.toString('base64')}`);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { activeKeyId: 'k1', keysInUse: { k1: 2 } });
  });

  it('refuses to run without the key the secrets are wrapped with, changing nothing', async () => {
    const before = await stored();
    const r = await cli(['keys', 'rewrap'], `k2:${k2.toString('base64')}`);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /k1.*MESHFLEET_ENCRYPTION_KEYS does not contain/);
    assert.deepEqual(await stored(), before);
  });

  it('re-wraps every secret under the active key; the old key can then be removed', async () => {
    const before = await stored();
    const both = `k1:${k1.toString('base64')},k2:${k2.toString('base64')}`;
    const r = await cli(['keys', 'rewrap'], both, 'k2');
    assert.equal(r.status, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    assert.deepEqual(report.rewrapped, { trustAnchorKeys: 1, webhookSecrets: 1 });
    assert.equal(report.alreadyCurrent, 0);
    assert.deepEqual(report.keysInUse, { k2: 2 });
    assert.doesNotMatch(r.stdout + r.stderr, /PRIVATE KEY|whsec_/, 'no secret in the output');

    const after = await stored();
    assert.equal(after.anchorKey.kid, 'k2');
    assert.equal(after.anchorKey.ciphertext, before.anchorKey.ciphertext, 'only the data key was re-wrapped');
    const onlyK2 = keyring([['k2', k2]], 'k2');
    const keyPem = open(onlyK2, after.anchorKey);
    const certKey = new X509Certificate(after.anchorCertPem).publicKey.export({
      format: 'der',
      type: 'spki',
    });
    assert.deepEqual(createPublicKey(keyPem).export({ format: 'der', type: 'spki' }), certKey);
    assert.equal(open(onlyK2, after.secret), webhookSecret);
    assert.throws(
      () => open(keyring([['k1', k1]], 'k1'), after.secret),
      /Encryption key k2 is not in MESHFLEET_ENCRYPTION_KEYS/,
    );

    const again = await cli(['keys', 'rewrap'], both, 'k2');
    assert.equal(again.status, 0, again.stderr);
    assert.equal(JSON.parse(again.stdout).alreadyCurrent, 2, 'a second run changes nothing');
  });
});
