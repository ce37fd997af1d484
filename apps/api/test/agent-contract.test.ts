// The /agent/v1 contract, walked from the protocol's route table against the real API and worker:
// every route answers one good call with its status and response schema, and bad calls (no or an
// unknown credential, bad or oversized body, wrong method, no protocol version, route-specific
// mistakes) with the status the table maps their error code to and a well-formed error body.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { INestApplicationContext } from '@nestjs/common';
import {
  AGENT_ERROR_STATUS,
  AGENT_ROUTE_NAMES,
  AGENT_ROUTES,
  AgentErrorBodySchema,
  AgentErrorCode,
  AgentRouteName,
  exampleEnrollRequest,
  exampleHeartbeat,
  parseMessage,
  PROTOCOL_VERSION,
  PROTOCOL_VERSION_HEADER,
} from '@meshfleet/agent-protocol';
import type { Actor } from '@meshfleet/auth';
import { DiagnosticsService } from '@meshfleet/operations';
import { createIssuerCsr } from '@meshfleet/certificates';
import { PrismaService } from '@meshfleet/db';
import { startApi, startWorkerFor, TestApi } from './harness';
import { agentCall, linkerdReport, registerAndEnroll } from './agent-http';

interface Call {
  method?: string;
  path?: string;
  /** Default: the enrolled agent's credential on agent-credential routes; null sends none. */
  credential?: string | null;
  /** An object is sent as JSON, a string as it is. */
  body?: unknown;
  headers?: Record<string, string>;
}

interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

interface BadCall {
  what: string;
  call: () => Call;
  error: AgentErrorCode;
  message?: RegExp;
}

interface RouteCases {
  /** Runs before the good call (state the route needs). */
  prepare?: () => Promise<void>;
  /** The good call; its answer is checked against the route's status and response schema. */
  good: () => Call & { path: string };
  /** What the good answer must also say. */
  check?: (body: any) => void;
  /** Route-specific bad calls, made after the good one. */
  bad: BadCall[];
}

const at = () => new Date().toISOString();

describe('agent contract', () => {
  let api: TestApi;
  let worker: INestApplicationContext;
  let key: string;
  let domainId: string;
  let csrPem = '';
  const s = {
    token: '',
    credential: '',
    clusterId: '',
    revoked: '',
    task: { id: '', version: '', variant: '' },
  };

  const register = async (name: string) => {
    const r = await api.gql(
      `mutation($n: String!) { registerCluster(input: { name: $n, provider: EKS }) { cluster { id } bootstrapToken { token } } }`,
      { n: name },
      key,
    );
    assert.equal(r.errors, undefined, JSON.stringify(r.errors));
    return {
      id: r.data!.registerCluster.cluster.id as string,
      token: r.data!.registerCluster.bootstrapToken.token as string,
    };
  };

  const send = async (name: AgentRouteName, c: Call & { path: string }): Promise<Answer> => {
    const spec = AGENT_ROUTES[name];
    const credential =
      c.credential === undefined ? (spec.auth === 'agent-credential' ? s.credential : null) : c.credential;
    const headers: Record<string, string> = {
      [PROTOCOL_VERSION_HEADER]: String(PROTOCOL_VERSION),
      ...(credential ? { authorization: `Bearer ${credential}` } : {}),
    };
    const method = c.method ?? spec.method;
    let body: string | undefined;
    if (c.body !== undefined) {
      body = typeof c.body === 'string' ? c.body : JSON.stringify(c.body);
      headers['content-type'] = 'application/json';
    }
    const res = await fetch(`${api.url}/agent/v1${c.path}`, {
      method,
      headers: { ...headers, ...c.headers },
      body,
    });
    return { status: res.status, headers: res.headers, text: await res.text() };
  };

  /** An error answer: the code the test expects, the status the table maps it to, a valid body. */
  const assertError = (res: Answer, error: AgentErrorCode, what: string, message?: RegExp) => {
    assert.equal(res.headers.get(PROTOCOL_VERSION_HEADER), String(PROTOCOL_VERSION), what);
    const parsed = parseMessage(AgentErrorBodySchema, JSON.parse(res.text));
    assert.ok(parsed.ok, `${what}: error body ${res.text}`);
    assert.equal(parsed.value.error, error, `${what}: ${res.text}`);
    assert.equal(res.status, AGENT_ERROR_STATUS[error], `${what}: status of ${error}`);
    if (message) assert.match(parsed.value.message, message, what);
    if (error === 'BAD_USER_INPUT' && /Invalid payload/.test(parsed.value.message))
      assert.ok((parsed.value.details?.['issues'] as unknown[]).length > 0, `${what}: issues listed`);
  };

  /** Bad calls every route gets from its row of the table. */
  const tableBadCalls = (name: AgentRouteName, good: Call & { path: string }): BadCall[] => {
    const spec = AGENT_ROUTES[name];
    const calls: BadCall[] = [
      {
        what: 'no protocol version',
        call: () => ({ ...good, headers: { [PROTOCOL_VERSION_HEADER]: '' } }),
        error: 'UNSUPPORTED_PROTOCOL_VERSION',
      },
      {
        what: 'an unsupported protocol version',
        call: () => ({ ...good, headers: { [PROTOCOL_VERSION_HEADER]: String(PROTOCOL_VERSION + 1) } }),
        error: 'UNSUPPORTED_PROTOCOL_VERSION',
      },
      {
        what: 'another method',
        call: () => ({ ...good, method: spec.method === 'GET' ? 'DELETE' : 'GET', body: undefined }),
        error: 'METHOD_NOT_ALLOWED',
      },
    ];
    if (spec.auth === 'agent-credential')
      calls.push(
        {
          what: 'no credential',
          call: () => ({ ...good, credential: null }),
          error: 'UNAUTHENTICATED',
          message: /Agent credential required/,
        },
        {
          what: 'an unknown credential',
          call: () => ({ ...good, credential: 'mfa_unknown_0123456789abcdef' }),
          error: 'UNAUTHENTICATED',
          message: /Unknown agent credential/,
        },
        {
          what: 'a credential of a deregistered cluster',
          call: () => ({ ...good, credential: s.revoked }),
          error: 'FORBIDDEN',
        },
      );
    if (spec.method === 'POST')
      calls.push(
        {
          what: 'a body of the wrong shape',
          call: () => ({ ...good, body: { unexpected: true } }),
          error: 'BAD_USER_INPUT',
          message: /Invalid payload/,
        },
        {
          what: 'malformed JSON',
          call: () => ({ ...good, body: '{"not json' }),
          error: 'BAD_USER_INPUT',
          message: /Malformed JSON/,
        },
        {
          what: 'a body over the limit',
          call: () => ({ ...good, body: `{"pad":"${'x'.repeat(spec.bodyLimit - 9)}"}` }),
          error: 'PAYLOAD_TOO_LARGE',
          message: new RegExp(String(spec.bodyLimit)),
        },
        {
          what: 'a body that is not JSON',
          call: () => ({ ...good, body: 'a=1', headers: { 'content-type': 'text/plain' } }),
          error: 'UNSUPPORTED_MEDIA_TYPE',
        },
      );
    return calls;
  };

  const taskEvent = (taskId = s.task.id) => ({ taskId, step: 'precheck', status: 'succeeded', at: at() });
  const taskResult = (taskId = s.task.id) => ({
    taskId,
    status: 'succeeded',
    finishedAt: at(),
    output: {
      kind: 'LIFECYCLE',
      controlPlaneVersion: s.task.version,
      postcheck: { errors: 0, warnings: 0, summary: 'ok' },
    },
  });
  const unknownTask = '00000000-0000-4000-8000-000000000000';

  const CASES: Record<AgentRouteName, RouteCases> = {
    enroll: {
      good: () => ({ path: '/enroll', body: { ...exampleEnrollRequest(), bootstrapToken: s.token } }),
      check: (b) => (s.credential = b.credential),
      bad: [
        {
          what: 'the same bootstrap token again',
          call: () => ({ path: '/enroll', body: { ...exampleEnrollRequest(), bootstrapToken: s.token } }),
          error: 'UNAUTHENTICATED',
          message: /already used/,
        },
        {
          what: 'an unknown bootstrap token',
          call: () => ({
            path: '/enroll',
            body: { ...exampleEnrollRequest(), bootstrapToken: 'mfb_nope_0123456789abcdef' },
          }),
          error: 'UNAUTHENTICATED',
        },
      ],
    },
    heartbeat: {
      good: () => ({ path: '/heartbeat', body: exampleHeartbeat() }),
      check: (b) => assert.equal(typeof b.heartbeatIntervalSeconds, 'number'),
      bad: [],
    },
    report: {
      good: () => ({
        path: '/reports',
        body: linkerdReport(null, { installed: false, kubernetesVersion: 'v1.31.4' }),
      }),
      check: (b) => assert.equal(b.accepted, true),
      bad: [
        {
          what: 'a coverage share above 1',
          call: () => {
            const r = linkerdReport(null, { installed: false });
            r.mtls.podCoverage = 7;
            return { path: '/reports', body: r };
          },
          error: 'BAD_USER_INPUT',
          message: /mtls\.podCoverage/,
        },
      ],
    },
    nextTask: {
      prepare: async () => {
        const r = await api.gql(
          `mutation($c: ID!, $d: ID!) { installLinkerd(clusterId: $c, input: { version: "enterprise-2.19.1", identityDomainId: $d }) { id } }`,
          { c: s.clusterId, d: domainId },
          key,
        );
        assert.equal(r.errors, undefined, JSON.stringify(r.errors));
      },
      good: () => ({ path: '/tasks/next?waitSeconds=10' }),
      check: (b) => {
        assert.equal(b.task?.kind, 'LINKERD_INSTALL');
        s.task = { id: b.task.id, ...b.task.params.release };
      },
      bad: [
        {
          what: 'a negative wait',
          call: () => ({ path: '/tasks/next?waitSeconds=-1' }),
          error: 'BAD_USER_INPUT',
          message: /waitSeconds must be a non-negative number/,
        },
        {
          what: 'a wait that is no number',
          call: () => ({ path: '/tasks/next?waitSeconds=soon' }),
          error: 'BAD_USER_INPUT',
          message: /waitSeconds/,
        },
      ],
    },
    releaseBundles: {
      good: () => ({ path: `/releases/${s.task.version}/${s.task.variant}` }),
      check: (b) => assert.equal(b.version, s.task.version),
      bad: [
        {
          what: 'an unknown variant',
          call: () => ({ path: `/releases/${s.task.version}/huge` }),
          error: 'BAD_USER_INPUT',
          message: /variant must be default or ha/,
        },
        {
          what: 'an unknown version',
          call: () => ({ path: '/releases/enterprise-9.9.9/default' }),
          error: 'NOT_FOUND',
        },
      ],
    },
    extensionBundle: {
      good: () => ({ path: `/releases/${s.task.version}/extensions/viz` }),
      check: (b) => {
        assert.equal(b.version, s.task.version);
        assert.equal(b.namespace, 'linkerd-viz');
      },
      bad: [
        {
          what: 'an unknown extension',
          call: () => ({ path: `/releases/${s.task.version}/extensions/jaeger` }),
          error: 'BAD_USER_INPUT',
          message: /extension must be viz or multicluster/,
        },
        {
          what: 'an unknown version',
          call: () => ({ path: '/releases/enterprise-9.9.9/extensions/viz' }),
          error: 'NOT_FOUND',
        },
      ],
    },
    taskEvent: {
      good: () => ({ path: `/tasks/${s.task.id}/events`, body: taskEvent() }),
      bad: [
        {
          what: 'an event naming another task than the URL',
          call: () => ({ path: `/tasks/${s.task.id}/events`, body: taskEvent(unknownTask) }),
          error: 'BAD_USER_INPUT',
          message: /taskId does not match the URL/,
        },
        {
          what: 'an unknown task',
          call: () => ({ path: `/tasks/${unknownTask}/events`, body: taskEvent(unknownTask) }),
          error: 'NOT_FOUND',
        },
      ],
    },
    issuerCsr: {
      good: () => ({ path: `/tasks/${s.task.id}/issuer-csr`, body: { csrPem } }),
      check: (b) => assert.match(b.issuerCertPem, /BEGIN CERTIFICATE/),
      bad: [
        {
          what: 'something that is not a CSR',
          call: () => ({ path: `/tasks/${s.task.id}/issuer-csr`, body: { csrPem: 'not a csr' } }),
          error: 'BAD_USER_INPUT',
          message: /csrPem/,
        },
        {
          what: 'an unknown task',
          call: () => ({ path: `/tasks/${unknownTask}/issuer-csr`, body: { csrPem } }),
          error: 'NOT_FOUND',
        },
      ],
    },
    taskResult: {
      good: () => ({ path: `/tasks/${s.task.id}/result`, body: taskResult() }),
      bad: [
        {
          what: 'a result naming another task than the URL',
          call: () => ({ path: `/tasks/${s.task.id}/result`, body: taskResult(unknownTask) }),
          error: 'BAD_USER_INPUT',
          message: /taskId does not match the URL/,
        },
        {
          what: 'another outcome of a finished task',
          call: () => ({
            path: `/tasks/${s.task.id}/result`,
            body: {
              taskId: s.task.id,
              status: 'failed',
              finishedAt: at(),
              error: { code: 'X', message: 'x' },
            },
          }),
          error: 'CONFLICT',
        },
        {
          what: 'an event of a finished task',
          call: () => ({ path: `/tasks/${s.task.id}/events`, body: taskEvent() }),
          error: 'CONFLICT',
        },
      ],
    },
  };
  /** The order a lifecycle task takes them in; the result ends the task. */
  const ORDER: AgentRouteName[] = [
    'enroll',
    'heartbeat',
    'report',
    'nextTask',
    'releaseBundles',
    'extensionBundle',
    'taskEvent',
    'issuerCsr',
    'taskResult',
  ];

  before(async () => {
    api = await startApi({
      MESHFLEET_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
      MESHFLEET_TASK_POLL_TIMEOUT_SECONDS: '10',
      MESHFLEET_AGENT_RATE_LIMIT_PER_MINUTE: '6000',
    });
    ({ apiKey: key } = await api.newOrg('contract'));
    worker = await startWorkerFor(api, {
      MESHFLEET_ENCRYPTION_KEYS: `k2:${randomBytes(32).toString('base64')}`,
    });
    const d = await api.gql(`mutation { createIdentityDomain(input: { name: "mesh" }) { id } }`, {}, key);
    assert.equal(d.errors, undefined, JSON.stringify(d.errors));
    domainId = d.data!.createIdentityDomain.id;
    ({ id: s.clusterId, token: s.token } = await register('contract-1'));
    const gone = await registerAndEnroll(api, key, { name: 'contract-gone' });
    await api.gql(`mutation($id: ID!) { deregisterCluster(id: $id) { status } }`, { id: gone.id }, key);
    s.revoked = gone.credential;
    csrPem = (await createIssuerCsr('cluster.local')).csrPem;
  });
  after(async () => {
    await worker?.close();
    await api?.close();
  });

  it('has cases for every route of the table', () => {
    assert.deepEqual([...ORDER].sort(), [...AGENT_ROUTE_NAMES].sort());
  });

  for (const name of ORDER) {
    const spec = AGENT_ROUTES[name];
    it(`${spec.method} ${spec.path}: ${spec.status} with its response schema; bad calls get their mapped status`, async () => {
      const cases = CASES[name];
      await cases.prepare?.();
      const good = cases.good();
      const res = await send(name, good);
      assert.equal(res.status, spec.status, `${name}: ${res.text}`);
      assert.equal(res.headers.get(PROTOCOL_VERSION_HEADER), String(PROTOCOL_VERSION));
      if (spec.response) {
        const parsed = parseMessage(spec.response, JSON.parse(res.text));
        assert.ok(parsed.ok, `${name} response: ${JSON.stringify(!parsed.ok && parsed.issues)}`);
        cases.check?.(parsed.value);
      } else assert.equal(res.text, '', `${name} answers without a body`);

      for (const bad of [...tableBadCalls(name, good), ...cases.bad]) {
        const call = bad.call();
        assertError(
          await send(name, { path: good.path, ...call }),
          bad.error,
          `${name}, ${bad.what}`,
          bad.message,
        );
      }
    });
  }

  it('answers unknown paths under /agent/v1 with 404 and leaves other paths to the app', async () => {
    assertError(await send('heartbeat', { path: '/nothing-here', body: {} }), 'NOT_FOUND', 'unknown path');
    const health = await fetch(`${api.url}/healthz`);
    assert.deepEqual(await health.json(), { status: 'ok' });
  });

  it('never hands out a task whose envelope breaks the contract; it fails with INVALID_TASK', async () => {
    const prisma = api.app.get(PrismaService);
    const organizationId = (await prisma.cluster.findUniqueOrThrow({ where: { id: s.clusterId } }))
      .organizationId;
    // Rows written as an older API could have: a diagnostics operation whose attempt breaks the contract.
    const row = async (params: object, createdAt: Date) => {
      const deadlineAt = new Date(Date.now() + 60_000);
      const op = await prisma.operation.create({
        data: {
          organizationId,
          clusterId: s.clusterId,
          kind: 'COLLECT_PROXY_METRICS',
          status: 'DISPATCHED',
          params,
          requestedBy: 'test',
          deadlineAt,
        },
      });
      return prisma.operationAttempt.create({
        data: {
          operationId: op.id,
          number: 1,
          clusterId: s.clusterId,
          kind: 'COLLECT_PROXY_METRICS',
          params,
          createdAt,
          deadlineAt,
        },
      });
    };
    const broken = await row({ namespace: 'Not_A_Label', pod: 'web-1' }, new Date(Date.now() - 2000));
    const fine = await row({ namespace: 'emojivoto', pod: 'web-1' }, new Date(Date.now() - 1000));
    const poll = await agentCall(api, 'GET', '/tasks/next?waitSeconds=0', s.credential);
    assert.equal(poll.status, 200);
    assert.equal(poll.body.task.id, fine.id, 'the valid task behind it is handed out');
    const failed = await prisma.operationAttempt.findUniqueOrThrow({ where: { id: broken.id } });
    assert.equal(failed.status, 'FAILED');
    assert.equal((failed.error as any).code, 'INVALID_TASK');
    assert.match((failed.error as any).message, /params\.namespace/);
    assert.deepEqual(
      (await agentCall(api, 'GET', '/tasks/next?waitSeconds=0', s.credential)).body,
      { task: null },
      'and the broken one never is',
    );

    const before = await prisma.operationAttempt.count();
    const actor = {
      organizationId,
      role: 'ADMIN',
      kind: 'SYSTEM',
      actorId: 'test',
      actorName: 'test',
    } as Actor;
    await assert.rejects(
      api.app.get(DiagnosticsService).start(
        actor,
        s.clusterId,
        'COLLECT_PROXY_METRICS',
        { namespace: 'emojivoto' },
        {
          action: 'diagnostics.collect-proxy-metrics',
          metadata: {},
        },
      ),
      (e: any) => e.code === 'BAD_USER_INPUT' && /params\.pod/.test(e.message),
    );
    assert.equal(await prisma.operationAttempt.count(), before, 'nothing written');
  });
});
