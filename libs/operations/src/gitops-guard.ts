// In GITOPS mode Argo CD or Flux applies Linkerd: an apply by Meshfleet would fight it (each
// undoing the other on every sync), so operations that write Linkerd's objects are refused.
import { FailedPreconditionError } from '@meshfleet/core';
import { Cluster, ManagementMode } from '@meshfleet/db';
import { gitopsToolLabel } from '@meshfleet/linkerd';

export function assertMeshfleetApplies(
  cluster: Pick<Cluster, 'name' | 'managementMode' | 'gitopsTool'>,
  what: string,
): void {
  if (cluster.managementMode !== ManagementMode.GITOPS) return;
  const tool = gitopsToolLabel(cluster.gitopsTool);
  throw new FailedPreconditionError(
    `Cluster ${cluster.name} is managed by ${tool} (GITOPS mode): Meshfleet does not ${what} there. Make the change in Git (gitopsExport writes the files), or hand the cluster back with setClusterManagementMode(mode: MESHFLEET)`,
    { reason: 'GITOPS_MANAGED', tool: cluster.gitopsTool ?? null },
  );
}
