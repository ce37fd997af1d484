// Tasks: the API dispatches, the agent long-polls, reports steps as events and ends with a result.
// `kind` discriminates; lifecycle kinds (INSTALL, UPGRADE, ...) are added to TASK_VARIANTS later.
import { z } from 'zod';
import { LIMITS } from '../limits';
import { longString, shortString, timestamp } from './common.schema';
import {
  LifecycleOutputSchema,
  LinkerdInstallParamsSchema,
  LinkerdUninstallParamsSchema,
  LinkerdUpgradeParamsSchema,
  MeshNamespacesParamsSchema,
  ReconcileDriftParamsSchema,
  RestartDataPlaneParamsSchema,
  RotateIssuerParamsSchema,
} from './lifecycle.schema';
import { ApplyExtensionParamsSchema, UninstallExtensionParamsSchema } from './extensions.schema';

const dnsLabel = z
  .string()
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);

const envelopeBase = {
  id: shortString,
  issuedAt: timestamp,
  /** The agent gives up (and reports failure) after this instant. */
  deadlineAt: timestamp.optional(),
  attempt: z.int().min(1).default(1),
};

/** Diagnostic: fetch one pod's proxy metrics (like "Send Diagnostics"). */
export const CollectProxyMetricsTaskSchema = z.object({
  ...envelopeBase,
  kind: z.literal('COLLECT_PROXY_METRICS'),
  params: z.object({ namespace: dnsLabel, pod: dnsLabel }),
});

export const LinkerdInstallTaskSchema = z.object({
  ...envelopeBase,
  kind: z.literal('LINKERD_INSTALL'),
  params: LinkerdInstallParamsSchema,
});
export const LinkerdUpgradeTaskSchema = z.object({
  ...envelopeBase,
  kind: z.literal('LINKERD_UPGRADE'),
  params: LinkerdUpgradeParamsSchema,
});
export const LinkerdUninstallTaskSchema = z.object({
  ...envelopeBase,
  kind: z.literal('LINKERD_UNINSTALL'),
  params: LinkerdUninstallParamsSchema,
});
export const RotateIssuerTaskSchema = z.object({
  ...envelopeBase,
  kind: z.literal('ROTATE_ISSUER'),
  params: RotateIssuerParamsSchema,
});
export const RestartDataPlaneTaskSchema = z.object({
  ...envelopeBase,
  kind: z.literal('RESTART_DATA_PLANE'),
  params: RestartDataPlaneParamsSchema,
});

export const MeshNamespacesTaskSchema = z.object({
  ...envelopeBase,
  kind: z.literal('MESH_NAMESPACES'),
  params: MeshNamespacesParamsSchema,
});
export const UnmeshNamespacesTaskSchema = z.object({
  ...envelopeBase,
  kind: z.literal('UNMESH_NAMESPACES'),
  params: MeshNamespacesParamsSchema,
});

export const ReconcileDriftTaskSchema = z.object({
  ...envelopeBase,
  kind: z.literal('RECONCILE_DRIFT'),
  params: ReconcileDriftParamsSchema,
});
export const InstallExtensionTaskSchema = z.object({
  ...envelopeBase,
  kind: z.literal('INSTALL_EXTENSION'),
  params: ApplyExtensionParamsSchema,
});
export const UpgradeExtensionTaskSchema = z.object({
  ...envelopeBase,
  kind: z.literal('UPGRADE_EXTENSION'),
  params: ApplyExtensionParamsSchema,
});
export const UninstallExtensionTaskSchema = z.object({
  ...envelopeBase,
  kind: z.literal('UNINSTALL_EXTENSION'),
  params: UninstallExtensionParamsSchema,
});

export const TaskEnvelopeSchema = z.discriminatedUnion('kind', [
  CollectProxyMetricsTaskSchema,
  LinkerdInstallTaskSchema,
  LinkerdUpgradeTaskSchema,
  LinkerdUninstallTaskSchema,
  RotateIssuerTaskSchema,
  RestartDataPlaneTaskSchema,
  MeshNamespacesTaskSchema,
  UnmeshNamespacesTaskSchema,
  ReconcileDriftTaskSchema,
  InstallExtensionTaskSchema,
  UpgradeExtensionTaskSchema,
  UninstallExtensionTaskSchema,
]);
export type TaskEnvelope = z.infer<typeof TaskEnvelopeSchema>;
export type TaskKind = TaskEnvelope['kind'];
export const TASK_KINDS: readonly TaskKind[] = TaskEnvelopeSchema.options.map((o) => o.shape.kind.value);

/** The task of a /tasks/:id/... URL; an id that is no task of the caller's cluster is 404. */
export const TaskPathSchema = z.object({ id: z.string() });

const WAIT_SECONDS = 'waitSeconds must be a non-negative number';
/** GET /tasks/next?waitSeconds=N: hold the request up to N seconds (the API caps it); absent is 0. */
export const TaskPollQuerySchema = z.object({
  waitSeconds: z.preprocess(
    (v) => (v === undefined ? 0 : typeof v === 'string' ? Number(v) : NaN),
    z.number({ error: WAIT_SECONDS }).min(0, { error: WAIT_SECONDS }),
  ),
});

/** Long-poll answer: a task, or null when the wait timed out. */
export const TaskPollResponseSchema = z.object({ task: TaskEnvelopeSchema.nullable() });
export type TaskPollResponse = z.infer<typeof TaskPollResponseSchema>;

export const TaskEventSchema = z.object({
  taskId: shortString,
  /** e.g. "fetch-metrics", later "precheck", "crds", "control-plane", "postcheck". */
  step: shortString,
  status: z.enum(['started', 'progress', 'succeeded', 'failed', 'skipped']),
  message: longString.default(''),
  at: timestamp,
});
export type TaskEvent = z.infer<typeof TaskEventSchema>;

export const CollectProxyMetricsOutputSchema = z.object({
  kind: z.literal('COLLECT_PROXY_METRICS'),
  metrics: z.string().max(LIMITS.taskOutputChars),
  truncated: z.boolean().default(false),
});
export const TaskOutputSchema = z.discriminatedUnion('kind', [
  CollectProxyMetricsOutputSchema,
  LifecycleOutputSchema,
]);
export type TaskOutput = z.infer<typeof TaskOutputSchema>;

/** `code`: one of TaskFailureCode (failures.ts) in practice; open on the wire for newer agents. */
export const TaskErrorSchema = z.object({ code: shortString, message: longString });
export type TaskError = z.infer<typeof TaskErrorSchema>;

export const TaskResultSchema = z.discriminatedUnion('status', [
  z.object({
    taskId: shortString,
    status: z.literal('succeeded'),
    finishedAt: timestamp,
    output: TaskOutputSchema.optional(),
  }),
  z.object({
    taskId: shortString,
    status: z.literal('failed'),
    finishedAt: timestamp,
    error: TaskErrorSchema,
  }),
]);
export type TaskResult = z.infer<typeof TaskResultSchema>;
