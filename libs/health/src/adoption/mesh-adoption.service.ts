// planMeshAdoption: the clusters of the selection, each planned from its last report's adoption
// facts. Reads only; the plan is as fresh as the report (generatedAt says how fresh).
import { Injectable } from '@nestjs/common';
import { FailedPreconditionError, ValidationError } from '@meshfleet/core';
import { Cluster } from '@meshfleet/db';
import { ClusterListQuery, ClustersService } from '@meshfleet/clusters';
import type { HealthReport } from '@meshfleet/agent-protocol';
import {
  adoptionNamespaceFacts,
  MAX_BATCH_SIZE,
  namespaceRefusal,
  planMeshAdoption,
  type AdoptionPlan,
  type AdoptionReason,
  type AdoptionWorkloadRef,
} from '@meshfleet/linkerd';
import { HealthRepository } from '../health.repository';

export interface MeshAdoptionRequest {
  clusterId?: string | null;
  selector?: ClusterListQuery | null;
  namespaces?: string[] | null;
  workloads?: AdoptionWorkloadRef[] | null;
  batchSize?: number | null;
}

export interface ClusterAdoptionPlan extends AdoptionPlan {
  /** clusterReasons split: BLOCKERs stop every restart, the rest are cluster-level warnings. */
  blockers: AdoptionReason[];
  warnings: AdoptionReason[];
  clusterId: string;
  clusterName: string;
  generatedAt: Date;
}

/** A selector over more clusters than this is refused: plan a fleet in parts. */
const MAX_CLUSTERS = 100;

@Injectable()
export class MeshAdoptionService {
  constructor(
    private readonly clusters: ClustersService,
    private readonly health: HealthRepository,
  ) {}

  async plan(organizationId: string, req: MeshAdoptionRequest): Promise<ClusterAdoptionPlan[]> {
    const namespaces = [...new Set(req.namespaces ?? [])];
    const workloads = req.workloads ?? [];
    if (!namespaces.length && !workloads.length)
      throw new ValidationError('Name at least one namespace or workload', 'namespaces');
    if (
      req.batchSize != null &&
      !(Number.isInteger(req.batchSize) && req.batchSize >= 1 && req.batchSize <= MAX_BATCH_SIZE)
    )
      throw new ValidationError(`batchSize must be between 1 and ${MAX_BATCH_SIZE}`, 'batchSize');
    const targets = await this.targets(organizationId, req);
    const out: ClusterAdoptionPlan[] = [];
    for (const cluster of targets) {
      const h = await this.health.latest(organizationId, cluster.id);
      const report = h ? (h.report as unknown as HealthReport) : null;
      if (!h || !report)
        throw new FailedPreconditionError(`Cluster ${cluster.name} has sent no health report yet`, {
          reason: 'NO_REPORT',
          clusterId: cluster.id,
        });
      const facts = report.adoption ?? null;
      if (!facts)
        throw new FailedPreconditionError(
          `The agent of ${cluster.name} does not report adoption facts: upgrade it to plan mesh adoption`,
          { reason: 'NO_ADOPTION_FACTS', clusterId: cluster.id },
        );
      const nsFacts = adoptionNamespaceFacts(report);
      for (const ns of [...namespaces, ...workloads.map((w) => w.namespace)]) {
        const refusal = namespaceRefusal(ns, nsFacts, { mustBeListed: true });
        if (refusal)
          throw new ValidationError(`${cluster.name}: ${refusal.message}`, 'namespaces', {
            reason: refusal.code,
            namespace: ns,
            clusterId: cluster.id,
          });
      }
      for (const w of workloads) {
        const known = facts.namespaces
          .find((n) => n.name === w.namespace)
          ?.workloads.some((x) => x.kind === w.kind && x.name === w.name);
        if (!known)
          throw new ValidationError(
            `${cluster.name}: ${w.kind} ${w.namespace}/${w.name} is not in the last report`,
            'workloads',
            { reason: 'UNKNOWN_WORKLOAD', clusterId: cluster.id },
          );
      }
      const plan = planMeshAdoption(
        facts,
        { namespaces, workloads, batchSize: req.batchSize ?? null },
        { linkerdVersion: report.linkerd.version },
      );
      out.push({
        ...plan,
        blockers: plan.clusterReasons.filter((r) => r.severity === 'BLOCKER'),
        warnings: plan.clusterReasons.filter((r) => r.severity !== 'BLOCKER'),
        clusterId: cluster.id,
        clusterName: cluster.name,
        generatedAt: h.generatedAt,
      });
    }
    return out;
  }

  private async targets(organizationId: string, req: MeshAdoptionRequest): Promise<Cluster[]> {
    if ((req.clusterId ? 1 : 0) + (req.selector ? 1 : 0) !== 1)
      throw new ValidationError('Give either clusterId or selector', 'clusterId');
    if (req.clusterId) return [await this.clusters.get(organizationId, req.clusterId)];
    const page = await this.clusters.list(organizationId, req.selector!, MAX_CLUSTERS, null);
    if (page.hasNextPage)
      throw new ValidationError(`The selector matches more than ${MAX_CLUSTERS} clusters`, 'selector');
    if (!page.items.length) throw new ValidationError('The selector matches no cluster', 'selector');
    return page.items;
  }
}
