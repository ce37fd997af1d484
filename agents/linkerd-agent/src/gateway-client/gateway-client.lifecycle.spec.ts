import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PROTOCOL_VERSION, PROTOCOL_VERSION_HEADER } from '@meshfleet/agent-protocol';
import { GatewayClient } from './gateway-client';
import { GatewayError } from './gateway-error';

const DIGEST = 'a'.repeat(64);
const CERT = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const CSR = '-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

describe('gateway client: lifecycle endpoints', () => {
  let server: Server;
  let client: GatewayClient;
  const seen: Seen[] = [];
  let answer: (req: Seen) => { status: number; body: unknown } = () => ({ status: 500, body: {} });

  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const s = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
        seen.push(s);
        const a = answer(s);
        res.writeHead(a.status, { 'content-type': 'application/json' }).end(JSON.stringify(a.body));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    client = new GatewayClient({ apiUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` });
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it('GETs /agent/v1/releases/<version>/<variant> with the credential and protocol header', async () => {
    const bundle = { yaml: 'kind: X\n', digest: DIGEST };
    answer = () => ({
      status: 200,
      body: { version: 'edge-26.6.3', variant: 'ha', simulated: true, crds: bundle, controlPlane: bundle },
    });
    const res = await client.releaseBundles('mfa_cred', { version: 'edge-26.6.3', variant: 'ha' });
    assert.equal(res.controlPlane.digest, DIGEST);
    const req = seen.at(-1)!;
    assert.equal(req.method, 'GET');
    assert.equal(req.url, '/agent/v1/releases/edge-26.6.3/ha');
    assert.equal(req.headers['authorization'], 'Bearer mfa_cred');
    assert.equal(req.headers[PROTOCOL_VERSION_HEADER], String(PROTOCOL_VERSION));
  });

  it('rejects a release answer that breaks the contract', async () => {
    answer = () => ({ status: 200, body: { version: 'edge-26.6.3', variant: 'ha' } });
    await assert.rejects(
      client.releaseBundles('mfa_cred', { version: 'edge-26.6.3', variant: 'ha' }),
      (e: unknown) => e instanceof GatewayError && e.kind === 'protocol',
    );
  });

  it('POSTs the CSR as {csrPem} to /agent/v1/tasks/<id>/issuer-csr', async () => {
    answer = () => ({
      status: 200,
      body: { issuerCertPem: CERT, trustAnchorsPem: CERT, notAfter: '2027-01-01T00:00:00Z' },
    });
    const res = await client.issuerCsr('mfa_cred', 'task/1', CSR);
    assert.equal(res.issuerCertPem, CERT);
    const req = seen.at(-1)!;
    assert.equal(req.method, 'POST');
    assert.equal(req.url, '/agent/v1/tasks/task%2F1/issuer-csr');
    assert.equal(req.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(req.body), { csrPem: CSR });
  });

  it('surfaces a refused CSR as an HTTP error with the API code', async () => {
    answer = () => ({ status: 422, body: { error: 'CSR_REJECTED', message: 'bad subject' } });
    await assert.rejects(
      client.issuerCsr('mfa_cred', 't1', CSR),
      (e: unknown) => e instanceof GatewayError && e.status === 422 && e.code === 'CSR_REJECTED',
    );
  });

  it('refuses to send something that is not a CSR', async () => {
    const before = seen.length;
    await assert.rejects(
      client.issuerCsr('mfa_cred', 't1', 'not a csr'),
      (e: unknown) => e instanceof GatewayError && e.kind === 'protocol',
    );
    assert.equal(seen.length, before);
  });
});
