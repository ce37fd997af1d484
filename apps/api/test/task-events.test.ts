import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { PROTOCOL_VERSION, TaskEvent } from '@meshfleet/agent-protocol';
import type { AgentAuthenticator, AgentPrincipal } from '@meshfleet/auth';
import { UnauthenticatedError } from '@meshfleet/core';
import { loadConfig } from '@meshfleet/config';
import { AttemptStatus, OperationStatus, PrismaService } from '@meshfleet/db';
import {
  AgentGatewayRoutes,
  AgentGatewayService,
  AgentRouter,
  AgentTasksService,
  AgentWakeupService,
  EnrollmentService,
} from '@meshfleet/agent-gateway';
import type { IdentityDomainsService } from '@meshfleet/certificates';
import {
  OperationAttemptsService,
  OperationsOrchestrator,
  OperationsRepository,
} from '@meshfleet/operations';
import type { LiveUpdates } from '@meshfleet/redis';
import { createTestDatabase, TestDatabase, testRedisUrl } from '@meshfleet/testing';

const OP_STATUS: Record<AttemptStatus, OperationStatus> = {
  QUEUED: OperationStatus.DISPATCHED,
  DISPATCHED: OperationStatus.DISPATCHED,
  RUNNING: OperationStatus.RUNNING,
  SUCCEEDED: OperationStatus.SUCCEEDED,
  FAILED: OperationStatus.FAILED,
  EXPIRED: OperationStatus.TIMED_OUT,
};

describe('batched task claims, step events and results', () => {
  let db: TestDatabase;
  let prisma: PrismaService;
  let repo: OperationsRepository;
  let tasks: OperationAttemptsService;
  let server: http.Server;
  let base: string;
  let agentA: AgentPrincipal;
  let agentB: AgentPrincipal;
  /** (taskId step) in the order recordEvent was called, i.e. submitted to the batcher. */
  const submitted: string[] = [];
  /** Rows of each batched step or result statement. */
  const batches: number[] = [];
  /** Clusters of each batched claim statement. */
  const claims: number[] = [];

  /** A diagnostics operation whose attempt is in `status`, with `events` as its steps. */
  const newTask = async (agent: AgentPrincipal, status: AttemptStatus, events: TaskEvent[] = []) => {
    const deadlineAt = new Date(Date.now() + 60_000);
    const op = await prisma.operation.create({
      data: {
        organizationId: agent.organizationId,
        clusterId: agent.clusterId,
        kind: 'COLLECT_PROXY_METRICS',
        status: OP_STATUS[status],
        params: {},
        requestedBy: 'test',
        deadlineAt,
      },
    });
    const attempt = await prisma.operationAttempt.create({
      data: {
        operationId: op.id,
        number: 1,
        clusterId: agent.clusterId,
        kind: 'COLLECT_PROXY_METRICS',
        params: {},
        status,
        deadlineAt,
      },
    });
    await prisma.operationStep.createMany({
      data: events.map((e) => ({
        attemptId: attempt.id,
        step: e.step,
        status: e.status,
        message: e.message,
        at: e.at,
      })),
    });
    return attempt.id;
  };
  const operationOf = async (taskId: string) =>
    (await prisma.operationAttempt.findUniqueOrThrow({ where: { id: taskId }, include: { operation: true } }))
      .operation;
  const event = (taskId: string, step: string): TaskEvent => ({
    taskId,
    step,
    status: 'progress',
    message: '',
    at: new Date().toISOString(),
  });
  const stored = async (id: string) => {
    const t = await repo.attempt(agentA.organizationId, id);
    return { status: t.status, steps: t.steps.map((e) => e.step) };
  };
  const post = async (secret: string, taskId: string, step: string): Promise<number> => {
    const res = await fetch(`${base}/tasks/${taskId}/events`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-meshfleet-protocol-version': String(PROTOCOL_VERSION),
        authorization: `Bearer ${secret}`,
      },
      body: JSON.stringify(event(taskId, step)),
    });
    await res.text();
    return res.status;
  };

  before(async () => {
    db = await createTestDatabase();
    const config = loadConfig({
      NODE_ENV: 'test',
      DATABASE_URL: db.url,
      DATABASE_POOL_SIZE: '4',
      REDIS_URL: testRedisUrl(),
      MESHFLEET_PUBLIC_URL: 'https://meshfleet.example.test',
      LOG_LEVEL: 'silent',
    });
    prisma = new PrismaService(config);
    repo = new OperationsRepository(prisma);
    const appendSteps = repo.appendSteps.bind(repo);
    repo.appendSteps = (rows) => {
      batches.push(rows.length);
      return appendSteps(rows);
    };
    const claimNext = repo.claimNext.bind(repo);
    repo.claimNext = (clusterIds) => {
      claims.push(clusterIds.length);
      return claimNext(clusterIds);
    };
    const recordResults = repo.recordResults.bind(repo);
    repo.recordResults = (tx, rows) => {
      batches.push(rows.length);
      return recordResults(tx, rows);
    };
    const orchestrator = new OperationsOrchestrator(
      repo,
      { wake: async () => {} } as unknown as AgentWakeupService,
      {} as IdentityDomainsService,
      { publish: async () => {} } as unknown as LiveUpdates,
      config,
    );
    const transport = new AgentTasksService({} as AgentWakeupService);
    tasks = new OperationAttemptsService(repo, orchestrator, transport);
    tasks.onModuleInit();
    const record = tasks.recordEvent.bind(tasks);
    tasks.recordEvent = (agent, taskId, ev) => {
      submitted.push(`${taskId} ${ev.step}`);
      return record(agent, taskId, ev);
    };

    const organizationId = (await prisma.organization.create({ data: { name: 'events' } })).id;
    const cluster = async (name: string): Promise<AgentPrincipal> => {
      const c = await prisma.cluster.create({
        data: { organizationId, name, provider: 'EKS', status: 'CONNECTED' },
      });
      return { organizationId, clusterId: c.id, clusterName: name, credentialId: name };
    };
    agentA = await cluster('a');
    agentB = await cluster('b');
    const agents = {
      authenticate: async (secret: string) => {
        if (secret === 'a') return agentA;
        if (secret === 'b') return agentB;
        throw new UnauthenticatedError('Unknown agent credential');
      },
    } as unknown as AgentAuthenticator;
    const gateway = { limit: () => {} } as unknown as AgentGatewayService;
    const router = new AgentRouter(agents, gateway);
    new AgentGatewayRoutes(router, {} as EnrollmentService, gateway, transport).onModuleInit();
    const hooks = { begin: () => 'rid', end: () => {}, crash: (e: unknown) => console.error(e) };
    server = http.createServer((req, res) => {
      if (router.handle(req, res, hooks)) return;
      req.resume();
      res.writeHead(500).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/agent/v1`;
  });
  after(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    await prisma.$disconnect();
    await db.drop();
  });

  it("claims concurrent polls of many clusters in one statement, each cluster's oldest task, never one twice", async () => {
    const more = await Promise.all(
      ['claim-1', 'claim-2', 'claim-3'].map((name) =>
        prisma.cluster.create({
          data: { organizationId: agentA.organizationId, name, provider: 'EKS', status: 'CONNECTED' },
        }),
      ),
    );
    const [one, two, idle] = more.map((c): AgentPrincipal => ({
      organizationId: c.organizationId,
      clusterId: c.id,
      clusterName: c.name,
      credentialId: c.name,
    }));
    /** A queued task the agent can be handed (a valid envelope). */
    const queued = async (agent: AgentPrincipal) => {
      const id = await newTask(agent, AttemptStatus.QUEUED);
      await prisma.operationAttempt.update({
        where: { id },
        data: { params: { namespace: 'app', pod: 'web-0' } },
      });
      return id;
    };
    const older = await queued(one!);
    const newer = await queued(one!);
    const other = await queued(two!);
    claims.length = 0;
    const got = await Promise.all(
      [one, one, two, idle].map((a) => tasks.claimNext(a!.clusterId).then((t) => t?.id ?? null)),
    );
    assert.deepEqual(got, [older, newer, other, null]);
    // The three clusters in one statement; the second poll of one waits for the first's claim.
    assert.deepEqual(claims, [3, 1]);
    const rows = await prisma.operationAttempt.findMany({ where: { id: { in: [older, newer, other] } } });
    assert.deepEqual(
      rows.map((r) => r.status),
      rows.map(() => AttemptStatus.DISPATCHED),
    );
    assert.equal(await tasks.claimNext(one!.clusterId), null, 'nothing queued is left to claim');
  });

  it('stores every concurrent event in order per task; finished tasks 409, unknown and foreign ones 404', async () => {
    const open = [
      ...(await Promise.all([1, 2, 3, 4].map(() => newTask(agentA, AttemptStatus.DISPATCHED)))),
      await newTask(agentA, AttemptStatus.RUNNING, [event('x', 'earlier')]),
    ];
    const succeeded = await newTask(agentA, AttemptStatus.SUCCEEDED);
    const failed = await newTask(agentA, AttemptStatus.FAILED);
    const expired = await newTask(agentA, AttemptStatus.EXPIRED);
    const foreign = await newTask(agentB, AttemptStatus.RUNNING);
    const unknown = randomUUID();
    const closed = [succeeded, failed, expired];
    const refused = [...closed, foreign, unknown];

    // Ten rounds, each firing one event per task; nothing awaits anything before all are sent.
    const calls: { taskId: string; status: Promise<number> }[] = [];
    for (let round = 0; round < 10; round++)
      for (const taskId of [...open, ...refused])
        calls.push({ taskId, status: post('a', taskId, `step-${round}`) });
    const statuses = await Promise.all(calls.map((c) => c.status));

    const expected = (taskId: string) => (open.includes(taskId) ? 204 : closed.includes(taskId) ? 409 : 404);
    assert.deepEqual(
      statuses,
      calls.map((c) => expected(c.taskId)),
    );
    for (const [i, taskId] of open.entries()) {
      const order = submitted.filter((s) => s.startsWith(`${taskId} `)).map((s) => s.split(' ')[1]);
      assert.equal(order.length, 10);
      const t = await stored(taskId);
      assert.deepEqual(t.steps, [...(i === 4 ? ['earlier'] : []), ...order], 'stored in submission order');
      assert.equal(t.status, 'RUNNING');
      assert.equal((await operationOf(taskId)).status, 'RUNNING', 'its operation runs too');
    }
    for (const taskId of [...closed, foreign]) assert.deepEqual((await stored(taskId)).steps, []);
    assert.equal(
      batches.reduce((a, b) => a + b, 0),
      open.length * 10 + refused.length * 10,
      'every uuid event goes through the batched statement once',
    );
    // The owner of the foreign task still records on it.
    assert.equal(await post('b', foreign, 'mine'), 204);
    assert.deepEqual(await stored(foreign), { status: 'RUNNING', steps: ['mine'] });
  });

  it('coalesces concurrent events into one statement per round, one event of a task per statement', async () => {
    const ids = await Promise.all([1, 2, 3].map(() => newTask(agentA, AttemptStatus.DISPATCHED)));
    batches.length = 0;
    const pending: Promise<void>[] = [];
    for (let n = 0; n < 4; n++)
      for (const id of ids) pending.push(tasks.recordEvent(agentA, id, event(id, `s${n}`)));
    await Promise.all(pending);
    assert.deepEqual(batches, [3, 3, 3, 3]);
    for (const id of ids)
      assert.deepEqual(await stored(id), { status: 'RUNNING', steps: ['s0', 's1', 's2', 's3'] });
  });

  it('keeps the last 200 events of a task', async () => {
    const old = Array.from({ length: 199 }, (_, i) => event('x', `old-${i}`));
    const id = await newTask(agentA, AttemptStatus.RUNNING, old);
    await Promise.all(
      ['n0', 'n1', 'n2'].map((s) => tasks.recordEvent(agentA, id.toUpperCase(), event(id, s))),
    );
    const { steps } = await stored(id);
    assert.equal(steps.length, 200);
    assert.deepEqual(steps.slice(0, 2), ['old-2', 'old-3']);
    assert.deepEqual(steps.slice(-4), ['old-198', 'n0', 'n1', 'n2']);
  });

  it('stores concurrent results in one statement; a second outcome is a conflict, the same one is not', async () => {
    const [ok1, ok2, bad, twice] = await Promise.all(
      [1, 2, 3, 4].map(() => newTask(agentA, AttemptStatus.RUNNING)),
    );
    const expired = await newTask(agentA, AttemptStatus.EXPIRED);
    const foreign = await newTask(agentB, AttemptStatus.RUNNING);
    // Agents may send any offset; the column holds UTC.
    const finishedAt = '2026-11-26T18:00:00.000+02:00';
    const output = { kind: 'LIFECYCLE', controlPlaneVersion: 'enterprise-2.20.0' } as never;
    const success = (taskId: string) => ({ taskId, status: 'succeeded' as const, finishedAt, output });
    const failure = (taskId: string) => ({
      taskId,
      status: 'failed' as const,
      finishedAt,
      error: { code: 'POSTCHECK_FAILED', message: 'identity errors' },
    });
    batches.length = 0;
    const outcomes = await Promise.allSettled([
      tasks.recordResult(agentA, ok1!, success(ok1!)),
      tasks.recordResult(agentA, ok2!.toUpperCase(), success(ok2!)),
      tasks.recordResult(agentA, bad!, failure(bad!)),
      tasks.recordResult(agentA, twice!, success(twice!)),
      tasks.recordResult(agentA, twice!, success(twice!)), // the agent retried: same outcome
      tasks.recordResult(agentA, twice!, failure(twice!)), // a different one
      tasks.recordResult(agentA, expired, success(expired)),
      tasks.recordResult(agentA, foreign, success(foreign)),
    ]);
    const codes = outcomes.map((o) =>
      o.status === 'fulfilled' ? 'ok' : ((o.reason as { code?: string }).code ?? String(o.reason)),
    );
    assert.deepEqual(codes, ['ok', 'ok', 'ok', 'ok', 'ok', 'CONFLICT', 'CONFLICT', 'NOT_FOUND']);
    assert.equal(batches[0], 6, 'the first result of each of the six tasks shared one statement');
    const row = (id: string) => prisma.operationAttempt.findUniqueOrThrow({ where: { id } });
    for (const id of [ok1!, ok2!, twice!]) {
      const t = await row(id);
      assert.equal(t.status, 'SUCCEEDED');
      assert.deepEqual(t.output, output);
      assert.equal(t.finishedAt?.toISOString(), '2026-11-26T16:00:00.000Z');
    }
    const b = await row(bad!);
    assert.equal(b.status, 'FAILED');
    assert.deepEqual(b.error, { code: 'POSTCHECK_FAILED', message: 'identity errors' });
    assert.equal(b.output, null);
    assert.equal((await row(expired)).status, 'EXPIRED');
    assert.equal((await row(foreign)).status, 'RUNNING');
    // Each operation ended with its attempt, in the transaction that recorded the result.
    for (const id of [ok1!, ok2!, twice!]) assert.equal((await operationOf(id)).status, 'SUCCEEDED');
    assert.equal((await operationOf(bad!)).status, 'FAILED');
    assert.equal((await operationOf(foreign)).status, 'RUNNING');
  });
});
