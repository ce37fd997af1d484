// Which GitOps tool owns the cluster's Linkerd objects, as the agent saw their marks (protocol
// addition; older agents send nothing and parse as `gitops: null`, which changes no mode), and
// the status of the Argo CD Application / Flux HelmRelease that owns the control plane.
import { z } from 'zod';
import { shortString, timestamp } from './common.schema';

/** Longest condition or error message kept (Flux allows 32 KiB; a report stays small). */
export const GITOPS_MESSAGE_MAX = 512;

const message = z.string().max(GITOPS_MESSAGE_MAX);

export const ArgoSyncStatusSchema = z.enum(['Synced', 'OutOfSync', 'Unknown']);
/** Argo CD's health codes; anything else an Application carries is reported as Unknown. */
export const ArgoHealthStatusSchema = z.enum([
  'Healthy',
  'Progressing',
  'Degraded',
  'Suspended',
  'Missing',
  'Unknown',
]);

export const ArgoApplicationStatusSchema = z.object({
  /** status.sync.status */
  syncStatus: ArgoSyncStatusSchema,
  /** status.health.status */
  healthStatus: ArgoHealthStatusSchema,
  /** status.sync.revision (the Git commit or chart version compared with); null when absent. */
  revision: shortString.nullable(),
  /** status.operationState.phase of the last sync (Running, Succeeded, Failed, Error, Terminating). */
  operationPhase: shortString.nullable(),
  /** status.reconciledAt: when Argo CD last compared the live state with Git. */
  reconciledAt: timestamp.nullable(),
});
export type ArgoApplicationStatus = z.infer<typeof ArgoApplicationStatusSchema>;

export const FluxReadyConditionSchema = z.object({
  status: z.enum(['True', 'False', 'Unknown']),
  reason: shortString.nullable(),
  message: message.nullable(),
  lastTransitionTime: timestamp.nullable(),
});

export const FluxHelmReleaseStatusSchema = z.object({
  /** The Ready condition; null when helm-controller has not set one yet. */
  ready: FluxReadyConditionSchema.nullable(),
  /** status.lastAttemptedRevision (the chart version last tried). */
  lastAttemptedRevision: shortString.nullable(),
  /** status.observedGeneration, against metadata.generation: behind means not reconciled yet. */
  observedGeneration: z.int().nullable(),
  generation: z.int().nullable(),
});
export type FluxHelmReleaseStatus = z.infer<typeof FluxHelmReleaseStatusSchema>;

export const GitopsSourceSchema = z.object({
  tool: z.enum(['ARGOCD', 'FLUX']),
  kind: z.enum(['Application', 'HelmRelease']),
  namespace: shortString,
  name: shortString,
  readAt: timestamp,
  /** Null when the status was read; else why not ("source not readable: <reason>"). */
  error: message.nullable(),
  argocd: ArgoApplicationStatusSchema.nullable(),
  flux: FluxHelmReleaseStatusSchema.nullable(),
});
export type GitopsSource = z.infer<typeof GitopsSourceSchema>;

export const GitopsOwnershipSchema = z.object({
  detected: z.enum(['ARGOCD', 'FLUX']).nullable(),
  /** A few "Kind ns/name: mark" lines, e.g. the tracking annotation found. */
  evidence: z.array(shortString).max(10),
  /** The owning Application / HelmRelease and its status; null without one (older agents too). */
  source: GitopsSourceSchema.nullable().default(null),
});
export type GitopsOwnershipReport = z.infer<typeof GitopsOwnershipSchema>;

/** "Argo CD" / "Flux" for messages; a GITOPS cluster whose tool is unknown reads "a GitOps tool". */
export function gitopsToolLabel(tool: string | null | undefined): string {
  return tool === 'ARGOCD' ? 'Argo CD' : tool === 'FLUX' ? 'Flux' : 'a GitOps tool';
}
