import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '@meshfleet/config';
import { isTransientFailure, taskError } from '@meshfleet/agent-protocol';
import { AgentWakeupService } from '@meshfleet/agent-gateway';
import { AttemptStatus, Db, Operation, OperationStatus } from '@meshfleet/db';
import { recordDomainEventBatch } from '@meshfleet/events';
import { IdentityDomainsService } from '@meshfleet/certificates';
import { LiveUpdates } from '@meshfleet/redis';
import { OPERATION_KINDS, OperationParams } from './operation-kinds';
import { ACTIVE, AttemptState, NewAttempt, OperationsRepository, StoredJson } from './operations.repository';

export const OPERATION_UPDATED = 'operation-updated';

/** How an operation ends: its final status and error, and what its open attempt is told. */
interface Ending {
  op: Operation;
  status: OperationStatus;
  error: StoredJson | null;
  /** The attempt to stop unless the operation succeeded, and the error it is stopped with. */
  attemptId?: string;
  stopError?: StoredJson | null;
}

/** A fresh attempt of an operation whose current one failed transiently or lost its lease. */
interface Retry {
  op: Operation;
  attempt: AttemptState;
  reason: string;
  /** The current attempt is still open (lease lost): it is stopped first. */
  stop?: StoredJson;
}

/** What a dispatch needs of an operation, before or after it is stored. */
export type PendingOperation = Pick<
  Operation,
  'id' | 'organizationId' | 'clusterId' | 'kind' | 'params' | 'deadlineAt'
>;

/** What a settle decided; its wake-ups and notifications go out once it committed. */
export interface Settled {
  wake: string[];
  notify: Pick<Operation, 'id' | 'clusterId' | 'organizationId' | 'status' | 'kind'>[];
}

/**
 * Moves operations through their states from what Postgres says. dispatch gives queued
 * operations their first attempt; settle judges current attempts (a result, a passed deadline,
 * a lost lease) and ends or retries their operations; reconcile does both for everything
 * unfinished. Every move is conditional on the state read, so running any of them twice is safe.
 */
@Injectable()
export class OperationsOrchestrator {
  private readonly log = new Logger(OperationsOrchestrator.name);

  constructor(
    private readonly repo: OperationsRepository,
    private readonly wakeup: AgentWakeupService,
    private readonly domains: IdentityDomainsService,
    private readonly live: LiveUpdates,
    @Inject(AppConfig) private readonly config: AppConfig,
  ) {}

  /** Tells subscribers a lifecycle operation changed (diagnostics are read as agent tasks). */
  notify(op: Pick<Operation, 'id' | 'clusterId' | 'organizationId' | 'status' | 'kind'>): Promise<void> {
    if (!OPERATION_KINDS[op.kind].lifecycle) return Promise.resolve();
    return this.live
      .publish(OPERATION_UPDATED, {
        operationId: op.id,
        clusterId: op.clusterId,
        organizationId: op.organizationId,
        status: op.status,
      })
      .catch(() => undefined);
  }

  wake(clusterId: string): Promise<void> {
    return this.wakeup.wake(clusterId);
  }

  async dispatch(operationId: string): Promise<void> {
    const op = await this.repo.byIdPlain(operationId);
    if (op) await this.dispatchMany([op]);
  }

  /**
   * Gives queued operations their first attempts and moves them to DISPATCHED in one
   * transaction of a few statements however many there are (a rollout wave), then wakes their
   * agents.
   */
  async dispatchMany(ops: Operation[]): Promise<void> {
    const queued = ops.filter((op) => op.status === OperationStatus.QUEUED);
    const cancelled = queued.filter((o) => o.cancelRequestedAt);
    if (cancelled.length)
      await this.finishMany(cancelled.map((op) => ({ op, status: OperationStatus.CANCELLED, error: null })));
    const todo = queued.filter((o) => !o.cancelRequestedAt);
    if (!todo.length) return;
    const anchors = new Map<string, Promise<string | undefined>>();
    const attempts = await Promise.all(todo.map((op) => this.attemptOf(op, anchors)));
    const won = await this.repo.dispatchMany(attempts, new Date());
    await this.afterDispatch(todo.filter((op) => won.has(op.id)));
  }

  /**
   * The first attempts of operations being created, for their creating transaction to dispatch
   * them in (repo.dispatchIn). One whose task cannot be made is left out: it stays QUEUED for its
   * dispatch job, which fails it as dispatchMany would.
   */
  async firstAttempts(ops: PendingOperation[]): Promise<NewAttempt[]> {
    const anchors = new Map<string, Promise<string | undefined>>();
    const made = await Promise.all(
      ops.map((op) =>
        this.attemptOf({ ...op, attempt: 1 }, anchors).catch((e: unknown) => {
          this.log.warn(`task of operation ${op.id} not made: ${e instanceof Error ? e.message : 'error'}`);
          return null;
        }),
      ),
    );
    return made.filter((a) => a !== null);
  }

  /**
   * Once a dispatch committed: subscribers are told, then the agents woken. In that order, as a
   * subscriber re-reads the operation when told, and a woken agent can end it within milliseconds.
   */
  async afterDispatch(ops: PendingOperation[]): Promise<void> {
    await Promise.all(
      ops.map(async (op) => {
        await this.notify({ ...op, status: OperationStatus.DISPATCHED });
        await this.wake(op.clusterId);
      }),
    );
  }

  private async attemptOf(
    op: PendingOperation & Pick<Operation, 'attempt'>,
    anchors: Map<string, Promise<string | undefined>>,
  ): Promise<NewAttempt> {
    return {
      id: randomUUID(),
      operationId: op.id,
      number: op.attempt,
      clusterId: op.clusterId,
      kind: OPERATION_KINDS[op.kind].task,
      params: await this.taskParams(op, anchors),
      deadlineAt: op.deadlineAt,
    };
  }

  /** What the attempts of an operation carry; trust anchors are read once per identity domain. */
  async taskParams(
    op: Pick<Operation, 'id' | 'kind' | 'params' | 'organizationId'>,
    anchors = new Map<string, Promise<string | undefined>>(),
  ): Promise<Record<string, unknown>> {
    const params = op.params as unknown as OperationParams;
    const domainId = params.identity?.identityDomainId;
    if (domainId && !anchors.has(domainId))
      anchors.set(
        domainId,
        this.domains.get(op.organizationId, domainId).then((d) => d.anchorCertPem ?? undefined),
      );
    const trustAnchorsPem = domainId ? await anchors.get(domainId) : undefined;
    return OPERATION_KINDS[op.kind].taskParams({ id: op.id, params, trustAnchorsPem });
  }

  /** Judges the current attempts of active operations (see settleIn) in one transaction. */
  async syncMany(ops: Operation[], now = new Date()): Promise<void> {
    const active = ops.filter((op) => op.status !== OperationStatus.QUEUED && ACTIVE.includes(op.status));
    if (!active.length) return;
    const settled = await this.repo.transaction(async (db) => {
      const attempts = await this.repo.currentAttempts(
        db,
        active.map((o) => o.id),
      );
      return this.settleIn(db, active, attempts, now);
    });
    await this.afterSettle(settled);
  }

  /** The wake-ups and notifications of a settle, all sent at once (a wave's results settle together). */
  async afterSettle(s: Settled): Promise<void> {
    await Promise.all([...new Set(s.wake)].map((clusterId) => this.wake(clusterId)));
    await Promise.all(s.notify.map((op) => this.notify(op)));
  }

  /**
   * Inside the caller's transaction: each operation against its current attempt. A result ends
   * it (a transient failure retries while attempts and time remain), a passed deadline times it
   * out, a running attempt whose agent stopped reporting for the lease is stopped and retried.
   */
  async settleIn(db: Db, ops: Operation[], attempts: Map<string, AttemptState>, now: Date): Promise<Settled> {
    const ends: Ending[] = [];
    const retries: Retry[] = [];
    const deadline = taskError('DEADLINE', 'The operation passed its deadline');
    for (const op of ops) {
      if (!ACTIVE.includes(op.status) || op.status === OperationStatus.QUEUED) continue;
      const attempt = attempts.get(op.id);
      if (!attempt) {
        // Dispatched without an attempt (a lost row): nothing can end it but its deadline.
        if (now > op.deadlineAt) ends.push({ op, status: OperationStatus.TIMED_OUT, error: deadline });
        continue;
      }
      // Read before a retry that another handler made: that handler judges the new attempt.
      if (attempt.number !== op.attempt) continue;
      const kind = OPERATION_KINDS[op.kind];
      const failure = (attempt.error ?? null) as { code?: string; message?: string } | null;
      switch (attempt.status) {
        case AttemptStatus.SUCCEEDED:
          ends.push({ op, status: OperationStatus.SUCCEEDED, error: null });
          continue;
        case AttemptStatus.FAILED:
          if (kind.lifecycle && isTransientFailure(failure?.code ?? '') && this.canRetry(op, now))
            retries.push({ op, attempt, reason: failure?.message ?? 'lease expired' });
          else
            ends.push({
              op,
              status: OperationStatus.FAILED,
              error: (attempt.error ?? null) as StoredJson | null,
            });
          continue;
        case AttemptStatus.EXPIRED:
          ends.push({
            op,
            status: op.cancelRequestedAt ? OperationStatus.CANCELLED : OperationStatus.TIMED_OUT,
            error: deadline,
          });
          continue;
      }
      if (now > op.deadlineAt) {
        // Passed its deadline while open: stopped as the deadline sweep always did, without a reason.
        ends.push({
          op,
          status: OperationStatus.TIMED_OUT,
          error: deadline,
          attemptId: attempt.id,
          stopError: null,
        });
        continue;
      }
      if (
        kind.lifecycle &&
        attempt.status === AttemptStatus.RUNNING &&
        attempt.lastStepAt &&
        now.getTime() - attempt.lastStepAt.getTime() > this.config.operationLeaseSeconds * 1000
      ) {
        // The agent died or lost its way mid-task: a new attempt resumes when it is back.
        const stop = taskError('STOPPED', 'Lease expired: the agent stopped reporting progress');
        if (this.canRetry(op, now)) retries.push({ op, attempt, reason: 'lease expired', stop });
        else
          ends.push({
            op,
            status: OperationStatus.TIMED_OUT,
            error: taskError('LEASE_EXPIRED', 'The agent stopped reporting progress'),
            attemptId: attempt.id,
            stopError: stop,
          });
      }
    }
    const settled: Settled = { wake: [], notify: [] };
    for (const r of retries) {
      if (r.stop) await this.repo.expireAttempts(db, [r.attempt.id], r.stop, now);
      const next: NewAttempt = {
        id: randomUUID(),
        operationId: r.op.id,
        number: r.op.attempt + 1,
        clusterId: r.op.clusterId,
        kind: r.attempt.kind,
        params: r.attempt.params as object,
        deadlineAt: r.op.deadlineAt,
      };
      const error = taskError('RETRYING', `Attempt ${r.op.attempt} failed: ${r.reason}`);
      if (await this.repo.retry(db, next, error)) {
        this.log.log(`operation ${r.op.id} attempt ${next.number}`);
        settled.wake.push(r.op.clusterId);
        settled.notify.push({ ...r.op, status: OperationStatus.DISPATCHED });
      }
    }
    const finished = await this.finishIn(db, ends, now);
    settled.notify.push(...finished);
    return settled;
  }

  private canRetry(op: Operation, now: Date): boolean {
    return op.attempt < this.config.operationMaxAttempts && now < op.deadlineAt;
  }

  /** Cancel: the current attempt is stopped (the agent ends at its next step) and the operation ends. */
  async cancel(op: Operation, by: string): Promise<void> {
    const at = new Date();
    await this.repo.requestCancel(op.id, at);
    const reason = taskError('CANCELLED', `Cancelled by ${by}`);
    const settled = await this.repo.transaction(async (db) => {
      const current = (await this.repo.currentAttempts(db, [op.id])).get(op.id);
      return this.finishIn(
        db,
        [
          {
            op: { ...op, cancelRequestedAt: at },
            status: OperationStatus.CANCELLED,
            error: reason,
            ...(current
              ? { attemptId: current.id, stopError: taskError('STOPPED', `Cancelled by ${by}`) }
              : {}),
          },
        ],
        at,
      );
    });
    for (const o of settled) await this.notify(o);
  }

  /** Re-derives everything unfinished from Postgres (after a worker restart or a Redis flush). */
  async reconcile(
    enqueueDispatch: (operationId: string) => Promise<void>,
    now = new Date(),
  ): Promise<number> {
    const ops = await this.repo.unfinished(500);
    const overdue: Ending[] = [];
    for (const op of ops) {
      if (op.status !== OperationStatus.QUEUED) continue;
      if (now > op.deadlineAt)
        overdue.push({
          op,
          status: OperationStatus.TIMED_OUT,
          error: taskError('DEADLINE', 'Never dispatched before its deadline'),
        });
      else await enqueueDispatch(op.id);
    }
    await this.finishMany(overdue);
    await this.syncMany(
      ops.filter((op) => op.status !== OperationStatus.QUEUED),
      now,
    );
    return ops.length;
  }

  private async finishMany(ends: Ending[]): Promise<void> {
    if (!ends.length) return;
    const finished = await this.repo.transaction((db) => this.finishIn(db, ends, new Date()));
    for (const op of finished) await this.notify(op);
  }

  /**
   * Ends operations in the caller's transaction: each stops its open attempt unless it
   * succeeded and moves only if still active (a racing handler's end stands), releases its
   * cluster lock, applies its kind's effect on the cluster and records its domain event.
   */
  private async finishIn(db: Db, ends: Ending[], at: Date): Promise<Settled['notify']> {
    if (!ends.length) return [];
    // Attempts first, as every other writer locks them (attempt, then operation). An open attempt
    // means an active operation, so this stops only attempts of operations that end here.
    for (const e of ends)
      if (e.attemptId && e.status !== OperationStatus.SUCCEEDED)
        await this.repo.expireAttempts(
          db,
          [e.attemptId],
          e.stopError === undefined ? taskError('STOPPED', `Operation ${e.status}`) : e.stopError,
          at,
        );
    const moved = new Set(
      await this.repo.finishMany(
        db,
        ends.map(({ op, status, error }) => ({
          id: op.id,
          status,
          // A success clears the "retrying" note of an earlier attempt.
          setError: error !== null || status === OperationStatus.SUCCEEDED,
          error,
        })),
        at,
      ),
    );
    const done = ends.filter((e) => moved.has(e.op.id));
    if (!done.length) return [];
    const lifecycle = done.filter((e) => OPERATION_KINDS[e.op.kind].lifecycle);
    if (lifecycle.length) {
      await this.repo.releaseLocks(
        db,
        lifecycle.map((e) => e.op.id),
      );
      for (const { op, status } of lifecycle) {
        if (status !== OperationStatus.SUCCEEDED) continue;
        const identity = OPERATION_KINDS[op.kind].identityAfter?.(op.params as unknown as OperationParams);
        if (identity !== undefined) await this.repo.setClusterIdentity(db, op.clusterId, identity);
      }
      const names = await this.repo.clusterNames(
        db,
        lifecycle.map((e) => e.op.clusterId),
      );
      await recordDomainEventBatch(
        db,
        lifecycle.map(({ op, status, error }) => {
          const base = {
            operationId: op.id,
            kind: op.kind,
            clusterName: names.get(op.clusterId) ?? op.clusterId,
          };
          const event = { organizationId: op.organizationId, clusterId: op.clusterId };
          if (status === OperationStatus.SUCCEEDED)
            return { ...event, type: 'operation.succeeded' as const, payload: base };
          if (status === OperationStatus.CANCELLED)
            return { ...event, type: 'operation.cancelled' as const, payload: base };
          const reason = (error as { message?: string } | null)?.message ?? status;
          return { ...event, type: 'operation.failed' as const, payload: { ...base, status, reason } };
        }),
      );
    }
    for (const { op, status } of done) this.log.log(`operation ${op.id} (${op.kind}) ${status}`);
    return done.map(({ op, status }) => ({ ...op, status }));
  }
}
