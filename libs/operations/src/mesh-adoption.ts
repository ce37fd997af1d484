// The checks of a MESH_NAMESPACES / UNMESH_NAMESPACES request against the cluster's latest report,
// and the operation params they yield. Pure: every refusal is a DomainError with a reason, thrown
// before anything is written.
import type { HealthReport } from '@meshfleet/agent-protocol';
import { FailedPreconditionError, ValidationError } from '@meshfleet/core';
import { adoptionNamespaceFacts, namespaceRefusal } from '@meshfleet/linkerd';
import type { OperationParams } from './operation-kinds';

export type MeshWorkloadKindName = 'Deployment' | 'StatefulSet' | 'DaemonSet';

export interface MeshNamespacesRequest {
  namespaces: string[];
  workloads?: Array<{
    namespace: string;
    kind: MeshWorkloadKindName;
    name: string;
    opaquePorts?: number[] | null;
  }> | null;
  batchSize?: number | null;
  rollbackOnFailure?: boolean | null;
  batchTimeoutSeconds?: number | null;
}

/** The limits of MeshNamespacesParamsSchema (the agent re-validates the envelope with it). */
export const MESH_LIMITS = {
  namespaces: 100,
  workloads: 1000,
  opaquePorts: 64,
  batchSize: { min: 1, max: 100 },
  batchTimeoutSeconds: { min: 10, max: 3600 },
} as const;

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const OBJECT_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

function inRange(value: number, field: string, range: { min: number; max: number }): number {
  if (!Number.isInteger(value) || value < range.min || value > range.max)
    throw new ValidationError(`${field} must be an integer from ${range.min} to ${range.max}`, field, {
      reason: 'OUT_OF_RANGE',
    });
  return value;
}

/** The checks of a request that need no cluster: names, duplicates, limits. */
export function checkMeshRequest(req: MeshNamespacesRequest): void {
  const namespaces = req.namespaces;
  if (namespaces.length === 0 || namespaces.length > MESH_LIMITS.namespaces)
    throw new ValidationError(
      `namespaces must list 1 to ${MESH_LIMITS.namespaces} namespaces`,
      'namespaces',
      {
        reason: 'OUT_OF_RANGE',
      },
    );
  const seen = new Set<string>();
  for (const ns of namespaces) {
    if (ns.length > 63 || !DNS_LABEL.test(ns))
      throw new ValidationError(`${JSON.stringify(ns.slice(0, 80))} is not a namespace name`, 'namespaces', {
        reason: 'INVALID_NAME',
      });
    if (seen.has(ns))
      throw new ValidationError(`namespace ${ns} is listed twice`, 'namespaces', {
        reason: 'DUPLICATE',
        namespace: ns,
      });
    seen.add(ns);
  }
  inRange(req.batchSize ?? 1, 'batchSize', MESH_LIMITS.batchSize);
  if (req.batchTimeoutSeconds != null)
    inRange(req.batchTimeoutSeconds, 'batchTimeoutSeconds', MESH_LIMITS.batchTimeoutSeconds);

  const workloads = req.workloads ?? [];
  if (workloads.length > MESH_LIMITS.workloads)
    throw new ValidationError(`at most ${MESH_LIMITS.workloads} workloads`, 'workloads', {
      reason: 'OUT_OF_RANGE',
    });
  const seenWorkloads = new Set<string>();
  for (const w of workloads) {
    const ref = `${w.kind}/${w.name} in ${w.namespace}`;
    if (w.name.length > 253 || !OBJECT_NAME.test(w.name))
      throw new ValidationError(
        `${JSON.stringify(w.name.slice(0, 80))} is not a workload name`,
        'workloads',
        {
          reason: 'INVALID_NAME',
        },
      );
    if (!seen.has(w.namespace))
      throw new ValidationError(`${ref} is not in the listed namespaces`, 'workloads', {
        reason: 'WORKLOAD_OUTSIDE_NAMESPACES',
        namespace: w.namespace,
        workload: `${w.kind}/${w.name}`,
      });
    const key = `${w.namespace}/${w.kind}/${w.name}`;
    if (seenWorkloads.has(key))
      throw new ValidationError(`${ref} is listed twice`, 'workloads', { reason: 'DUPLICATE' });
    seenWorkloads.add(key);
    const ports = w.opaquePorts ?? [];
    if (
      ports.length > MESH_LIMITS.opaquePorts ||
      ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65535)
    )
      throw new ValidationError(
        `opaquePorts of ${ref}: at most ${MESH_LIMITS.opaquePorts} ports from 1 to 65535`,
        'workloads',
        { reason: 'OUT_OF_RANGE' },
      );
  }
}

/** The params of a mesh adoption operation on a cluster with `report`, or the refusal. */
export function meshAdoptionParams(
  clusterName: string,
  report: HealthReport | null,
  req: MeshNamespacesRequest,
): OperationParams {
  checkMeshRequest(req);
  const namespaces = req.namespaces;
  const workloads = req.workloads ?? [];
  if (!report)
    throw new FailedPreconditionError(
      `${clusterName} has not reported yet: its namespaces are unknown, retry once its agent has sent a report`,
      { reason: 'NO_REPORT' },
    );
  // The proxy injector does the meshing: without a control plane nothing would be injected.
  if (!report.linkerd.installed)
    throw new FailedPreconditionError(
      `Linkerd is not installed on ${clusterName}: its proxy injector meshes pods`,
      {
        reason: 'NOT_INSTALLED',
      },
    );

  // The plan's rule; from agents without adoption facts its input comes from the mTLS namespaces.
  const facts = adoptionNamespaceFacts(report);
  for (const ns of namespaces) {
    const refusal = namespaceRefusal(ns, facts);
    if (refusal)
      throw new ValidationError(`${clusterName}: ${refusal.message}`, 'namespaces', {
        reason: refusal.code,
        namespace: ns,
      });
  }
  for (const w of workloads) {
    const ns = report.mtls.namespaces.find((n) => n.name === w.namespace);
    if (!ns || ns.workloadsTruncated) continue;
    if (!ns.workloads.some((x) => x.kind === w.kind && x.name === w.name))
      throw new ValidationError(
        `${w.kind}/${w.name} is not in namespace ${w.namespace} of ${clusterName} (latest report; it lists workloads with running pods)`,
        'workloads',
        { reason: 'UNKNOWN_WORKLOAD', namespace: w.namespace, workload: `${w.kind}/${w.name}` },
      );
  }

  return {
    namespaces: [...namespaces],
    workloads: workloads.map((w) => ({
      namespace: w.namespace,
      kind: w.kind,
      name: w.name,
      opaquePorts: [...new Set(w.opaquePorts ?? [])].sort((a, b) => a - b),
    })),
    batchSize: req.batchSize ?? 1,
    rollbackOnFailure: req.rollbackOnFailure ?? true,
    ...(req.batchTimeoutSeconds != null ? { batchTimeoutSeconds: req.batchTimeoutSeconds } : {}),
  };
}
