import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { exampleHealthReport, exampleHeartbeat, type HealthReportInput } from '@meshfleet/agent-protocol';
import { GatewayClient } from './gateway-client';

interface Seen {
  url: string;
  encoding: string | undefined;
  body: Buffer;
}

/** The example report with many namespaces: well over the compression threshold. */
function largeReport(): HealthReportInput {
  const r = exampleHealthReport();
  const ns0 = r.mtls.namespaces[0]!;
  r.mtls.namespaces = Array.from({ length: 60 }, (_, i) => ({ ...ns0, name: `team-${i}` }));
  return r;
}

describe('gateway client: compressed bodies', () => {
  let server: Server;
  let apiUrl: string;
  const seen: Seen[] = [];
  let refuseGzip = false;

  before(async () => {
    server = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const encoding = req.headers['content-encoding'];
        seen.push({ url: req.url ?? '', encoding, body: Buffer.concat(chunks) });
        if (refuseGzip && encoding) {
          res.writeHead(415, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({ error: 'UNSUPPORTED_MEDIA_TYPE', message: 'Unsupported Content-Encoding' }),
          );
          return;
        }
        const answer = req.url?.endsWith('/heartbeat')
          ? {
              serverTime: new Date().toISOString(),
              heartbeatIntervalSeconds: 15,
              reportIntervalSeconds: 60,
            }
          : { accepted: true };
        res.writeHead(req.url?.endsWith('/heartbeat') ? 200 : 202, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  beforeEach(() => {
    seen.length = 0;
    refuseGzip = false;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it('gzips a large report, and the API decodes exactly the JSON that was validated', async () => {
    const sizes: Array<[string, number, number]> = [];
    const client = new GatewayClient({
      apiUrl,
      onSent: (route, json, wire) => sizes.push([route, json, wire]),
    });
    const report = largeReport();
    assert.equal(await client.report('mfa_credential_0123456789', report), true);
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.encoding, 'gzip');
    const decoded = JSON.parse(gunzipSync(seen[0]!.body).toString('utf8')) as HealthReportInput;
    assert.equal(decoded.mtls.namespaces.length, 60);
    assert.equal(decoded.sequence, report.sequence);
    const [route, json, wire] = sizes[0]!;
    assert.equal(route, 'report');
    assert.equal(wire, seen[0]!.body.length, 'onSent is told the bytes that went on the wire');
    assert.ok(json > 16 * 1024 && wire < json / 4, `json ${json} B, wire ${wire} B`);
  });

  it('sends a small body uncompressed', async () => {
    const client = new GatewayClient({ apiUrl });
    await client.heartbeat('mfa_credential_0123456789', exampleHeartbeat());
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.encoding, undefined);
    assert.ok(JSON.parse(seen[0]!.body.toString('utf8')));
  });

  it('falls back to plain JSON, for good, when the API refuses a compressed body with 415', async () => {
    refuseGzip = true;
    const client = new GatewayClient({ apiUrl });
    assert.equal(await client.report('mfa_credential_0123456789', largeReport()), true);
    assert.deepEqual(
      seen.map((s) => s.encoding),
      ['gzip', undefined],
    );
    await client.report('mfa_credential_0123456789', largeReport());
    assert.deepEqual(
      seen.map((s) => s.encoding),
      ['gzip', undefined, undefined],
      'no second attempt at gzip',
    );
  });
});
