import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exampleHealthReport, exampleHeartbeat, PROTOCOL_VERSION } from '@meshfleet/agent-protocol';
import type { AgentAuthenticator, AgentPrincipal } from '@meshfleet/auth';
import {
  ConflictError,
  DomainError,
  ForbiddenError,
  NotFoundError,
  UnauthenticatedError,
} from '@meshfleet/core';
import type { AgentGatewayService } from '../src/agent-gateway.service';
import type { AgentTasksService } from '../src/agent-tasks.service';
import { AgentHotPath, HotPathHooks } from '../src/agent-hot-path';

const TASK = '0b7c9a52-3f1e-4c8e-9d2a-5e6f7a8b9c0d';
const AGENT: AgentPrincipal = { organizationId: 'o', clusterId: 'c', clusterName: 'n', credentialId: 'k' };

describe('agent hot path', () => {
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
    const hot = new AgentHotPath(agents, gateway, tasks);
    const hooks: HotPathHooks = {
      begin: (_req, res) => res.setHeader('x-request-id', 'rid'),
      end: (_req, res, route) => ended.push(`${route} ${res.statusCode}`),
      crash: (e) => crashed.push(e),
    };
    server = http.createServer((req, res) => {
      if (hot.handle(req, res, hooks)) return;
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

  it('leaves everything but the plain case to the app', async () => {
    for (const [path, headers] of [
      ['/heartbeat?x=1', {}],
      ['/heartbeat/', {}],
      ['/enroll', {}],
      [`/tasks/${TASK}/issuer-csr`, {}],
      [`/tasks/${TASK}/events/`, {}],
      [`/tasks/${TASK}/events?x=1`, {}],
      [`/tasks/a%2Db/events`, {}],
      [`/TASKS/${TASK}/events`, {}],
      ['/heartbeat', { 'x-meshfleet-protocol-version': '99' }],
      ['/heartbeat', { 'content-type': 'text/plain' }],
      ['/heartbeat', { 'content-encoding': 'gzip' }],
    ] as const) {
      assert.equal(
        (await post(path, exampleHeartbeat(), headers)).body,
        'app',
        `${path} ${JSON.stringify(headers)}`,
      );
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
    assert.deepEqual(crash.body, { statusCode: 500, message: 'Internal server error' });
    assert.equal(crashed.length, 1);
  });
});
