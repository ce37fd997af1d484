// OpenTelemetry across API → queue → worker, exported over OTLP/HTTP (JSON) to a collector this
// test runs on 127.0.0.1; and no SDK loaded when tracing is not configured.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import {
  ApiProcess,
  ChildHandle,
  createTestDatabase,
  gql,
  processEnv,
  startApiProcess,
  startWorkerProcess,
  TestDatabase,
} from '@meshfleet/testing';
import { eventually } from './agent-http';
import { startApi } from './harness';

interface ExportedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
}

/** A minimal OTLP/HTTP receiver: collects the spans of every JSON export to /v1/traces. */
async function startCollector() {
  const spans: ExportedSpan[] = [];
  const contentTypes = new Set<string>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.statusCode = 404;
        return res.end();
      }
      contentTypes.add(String(req.headers['content-type']));
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      const doc = JSON.parse(body.toString('utf8')) as any;
      for (const rs of doc.resourceSpans ?? []) {
        const service =
          rs.resource?.attributes?.find((a: any) => a.key === 'service.name')?.value?.stringValue ?? '';
        for (const ss of rs.scopeSpans ?? [])
          for (const s of ss.spans ?? [])
            spans.push({
              service,
              traceId: s.traceId,
              spanId: s.spanId,
              parentSpanId: s.parentSpanId ?? '',
              name: s.name,
              kind: s.kind,
            });
      }
      res.setHeader('content-type', 'application/json');
      res.end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    contentTypes,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

describe('tracing across API → queue → worker', () => {
  let db: TestDatabase;
  let collector: Awaited<ReturnType<typeof startCollector>>;
  let receiver: http.Server;
  let receiverUrl: string;
  let api: ApiProcess;
  let worker: ChildHandle;
  let adminKey: string;

  before(async () => {
    db = await createTestDatabase();
    collector = await startCollector();
    receiver = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => res.end());
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const p = processEnv({
      db,
      extra: {
        MESHFLEET_WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
        OTEL_BSP_SCHEDULE_DELAY: '100',
      },
    });
    adminKey = p.adminKey;
    api = await startApiProcess(p.env);
    worker = startWorkerProcess(p.env);
  });
  after(async () => {
    await worker?.stop();
    await api?.stop();
    await collector?.close();
    await new Promise<void>((r) => receiver.close(() => r()));
    await db?.drop();
  });

  it("gives the worker's job span the trace of the API request that enqueued it", async () => {
    const made = await gql(
      api.url,
      `mutation($u: String!) { createWebhookEndpoint(input: { url: $u, eventTypes: ["*"] }) { endpoint { id } } }`,
      { u: receiverUrl },
      adminKey,
    );
    assert.equal(made.errors, undefined, JSON.stringify(made.errors));
    const endpointId = (made.data as any).createWebhookEndpoint.endpoint.id as string;
    const test = await gql(
      api.url,
      `mutation($e: ID!) { testWebhook(endpointId: $e) { id } }`,
      { e: endpointId },
      adminKey,
    );
    assert.equal(test.errors, undefined, JSON.stringify(test.errors));

    const job = await eventually(
      () => collector.spans.find((s) => s.service === 'meshfleet-worker' && s.name === 'webhooks deliver'),
      (s) => s !== undefined,
      30_000,
    );
    const parent = await eventually(
      () => collector.spans.find((s) => s.service === 'meshfleet-api' && s.spanId === job!.parentSpanId),
      (s) => s !== undefined,
      30_000,
    );
    assert.equal(parent!.traceId, job!.traceId, 'one trace from the API request to the worker job');
    assert.match(job!.traceId, /^[0-9a-f]{32}$/);
    assert.equal(parent!.name, 'POST /graphql');
    assert.equal(parent!.kind, 2, 'SERVER');
    assert.equal(job!.kind, 5, 'CONSUMER');
    assert.ok([...collector.contentTypes].every((t) => t.startsWith('application/json')));
  });

  it('continues a trace the caller started (traceparent header)', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const res = await fetch(`${api.url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${adminKey}`,
        traceparent: `00-${traceId}-00f067aa0ba902b7-01`,
      },
      body: JSON.stringify({ query: '{ viewer { role } }' }),
    });
    assert.equal(res.status, 200);
    const span = await eventually(
      () => collector.spans.find((s) => s.traceId === traceId),
      (s) => s !== undefined,
      30_000,
    );
    assert.equal(span!.parentSpanId, '00f067aa0ba902b7');
    assert.equal(span!.service, 'meshfleet-api');
  });
});

describe('tracing off', () => {
  it('loads no OpenTelemetry SDK when no OTLP endpoint is configured', async () => {
    const api = await startApi();
    try {
      await api.gql('{ __typename }');
      const loaded = Object.keys(require.cache).filter((k) => /@opentelemetry[\\/](sdk-|exporter-)/.test(k));
      assert.deepEqual(loaded, []);
    } finally {
      await api.close();
    }
  });
});
