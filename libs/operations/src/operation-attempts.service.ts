import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import {
  parseMessage,
  taskError,
  TaskEnvelope,
  TaskEnvelopeSchema,
  TaskEvent,
  TaskResult,
} from '@meshfleet/agent-protocol';
import { AgentTaskHandler, AgentTasksService } from '@meshfleet/agent-gateway';
import { AgentPrincipal } from '@meshfleet/auth';
import { ConflictError, isUuid, KeyedBatcher, NotFoundError } from '@meshfleet/core';
import { AttemptStatus, Db } from '@meshfleet/db';
import { ClaimedAttempt, OperationsRepository, ResultToRecord, StepToAppend } from './operations.repository';
import { OperationsOrchestrator, Settled } from './operations.orchestrator';

/** Batches in flight at once, and most rows in one. */
const CONCURRENCY = 2;
const MAX_BATCH = 200;

/** What is wrong with an envelope, as the agent would find it; null when it is valid. */
export function envelopeIssues(envelope: unknown): string | null {
  const r = parseMessage(TaskEnvelopeSchema, envelope);
  return r.ok ? null : r.issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ');
}

/**
 * The agent's side of the aggregate, behind the gateway's task routes: hands out attempts, and
 * takes step events and results. Concurrent calls share statements (a rollout wave's agents
 * report together); a result ends or retries its operation in the transaction that records it.
 */
@Injectable()
export class OperationAttemptsService implements AgentTaskHandler, OnModuleInit {
  private readonly log = new Logger(OperationAttemptsService.name);
  /** Keyed by attempt, so each attempt's steps are appended in order, one per statement. */
  private readonly steps = new KeyedBatcher<StepToAppend>({
    key: (row) => row.taskId,
    maxBatch: MAX_BATCH,
    concurrency: CONCURRENCY,
    run: (batch) => this.appendSteps(batch),
  });
  /** Keyed by cluster: the polls a wave's wake-ups start together claim in one statement. */
  private readonly claims = new KeyedBatcher<string>({
    key: (clusterId) => clusterId,
    maxBatch: MAX_BATCH,
    concurrency: CONCURRENCY,
    run: (batch) => this.claimMany(batch),
  });
  /**
   * What a claim batch took, until its poll picks it up: a cluster is in one batch at a time, and
   * its poll reads this as soon as its submit resolves, before another batch can start.
   */
  private readonly claimed = new Map<string, ClaimedAttempt>();
  private readonly results = new KeyedBatcher<ResultToRecord>({
    key: (row) => row.taskId,
    maxBatch: MAX_BATCH,
    concurrency: CONCURRENCY,
    run: (batch) => this.recordResults(batch),
  });

  constructor(
    private readonly repo: OperationsRepository,
    private readonly orchestrator: OperationsOrchestrator,
    private readonly tasks: AgentTasksService,
  ) {}

  onModuleInit(): void {
    this.tasks.handleWith(this);
  }

  /**
   * Claims the cluster's oldest queued attempt. The envelope is validated as the agent will
   * validate it: one that fails is never handed out, its attempt fails with INVALID_TASK (the
   * operation shows why) and the next one is claimed.
   */
  async claimNext(clusterId: string): Promise<TaskEnvelope | null> {
    for (;;) {
      if (!(await this.claims.submit(clusterId))) return null;
      const a = this.claimed.get(clusterId)!;
      this.claimed.delete(clusterId);
      // Sent as stored: the agent applies the schema's defaults itself.
      const envelope = {
        id: a.id,
        kind: a.kind,
        params: a.params,
        issuedAt: a.createdAt.toISOString(),
        deadlineAt: a.deadlineAt.toISOString(),
        attempt: a.number,
      };
      const issues = envelopeIssues(envelope);
      if (!issues) return envelope as TaskEnvelope;
      await this.failInvalid(a, issues);
    }
  }

  private async claimMany(clusterIds: string[]): Promise<Set<string>> {
    const claimed = await this.repo.claimNext(clusterIds);
    for (const [clusterId, a] of claimed) this.claimed.set(clusterId, a);
    return new Set(claimed.keys());
  }

  private async failInvalid(a: ClaimedAttempt, issues: string): Promise<void> {
    this.log.error(`task ${a.id} (${a.kind}) is not a valid envelope and was failed: ${issues}`);
    const error = taskError('INVALID_TASK', `Not a valid ${a.kind} task: ${issues}`.slice(0, 4000));
    const settled = await this.repo.transaction(async (db) =>
      (await this.repo.failClaimed(db, a.id, error)) ? this.settle(db, [a.operationId]) : null,
    );
    if (settled) await this.orchestrator.afterSettle(settled);
  }

  /** Judges the operations whose attempts just changed, in the same transaction. */
  private async settle(db: Db, operationIds: string[]): Promise<Settled> {
    const ids = [...new Set(operationIds)];
    const ops = await this.repo.byIdsIn(db, ids);
    return this.orchestrator.settleIn(db, ops, await this.repo.currentAttempts(db, ids), new Date());
  }

  private async appendSteps(batch: StepToAppend[]): Promise<Set<string>> {
    const appended = await this.repo.appendSteps(batch);
    await Promise.all(appended.map((a) => this.orchestrator.notify({ ...a, id: a.operationId })));
    return new Set(appended.map((a) => a.taskId));
  }

  private async recordResults(batch: ResultToRecord[]): Promise<Set<string>> {
    const { recorded, settled } = await this.repo.transaction(async (db) => {
      const rows = await this.repo.recordResults(db, batch);
      const s = rows.length
        ? await this.settle(
            db,
            rows.map((r) => r.operationId),
          )
        : null;
      return { recorded: rows, settled: s };
    });
    if (settled) await this.orchestrator.afterSettle(settled);
    return new Set(recorded.map((r) => r.id));
  }

  /**
   * Appends the step to the agent's own open attempt (batched with concurrent ones). A step whose
   * attempt did not match takes the checked path, which says why (404, 409).
   */
  async recordEvent(agent: AgentPrincipal, taskId: string, event: TaskEvent): Promise<void> {
    const row = (id: string): StepToAppend => ({
      taskId: id,
      clusterId: agent.clusterId,
      step: event.step,
      status: event.status,
      message: event.message ?? '',
      at: event.at,
    });
    if (isUuid(taskId) && (await this.steps.submit(row(taskId.toLowerCase())))) return;
    const a = await this.repo.agentAttempt(agent.organizationId, agent.clusterId, taskId);
    if (!a) throw new NotFoundError('Task', taskId);
    if (a.status === AttemptStatus.EXPIRED)
      throw new ConflictError(`Task ${taskId} was cancelled or passed its deadline: stop at this step`);
    if (a.status === AttemptStatus.SUCCEEDED || a.status === AttemptStatus.FAILED)
      throw new ConflictError(`Task ${taskId} is already finished`);
    if (!(await this.steps.submit(row(a.id)))) throw new ConflictError(`Task ${taskId} is already finished`);
  }

  /**
   * Idempotent for the same outcome; a different outcome for a finished attempt is a conflict.
   * One that matches no open attempt of the agent takes the checks below, which say why.
   */
  async recordResult(agent: AgentPrincipal, taskId: string, result: TaskResult): Promise<void> {
    const status = result.status === 'succeeded' ? AttemptStatus.SUCCEEDED : AttemptStatus.FAILED;
    const row = (id: string): ResultToRecord => ({
      taskId: id,
      clusterId: agent.clusterId,
      status,
      finishedAt: new Date(result.finishedAt).toISOString(),
      output: result.status === 'succeeded' ? (result.output ?? null) : null,
      error: result.status === 'failed' ? result.error : null,
    });
    if (isUuid(taskId) && (await this.results.submit(row(taskId.toLowerCase())))) return;
    const a = await this.repo.agentAttempt(agent.organizationId, agent.clusterId, taskId);
    if (!a) throw new NotFoundError('Task', taskId);
    if (a.status === status) return;
    if (a.status === AttemptStatus.EXPIRED)
      throw new ConflictError(`Task ${taskId} was cancelled or passed its deadline`);
    if (a.status === AttemptStatus.SUCCEEDED || a.status === AttemptStatus.FAILED)
      throw new ConflictError(`Task ${taskId} already finished as ${a.status}`);
    if (!(await this.results.submit(row(a.id))))
      throw new ConflictError(`Task ${taskId} was cancelled or passed its deadline`);
  }
}
