// Reads the Argo CD Application / Flux HelmRelease that owns the control plane, for the report.
// One GET by name per report; the object never leaves the agent, only its status summary does
// (an Application's spec can hold Helm values). A missing CRD, a missing object or a 403 is
// reported as such; only an unreachable API server fails, and then the report says so too.
import type { GitopsSource } from '@meshfleet/agent-protocol';
import { gitopsSourceRef, gitopsSourceReport, type GitopsTool } from '@meshfleet/linkerd';
import type { ClusterOps } from '../kube/cluster-ops';

type Snapshot = Parameters<typeof gitopsSourceRef>[0];

const WHY = {
  KIND_NOT_SERVED: (kind: string, apiVersion: string) =>
    `the ${kind} kind (${apiVersion}) is not served: its CRD is not installed`,
  NOT_FOUND: (kind: string) => `the ${kind} the Linkerd objects name does not exist`,
  FORBIDDEN: (kind: string) => `forbidden: the agent's RBAC does not grant get on ${kind}s`,
} as const;

export class GitopsSourceReader {
  constructor(private readonly ops: Pick<ClusterOps, 'getOrWhy'>) {}

  async read(
    snapshot: Snapshot,
    controlPlaneNamespace: string,
    tool: GitopsTool | null,
    now = new Date(),
  ): Promise<GitopsSource | null> {
    const ref = gitopsSourceRef(snapshot, controlPlaneNamespace, tool);
    if (!ref) return null;
    const where = `${ref.kind} ${ref.namespace}/${ref.name}`;
    try {
      const r = await this.ops.getOrWhy(ref);
      if ('object' in r) return gitopsSourceReport(ref, now, { live: r.object });
      return gitopsSourceReport(ref, now, { error: `${where}: ${WHY[r.why](ref.kind, ref.apiVersion)}` });
    } catch (e) {
      return gitopsSourceReport(ref, now, { error: `${where}: ${failure(e)}` });
    }
  }
}

/** A short cause: the status code, or the first line of the error (never bodies or headers). */
function failure(e: unknown): string {
  const code = e && typeof e === 'object' && 'code' in e ? e.code : undefined;
  if (typeof code === 'number') return `the API server answered ${code}`;
  const first = (e instanceof Error ? e.message : '').split('\n')[0]!.slice(0, 200);
  return first ? `request failed: ${first}` : 'request failed';
}
