// The stored report's drift, as GraphQL shows it. Reports from agents that predate drift
// detection (or before Meshfleet applied anything) have none: null.
import { DriftReportSchema, type DriftReport } from '@meshfleet/agent-protocol';
import type { ClusterHealth } from '@meshfleet/db';
import { ClusterDriftType, DriftReason } from '../dto/drift.types';

export function storedDrift(health: ClusterHealth | null): DriftReport | null {
  const raw = (health?.report as { drift?: unknown } | null | undefined)?.drift;
  if (!raw) return null;
  const parsed = DriftReportSchema.safeParse(raw);
  return parsed.success ? parsed.data : null;
}

export function driftView(health: ClusterHealth | null): ClusterDriftType | null {
  const d = storedDrift(health);
  if (!d) return null;
  return {
    checkedAt: new Date(d.checkedAt),
    desiredDigest: d.desiredDigest,
    objectsChecked: d.objectsChecked,
    total: d.total,
    podMeshTotal: d.podMeshTotal,
    findings: d.findings.map((f) => ({
      reason: f.reason as DriftReason,
      object: { kind: f.kind, namespace: f.namespace, name: f.name },
      path: f.path,
      desired: f.desired,
      live: f.live,
      manager: f.manager,
      since: f.since ? new Date(f.since) : null,
    })),
  };
}
