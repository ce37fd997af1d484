// The stored report's GitOps source, as GraphQL shows it. Reports without one (no GitOps marks,
// or an agent that predates it) give null. Stored like drift: inside the report document.
import { GitopsSourceSchema, type GitopsSource } from '@meshfleet/agent-protocol';
import type { ClusterHealth } from '@meshfleet/db';
import { GitopsTool } from '@meshfleet/db';
import { GitopsSourceType } from '../dto/gitops-source.types';

export function storedGitopsSource(health: ClusterHealth | null): GitopsSource | null {
  const raw = (health?.report as { gitops?: { source?: unknown } | null } | null | undefined)?.gitops?.source;
  if (!raw) return null;
  const parsed = GitopsSourceSchema.safeParse(raw);
  return parsed.success ? parsed.data : null;
}

const date = (v: string | null | undefined) => (v ? new Date(v) : null);

export function gitopsSourceView(health: ClusterHealth | null): GitopsSourceType | null {
  const s = storedGitopsSource(health);
  if (!s) return null;
  const ready = s.flux?.ready ?? null;
  return {
    tool: s.tool as GitopsTool,
    kind: s.kind,
    namespace: s.namespace,
    name: s.name,
    readAt: new Date(s.readAt),
    readable: s.error === null,
    error: s.error,
    syncStatus: s.argocd?.syncStatus ?? null,
    healthStatus: s.argocd?.healthStatus ?? null,
    revision: s.argocd?.revision ?? s.flux?.lastAttemptedRevision ?? null,
    operationPhase: s.argocd?.operationPhase ?? null,
    reconciledAt: date(s.argocd?.reconciledAt),
    ready: ready ? { ...ready, lastTransitionTime: date(ready.lastTransitionTime) } : null,
    observedGeneration: s.flux?.observedGeneration ?? null,
    generation: s.flux?.generation ?? null,
  };
}
