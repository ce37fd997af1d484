import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import {
  exampleEnrollRequest,
  exampleHealthReport,
  exampleHeartbeat,
  PROTOCOL_VERSION,
} from '@meshfleet/agent-protocol';
import type { AgentAuthenticator, AgentPrincipal } from '@meshfleet/auth';
import {
  ConflictError,
  DomainError,
  ForbiddenError,
  NotFoundError,
  UnauthenticatedError,
} from '@meshfleet/core';
import type { AgentGatewayService } from '../src/agent-gateway.service';
import { AgentGatewayRoutes } from '../src/agent-gateway.routes';
import { AgentRouter, AgentRouterHooks } from '../src/agent-router';
import type { AgentTasksService } from '../src/agent-tasks.service';
import type { EnrollmentService } from '../src/enrollment.service';

const TASK = '0b7c9a52-3f1e-4c8e-9d2a-5e6f7a8b9c0d';
const AGENT: AgentPrincipal = { organizationId: 'o', clusterId: 'c', clusterName: 'n', credentialId: 'k' };

describe('agent router', () => {
  let server: http.Server;
  let base: string;
  let limited = false;
  let crashNext = false;
  const ended: string[] = [];
  const crashed: unknown[] = [];
  const recorded: string[] = [];

  before(async () => {
    const agents = {
      authenticate: async (secret: string) => {
        if (secret === 'revoked') throw new ForbiddenError('This agent credential has been revoked');
        if (secret !== 'good') throw new UnauthenticatedError('Unknown agent credential');
        return AGENT;
      },
    } as unknown as AgentAuthenticator;
    const gateway = {
      limit: () => {
        if (limited) throw new DomainError('RATE_LIMITED', 'Too many', { retryAfterSeconds: 2.5 });
      },
      heartbeat: async () => {
        if (crashNext) throw new Error('redis down');
        return { ok: 'heartbeat' };
      },
      report: async () => ({ accepted: true }),
    } as unknown as AgentGatewayService;
    const tasks = {
      recordEvent: async (agent: AgentPrincipal, id: string, event: { step: string }) => {
        if (id !== TASK) throw new NotFoundError('Task', id);
        if (event.step === 'late') throw new ConflictError(`Task ${id} is already finished`);
        recorded.push(`${agent.clusterId} ${id} event ${event.step}`);
      },
      recordResult: async (agent: AgentPrincipal, id: string, result: { status: string }) => {
        recorded.push(`${agent.clusterId} ${id} result ${result.status}`);
      },
    } as unknown as AgentTasksService;
    const enrollment = {
      enroll: async (_req: unknown, origin: { ip: string | null; requestId: string | null }) => ({
        enrolledFrom: origin.ip,
        requestId: origin.requestId,
      }),
    } as unknown as EnrollmentService;
    const router = new AgentRouter(agents, gateway);
    new AgentGatewayRoutes(router, enrollment, gateway, tasks).onModuleInit();
    router.serve('releaseBundles', async ({ params }) => ({ served: params }) as never);
    router.serve('issuerCsr', async ({ params }) => ({ signed: params.id }) as never);
    router.serve('extensionBundle', async ({ params }) => ({ served: params }) as never);
    router.onApplicationBootstrap();
    const hooks: AgentRouterHooks = {
      begin: (_req, res) => {
        res.setHeader('x-request-id', 'rid');
        return 'rid';
      },
      end: (_req, res, route) => ended.push(`${route} ${res.statusCode}`),
      crash: (e) => crashed.push(e),
    };
    server = http.createServer((req, res) => {
      if (router.handle(req, res, hooks)) return;
      req.resume();
      res.writeHead(299).end('app');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/agent/v1`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  const post = async (
    path: string,
    body: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: any; headers: Headers }> => {
    const res = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-meshfleet-protocol-version': String(PROTOCOL_VERSION),
        authorization: 'Bearer good',
        ...headers,
      },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    const parsed = text === 'app' ? 'app' : text === '' ? null : JSON.parse(text);
    return { status: res.status, body: parsed, headers: res.headers };
  };

  it('answers heartbeats (200) and reports (202) with the protocol version and request id', async () => {
    const hb = await post('/heartbeat', exampleHeartbeat());
    assert.equal(hb.status, 200);
    assert.deepEqual(hb.body, { ok: 'heartbeat' });
    assert.equal(hb.headers.get('x-meshfleet-protocol-version'), String(PROTOCOL_VERSION));
    assert.equal(hb.headers.get('x-request-id'), 'rid');
    const rep = await post('/reports', exampleHealthReport());
    assert.equal(rep.status, 202);
    assert.deepEqual(rep.body, { accepted: true });
    assert.deepEqual(ended.slice(-2), ['/agent/v1/heartbeat 200', '/agent/v1/reports 202']);
  });

  it('records task events and results (204, no body) on the task of the URL', async () => {
    const at = new Date().toISOString();
    const ev = await post(`/tasks/${TASK}/events`, { taskId: TASK, step: 'crds', status: 'started', at });
    assert.equal(ev.status, 204);
    assert.equal(ev.body, null);
    assert.equal(ev.headers.get('content-type'), null);
    assert.equal(ev.headers.get('x-meshfleet-protocol-version'), String(PROTOCOL_VERSION));
    assert.equal(ev.headers.get('x-request-id'), 'rid');
    const result = { taskId: TASK, status: 'succeeded', finishedAt: at };
    assert.equal((await post(`/tasks/${TASK}/result`, result)).status, 204);
    assert.deepEqual(recorded.slice(-2), [`c ${TASK} event crds`, `c ${TASK} result succeeded`]);
    assert.deepEqual(ended.slice(-2), ['/agent/v1/tasks/:id/events 204', '/agent/v1/tasks/:id/result 204']);

    const other = '1b7c9a52-3f1e-4c8e-9d2a-5e6f7a8b9c0d';
    const mismatch = await post(`/tasks/${other}/events`, {
      taskId: TASK,
      step: 'crds',
      status: 'started',
      at,
    });
    assert.equal(mismatch.status, 400);
    assert.equal(mismatch.body.message, 'taskId does not match the URL');
    const missing = await post(`/tasks/${other}/result`, { ...result, taskId: other });
    assert.equal(missing.status, 204, 'recordResult is the one to say 404');
    const unknown = await post(`/tasks/${other}/events`, {
      taskId: other,
      step: 'crds',
      status: 'started',
      at,
    });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error, 'NOT_FOUND');
    const late = await post(`/tasks/${TASK}/events`, { taskId: TASK, step: 'late', status: 'started', at });
    assert.equal(late.status, 409);
    assert.equal((await post(`/tasks/${TASK}/events`, { taskId: TASK, step: 'crds' })).status, 400);
  });

  it('serves what express served as well: query strings, trailing slashes, any case, encoded ids', async () => {
    for (const path of ['/heartbeat?x=1', '/heartbeat/', '/HEARTBEAT']) {
      const r = await post(path, exampleHeartbeat());
      assert.equal(r.status, 200, path);
      assert.deepEqual(r.body, { ok: 'heartbeat' }, path);
    }
    const at = new Date().toISOString();
    const event = { taskId: TASK, step: 'decoded', status: 'started', at };
    for (const path of [`/tasks/${TASK}/events/`, `/tasks/${TASK}/events?x=1`, `/TASKS/${TASK}/events`])
      assert.equal((await post(path, event)).status, 204, path);
    const encoded = await post('/tasks/a%2Db/events', { ...event, taskId: 'a-b' });
    assert.equal(encoded.status, 404, 'the id is URL-decoded before the body is compared with it');
    assert.equal(encoded.body.message, 'Task a-b was not found');
    const gzipped = await fetch(`${base}/heartbeat`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'content-encoding': 'gzip',
        'x-meshfleet-protocol-version': String(PROTOCOL_VERSION),
        authorization: 'Bearer good',
      },
      body: gzipSync(JSON.stringify(exampleHeartbeat())),
    });
    assert.equal(gzipped.status, 200, 'compressed bodies are inflated as body-parser did');
    assert.deepEqual(await gzipped.json(), { ok: 'heartbeat' });
  });

  it('serves every route of the table, enrollment without a credential', async () => {
    const enrolled = await post('/enroll', exampleEnrollRequest(), {
      authorization: '',
      'x-forwarded-for': '203.0.113.7, 10.0.0.1',
    });
    assert.equal(enrolled.status, 200);
    assert.deepEqual(enrolled.body, { enrolledFrom: '203.0.113.7', requestId: 'rid' });
    const csr = await post(`/tasks/${TASK}/issuer-csr`, {
      csrPem: '-----BEGIN CERTIFICATE REQUEST-----\nMIIB\n-----END CERTIFICATE REQUEST-----\n',
    });
    assert.equal(csr.status, 200);
    assert.deepEqual(csr.body, { signed: TASK });
    const bundles = await fetch(`${base}/releases/edge-26.6.3/ha`, {
      headers: { 'x-meshfleet-protocol-version': String(PROTOCOL_VERSION), authorization: 'Bearer good' },
    });
    assert.equal(bundles.status, 200);
    assert.deepEqual(await bundles.json(), { served: { version: 'edge-26.6.3', variant: 'ha' } });
    assert.deepEqual(ended.slice(-3), [
      '/agent/v1/enroll 200',
      '/agent/v1/tasks/:id/issuer-csr 200',
      '/agent/v1/releases/:version/:variant 200',
    ]);
  });

  it('answers unknown paths, wrong methods, versions and media types itself, and leaves other URLs to the app', async () => {
    const unknown = await post('/nope', {});
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error, 'NOT_FOUND');
    const wrong = await fetch(`${base}/heartbeat`, {
      headers: { 'x-meshfleet-protocol-version': String(PROTOCOL_VERSION) },
    });
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.get('allow'), 'POST');
    assert.equal(((await wrong.json()) as any).error, 'METHOD_NOT_ALLOWED');
    const future = await post('/heartbeat', exampleHeartbeat(), { 'x-meshfleet-protocol-version': '99' });
    assert.equal(future.status, 400);
    assert.equal(future.body.error, 'UNSUPPORTED_PROTOCOL_VERSION');
    const text = await post('/heartbeat', exampleHeartbeat(), { 'content-type': 'text/plain' });
    assert.equal(text.status, 415);
    assert.equal(text.body.error, 'UNSUPPORTED_MEDIA_TYPE');
    const zip = await post('/heartbeat', exampleHeartbeat(), { 'content-encoding': 'zstd' });
    assert.equal(zip.status, 415);
    const variant = await fetch(`${base}/releases/edge-26.6.3/huge`, {
      headers: { 'x-meshfleet-protocol-version': String(PROTOCOL_VERSION), authorization: 'Bearer good' },
    });
    assert.equal(variant.status, 400);
    assert.equal(((await variant.json()) as any).message, 'variant must be default or ha');
    const root = `${base.slice(0, -'/agent/v1'.length)}`;
    for (const path of ['/graphql', '/agent/v10/heartbeat', '/agentv1/heartbeat', '/healthz']) {
      const res = await fetch(`${root}${path}`, { method: 'POST', body: '{}' });
      assert.equal(await res.text(), 'app', path);
    }
  });

  it('refuses oversized bodies with 413, by declared length or while streaming', async () => {
    const huge = { ...exampleHeartbeat(), agentVersion: 'x'.repeat(10_000) };
    const declared = await post('/heartbeat', huge);
    assert.equal(declared.status, 413);
    assert.equal(declared.body.error, 'PAYLOAD_TOO_LARGE');
    const streamed = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${base}/heartbeat`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-meshfleet-protocol-version': String(PROTOCOL_VERSION),
          'transfer-encoding': 'chunked',
        },
      });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      for (let i = 0; i < 10; i++) req.write('x'.repeat(1000));
      req.end();
    });
    assert.equal(streamed, 413);
  });

  it('answers malformed JSON and schema errors with 400', async () => {
    const malformed = await post('/heartbeat', '{not json');
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.error, 'BAD_USER_INPUT');
    assert.equal((await post('/heartbeat', '"a string"')).status, 400, 'strict: objects and arrays only');
    const bad = await post('/reports', { ...exampleHealthReport(), agentVersion: 7 });
    assert.equal(bad.status, 400);
    assert.match(bad.body.message, /agentVersion/);
  });

  it('maps authentication, rate limiting and unexpected errors like the app does', async () => {
    assert.equal((await post('/heartbeat', exampleHeartbeat(), { authorization: '' })).status, 401);
    assert.equal(
      (await post('/heartbeat', exampleHeartbeat(), { authorization: 'Bearer nope' })).status,
      401,
    );
    const revoked = await post('/heartbeat', exampleHeartbeat(), { authorization: 'Bearer revoked' });
    assert.equal(revoked.status, 403);
    assert.equal(revoked.body.error, 'FORBIDDEN');
    limited = true;
    const flood = await post('/heartbeat', exampleHeartbeat());
    limited = false;
    assert.equal(flood.status, 429);
    assert.equal(flood.headers.get('retry-after'), '3');
    assert.equal(flood.body.error, 'RATE_LIMITED');
    crashNext = true;
    const crash = await post('/heartbeat', exampleHeartbeat());
    crashNext = false;
    assert.equal(crash.status, 500);
    assert.deepEqual(crash.body, { error: 'INTERNAL', message: 'Internal server error' });
    assert.equal(crashed.length, 1);
  });
});
