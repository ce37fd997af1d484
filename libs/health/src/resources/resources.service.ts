import { Injectable } from '@nestjs/common';
import type { ClusterListFilter } from '@meshfleet/clusters';
import { FleetResourceRow, ResourcesRepository } from './resources.repository';
import type { FleetResourcesType } from './resource-usage.types';

@Injectable()
export class ResourcesService {
  constructor(private readonly repo: ResourcesRepository) {}

  async fleet(organizationId: string, f: ClusterListFilter): Promise<FleetResourcesType> {
    return fleetResourcesView(await this.repo.fleet(organizationId, f, FLEET_WORST_CLUSTERS));
  }
}

/** How many clusters the fleet resource block lists as the largest proxy memory. */
export const FLEET_WORST_CLUSTERS = 5;

/** The fleet resource block from its stored sums (a scan of the clusters or FleetAggregate). */
export function fleetResourcesView(r: FleetResourceRow): FleetResourcesType {
  const n = (v: number | null) => Number(v ?? 0);
  return {
    clustersReporting: Number(r.clusters),
    measuredProxies: n(r.measured),
    proxyCpuCores: Math.round(n(r.cpu) * 1000) / 1000,
    proxyMemoryBytes: n(r.mem),
    controlPlaneMemoryBytes: r.cpMem === null ? null : Number(r.cpMem),
    proxiesNearLimit: n(r.nearLimit),
    proxiesOomKilled: n(r.oom),
    worstClusters: r.worst.map((w) => ({
      clusterId: w.id,
      clusterName: w.name,
      memoryMaxBytes: Number(w.max),
      memoryBytes: Number(w.mem),
      oomKilled: Number(w.oom ?? 0),
    })),
  };
}
