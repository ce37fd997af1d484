import 'reflect-metadata';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { ValidationError } from '@meshfleet/core';
import { createIssuerCsr, createTrustAnchor, signIssuerCsr } from './pki';

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

describe('fleet PKI', () => {
  it(
    'signs an issuer that openssl verifies against the anchor, with the CA constraints Linkerd needs',
    { skip: !hasOpenssl && 'openssl not installed' },
    async () => {
      const anchor = await createTrustAnchor('cluster.local', 3650);
      const csr = await createIssuerCsr('cluster.local');
      const issuer = await signIssuerCsr({
        csrPem: csr.csrPem,
        trustDomain: 'cluster.local',
        anchorCertPem: anchor.certPem,
        anchorKeyPem: anchor.keyPem,
        validityDays: 365,
      });
      const dir = mkdtempSync(join(tmpdir(), 'mf-pki-'));
      writeFileSync(join(dir, 'anchor.pem'), anchor.certPem);
      writeFileSync(join(dir, 'issuer.pem'), issuer.certPem);
      const verify = execFileSync(
        'openssl',
        ['verify', '-x509_strict', '-CAfile', join(dir, 'anchor.pem'), join(dir, 'issuer.pem')],
        { encoding: 'utf8' },
      );
      assert.match(verify, /issuer\.pem: OK/);
      const text = execFileSync('openssl', ['x509', '-in', join(dir, 'issuer.pem'), '-noout', '-text'], {
        encoding: 'utf8',
      });
      assert.match(text, /Subject: CN ?= ?identity\.linkerd\.cluster\.local/);
      assert.match(text, /Issuer: CN ?= ?root\.linkerd\.cluster\.local/);
      assert.match(text, /CA:TRUE, pathlen:0/);
      assert.match(text, /Certificate Sign, CRL Sign/);
      assert.match(text, /ecdsa-with-SHA256/);
      assert.match(text, /prime256v1/);
      const anchorText = execFileSync(
        'openssl',
        ['x509', '-in', join(dir, 'anchor.pem'), '-noout', '-text'],
        { encoding: 'utf8' },
      );
      assert.match(anchorText, /CA:TRUE/);
      assert.match(anchorText, /Certificate Sign, CRL Sign/);
      const days = (issuer.notAfter.getTime() - Date.now()) / 86_400_000;
      assert.ok(days > 364 && days < 366, `issuer valid ${days} days`);
    },
  );

  it('refuses CSRs with the wrong name, a bad signature or a non-P-256 key', async () => {
    const anchor = await createTrustAnchor('cluster.local', 30);
    const sign = (csrPem: string) =>
      signIssuerCsr({
        csrPem,
        trustDomain: 'cluster.local',
        anchorCertPem: anchor.certPem,
        anchorKeyPem: anchor.keyPem,
        validityDays: 30,
      });
    const wrongName = await createIssuerCsr('other.domain');
    await assert.rejects(
      sign(wrongName.csrPem),
      (e: unknown) => e instanceof ValidationError && /CN=identity\.linkerd\.cluster\.local/.test(e.message),
    );
    await assert.rejects(sign('not a csr'), ValidationError);
    const rsa = (await webcrypto.subtle.generateKey(
      {
        name: 'RSASSA-PKCS1-v1_5',
        modulusLength: 2048,
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: 'SHA-256',
      },
      true,
      ['sign', 'verify'],
    )) as webcrypto.CryptoKeyPair;
    const rsaCsr = await x509.Pkcs10CertificateRequestGenerator.create({
      name: 'CN=identity.linkerd.cluster.local',
      keys: rsa,
      signingAlgorithm: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    });
    await assert.rejects(
      sign(rsaCsr.toString('pem')),
      (e: unknown) => e instanceof ValidationError && /P-256/.test(e.message),
    );
  });
});
