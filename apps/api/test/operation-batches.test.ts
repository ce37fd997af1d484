// Operations in batches, as a rollout wave makes them: upgradeMany dispatches every task in one
// go, and the API's sync listener takes a burst of agents' step events and results together.
// The real API (no worker: nothing here may depend on dispatch jobs or the reconciler), agents
// played over HTTP.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Actor } from '@meshfleet/auth';
import { ConflictError } from '@meshfleet/core';
import { Operation, OperationStatus, PrismaService } from '@meshfleet/db';
import {
  OperationsOrchestrator,
  OperationsQueue,
  OperationsRepository,
  OperationsService,
} from '@meshfleet/operations';
import { startApi, TestApi } from './harness';
import { agentCall as agentHttp, eventually, linkerdReport, registerAndEnroll } from './agent-http';

const FROM = 'enterprise-2.19.1';
const TO = 'enterprise-2.20.0';

describe('operations in batches (a rollout wave)', () => {
  let api: TestApi;
  let key: string;
  let actor: Actor;
  let prisma: PrismaService;
  let repo: OperationsRepository;
  /** The operations with their steps, and the id of each one's current attempt (its task). */
  const read = async (ids: string[]) => {
    const list = await repo.byIds(ids);
    const attempts = await prisma.operationAttempt.findMany({ where: { operationId: { in: ids } } });
    return list.map((o) => ({
      ...o,
      agentTaskId: attempts.find((a) => a.operationId === o.id && a.number === o.attempt)?.id ?? null,
    }));
  };
  const clusters: { id: string; credential: string }[] = [];
  let ops: Operation[] = [];

  const agentCall = (method: string, path: string, credential: string, body?: unknown) =>
    agentHttp(api, method, path, credential, body);
  const at = () => new Date().toISOString();

  before(async () => {
    api = await startApi({
      MESHFLEET_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
      MESHFLEET_AGENT_RATE_LIMIT_PER_MINUTE: '6000',
    });
    const org = await api.newOrg('batches');
    key = org.apiKey;
    actor = {
      organizationId: org.organizationId,
      role: 'ADMIN',
      kind: 'SYSTEM',
      actorId: 'test',
      actorName: 'test',
      ip: null,
      userAgent: null,
      requestId: null,
    };
    prisma = api.app.get(PrismaService);
    repo = api.app.get(OperationsRepository);
    for (let i = 0; i < 6; i++) {
      const c = await registerAndEnroll(api, key, { name: `wave-${i}`, kubernetesVersion: 'v1.31.4' });
      const report = linkerdReport(FROM, { kubernetesVersion: 'v1.31.4' });
      assert.equal((await agentCall('POST', '/reports', c.credential, report)).status, 202);
      clusters.push(c);
    }
  });
  after(async () => {
    await api.close();
  });

  it('dispatches a wave in one batch: every task is with its agent when upgradeMany returns; a busy cluster is a conflict', async () => {
    const busy = clusters[5]!;
    const restart = await api.gql(
      `mutation($c: ID!) { restartDataPlane(clusterId: $c) { id } }`,
      { c: busy.id },
      key,
    );
    assert.equal(restart.errors, undefined, JSON.stringify(restart.errors));

    const results = await api.app.get(OperationsService).upgradeMany(
      actor,
      clusters.map((c) => c.id),
      { version: TO },
    );
    assert.ok(
      results.get(busy.id) instanceof ConflictError,
      'the busy cluster is waited for, not double-booked',
    );
    ops = clusters.slice(0, 5).map((c) => {
      const r = results.get(c.id);
      assert.ok(r && !(r instanceof Error), `operation for ${c.id}: ${String(r)}`);
      // Dispatched in the transaction that created it: it was never seen QUEUED.
      assert.equal((r as Operation).status, OperationStatus.DISPATCHED);
      return r as Operation;
    });

    // No worker runs: the operations were dispatched by upgradeMany itself.
    const rows = await read(ops.map((o) => o.id));
    assert.deepEqual(
      rows.map((r) => r.status),
      ops.map(() => OperationStatus.DISPATCHED),
    );
    const tasks = await prisma.operationAttempt.findMany({
      where: { id: { in: rows.map((r) => r.agentTaskId!) } },
    });
    assert.equal(tasks.length, 5);
    for (const t of tasks) {
      const op = rows.find((r) => r.agentTaskId === t.id)!;
      assert.equal(t.clusterId, op.clusterId);
      assert.equal(t.kind, 'LINKERD_UPGRADE');
      assert.equal((t.params as any).operationId, op.id);
      assert.equal((t.params as any).release.version, TO);
    }
    for (const c of clusters.slice(0, 5)) {
      const poll = await agentCall('GET', '/tasks/next?waitSeconds=1', c.credential);
      assert.equal(poll.status, 200);
      assert.equal(poll.body.task?.kind, 'LINKERD_UPGRADE', `agent of ${c.id} holds its task`);
    }

    // Dispatching again (a late dispatch job, say) leaves a dispatched operation as it is: no
    // second task, the first one stays its task.
    const stale = ops.map((o) => ({ ...o, status: OperationStatus.QUEUED }));
    await api.app.get(OperationsOrchestrator).dispatchMany(stale);
    const after = await read(ops.map((o) => o.id));
    for (const r of after) assert.equal(r.agentTaskId, rows.find((x) => x.id === r.id)!.agentTaskId);
    assert.equal(
      await prisma.operationAttempt.count({
        where: { clusterId: { in: ops.map((o) => o.clusterId) }, kind: 'LINKERD_UPGRADE' },
      }),
      5,
    );
  });

  it('takes a burst of step events and results together: steps mirrored in order, each ends once, a cancelled one stays cancelled', async () => {
    const rows = await read(ops.map((o) => o.id));
    const taskOf = new Map(rows.map((r) => [r.clusterId, r.agentTaskId!]));
    const steps = ['precheck', 'crds', 'control-plane', 'postcheck'];
    const credentialOf = new Map(clusters.map((c) => [c.id, c.credential]));

    // Every agent posts its steps at the same time as the others.
    await Promise.all(
      rows.map(async (r) => {
        const task = taskOf.get(r.clusterId)!;
        for (const step of steps) {
          const res = await agentCall('POST', `/tasks/${task}/events`, credentialOf.get(r.clusterId)!, {
            taskId: task,
            step,
            status: 'succeeded',
            at: at(),
          });
          assert.equal(res.status, 204);
        }
      }),
    );
    const running = await eventually(
      () => read(ops.map((o) => o.id)),
      (list) => list.every((o) => o.status === 'RUNNING' && (o.steps as unknown[]).length === steps.length),
    );
    for (const o of running)
      assert.deepEqual(
        (o.steps as { step: string }[]).map((s) => s.step),
        steps,
      );

    // One is cancelled before its result: its agent is told to stop, and it stays CANCELLED.
    const [cancelled, ...rest] = rows;
    const c = await api.gql(
      `mutation($id: ID!) { cancelOperation(id: $id) { status } }`,
      { id: cancelled!.id },
      key,
    );
    assert.equal(c.errors, undefined, JSON.stringify(c.errors));
    const results = await Promise.all(
      rows.map((r) =>
        agentCall('POST', `/tasks/${taskOf.get(r.clusterId)}/result`, credentialOf.get(r.clusterId)!, {
          taskId: taskOf.get(r.clusterId),
          status: 'succeeded',
          finishedAt: at(),
          output: {
            kind: 'LIFECYCLE',
            controlPlaneVersion: TO,
            postcheck: { errors: 0, warnings: 0, summary: 'ok' },
          },
        }),
      ),
    );
    assert.deepEqual(
      results.map((r) => r.status),
      [409, 204, 204, 204, 204],
    );
    const ended = await eventually(
      () => read(ops.map((o) => o.id)),
      (list) => list.every((o) => ['SUCCEEDED', 'CANCELLED'].includes(o.status)),
    );
    const statusOf = new Map(ended.map((o) => [o.id, o.status]));
    assert.equal(statusOf.get(cancelled!.id), 'CANCELLED');
    for (const r of rest) assert.equal(statusOf.get(r.id), 'SUCCEEDED');
    for (const o of ended) {
      assert.ok(o.finishedAt, 'finishedAt set');
      assert.deepEqual(
        (o.steps as { step: string }[]).map((s) => s.step),
        steps,
      );
    }

    // Handlers holding an older read (still RUNNING), twice at once, end nothing a second time.
    const orchestrator = api.app.get(OperationsOrchestrator);
    const stale = running.map((o) => ({ ...o, cancelRequestedAt: null }));
    await Promise.all([orchestrator.syncMany(stale), orchestrator.syncMany(stale)]);
    const again = await read(ops.map((o) => o.id));
    assert.deepEqual(new Map(again.map((o) => [o.id, o.status])), statusOf);
    const events = await prisma.domainEvent.findMany({
      where: { type: { in: ['operation.succeeded', 'operation.cancelled', 'operation.failed'] } },
    });
    const perOp = new Map<string, string[]>();
    for (const e of events) {
      const id = (e.payload as { operationId: string }).operationId;
      perOp.set(id, [...(perOp.get(id) ?? []), e.type]);
    }
    assert.deepEqual(perOp.get(cancelled!.id), ['operation.cancelled']);
    for (const r of rest) {
      assert.deepEqual(perOp.get(r.id), ['operation.succeeded']);
      const ev = events.find((e) => (e.payload as { operationId: string }).operationId === r.id)!;
      assert.match((ev.payload as { clusterName: string }).clusterName, /^wave-\d$/);
    }

    // Every cluster's lock is released: each takes a new operation.
    for (const r of rows) {
      const next = await api.gql(
        `mutation($c: ID!) { restartDataPlane(clusterId: $c) { id } }`,
        { c: r.clusterId },
        key,
      );
      assert.equal(next.errors, undefined, JSON.stringify(next.errors));
    }
  });

  it('leaves an operation whose task cannot be made to its dispatch job and dispatches the rest of the wave', async () => {
    const wave: { id: string; credential: string }[] = [];
    for (let i = 0; i < 2; i++) {
      const c = await registerAndEnroll(api, key, { name: `late-${i}`, kubernetesVersion: 'v1.31.4' });
      const report = linkerdReport(FROM, { kubernetesVersion: 'v1.31.4' });
      assert.equal((await agentCall('POST', '/reports', c.credential, report)).status, 202);
      wave.push(c);
    }
    const [broken, fine] = wave as [{ id: string; credential: string }, { id: string; credential: string }];
    const orchestrator = api.app.get(OperationsOrchestrator);
    const taskParams = orchestrator.taskParams.bind(orchestrator);
    orchestrator.taskParams = (op, anchors) =>
      (op as Operation).clusterId === broken.id
        ? Promise.reject(new Error('identity domain unreadable'))
        : taskParams(op, anchors);
    try {
      const results = await api.app.get(OperationsService).upgradeMany(
        actor,
        wave.map((c) => c.id),
        { version: TO },
      );
      const late = results.get(broken.id) as Operation;
      const sent = results.get(fine.id) as Operation;
      assert.equal(late.status, OperationStatus.QUEUED);
      assert.equal(sent.status, OperationStatus.DISPATCHED);
      const stored = new Map((await read([late.id, sent.id])).map((r) => [r.id, r]));
      assert.equal(stored.get(late.id)?.status, OperationStatus.QUEUED);
      assert.equal(stored.get(late.id)?.agentTaskId, null, 'no task was stored for it');
      assert.equal(stored.get(sent.id)?.status, OperationStatus.DISPATCHED);
      assert.ok(stored.get(sent.id)?.agentTaskId);
      const job = await api.app.get(OperationsQueue).instance.getJob(`dispatch-${late.id}`);
      assert.ok(job, 'the queued operation has its dispatch job');
      const poll = await agentCall('GET', '/tasks/next?waitSeconds=1', fine.credential);
      assert.equal(poll.body.task?.kind, 'LINKERD_UPGRADE');
    } finally {
      orchestrator.taskParams = taskParams;
    }
  });
});
