// Drift: live Linkerd objects that differ from what Meshfleet last applied, each changed field
// named with the field manager that now owns it. Values are short renderings; Secret data never
// appears (Secrets are compared by the agent but reported without values).
import { z } from 'zod';
import { shortString, timestamp } from './common.schema';

/** Findings listed per report; `total` still counts them all. */
export const MAX_DRIFT_FINDINGS = 200;

export const DriftReasonSchema = z.enum([
  /** A field Meshfleet applied has another value now. */
  'CHANGED',
  /** An object Meshfleet applied is gone. */
  'DELETED',
  /** Pods whose proxy does not match the control plane (version, trust root, injection). */
  'POD_MESH',
]);
export type DriftReason = z.infer<typeof DriftReasonSchema>;

export const DriftFindingSchema = z.object({
  reason: DriftReasonSchema,
  kind: shortString,
  namespace: shortString.nullable(),
  name: shortString,
  /** Readable field path, e.g. `spec.replicas`, `spec.template.spec.containers[name=web].image`. */
  path: z.string().max(512),
  desired: z.string().max(512).nullable(),
  live: z.string().max(512).nullable(),
  /** The managedFields manager owning the live value (`kubectl-edit`, `argocd-controller`…); null when nobody does. */
  manager: shortString.nullable(),
  /** That manager's last write (managedFields time), else when the agent first saw the drift. */
  since: timestamp.nullable(),
});
export type DriftFinding = z.infer<typeof DriftFindingSchema>;

export const DriftReportSchema = z.object({
  checkedAt: timestamp,
  /** Digest of the applied control-plane bundle the desired state came from. */
  desiredDigest: shortString.nullable(),
  objectsChecked: z.int().min(0),
  /** CHANGED and DELETED findings (what DRIFT_DETECTED and the fleet counts use). */
  total: z.int().min(0),
  /** POD_MESH findings, listed after the object findings (proxy skew has its own alert). */
  podMeshTotal: z.int().min(0).default(0),
  findings: z.array(DriftFindingSchema).max(MAX_DRIFT_FINDINGS),
});
export type DriftReport = z.infer<typeof DriftReportSchema>;

/**
 * The ConfigMap (in the control-plane namespace) where the agent keeps the objects it applied, so
 * drift is still known after an agent restart. Never holds Secrets. The agent RBAC names it too.
 */
export const DESIRED_STATE_CONFIGMAP = 'meshfleet-desired-state';
