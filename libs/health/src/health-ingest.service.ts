import { Injectable } from '@nestjs/common';
import { HealthReport } from '@meshfleet/agent-protocol';
import { deriveHealth } from '@meshfleet/linkerd';
import { Db, Prisma } from '@meshfleet/db';
import { recordDomainEvent } from '@meshfleet/events';
import { HealthRepository } from './health.repository';

export interface IngestTarget {
  organizationId: string;
  clusterId: string;
  clusterName: string;
}

/**
 * Stores an agent's report as the cluster's latest snapshot plus one time-series sample.
 * Idempotent by sequence: a retried or reordered older report changes nothing.
 */
@Injectable()
export class HealthIngestService {
  constructor(private readonly repo: HealthRepository) {}

  async ingest(
    target: IngestTarget,
    report: HealthReport,
    touchCluster: (db: Db) => Promise<void>,
  ): Promise<{ accepted: boolean }> {
    const derived = deriveHealth(report);
    return this.repo.transaction(async (db) => {
      const previous = await this.repo.lockLatest(db, target.clusterId);
      const sequence = BigInt(report.sequence);
      if (previous && previous.sequence >= sequence) return { accepted: false };
      const row = {
        organizationId: target.organizationId,
        clusterId: target.clusterId,
        sequence,
        generatedAt: new Date(report.generatedAt),
        status: derived.status,
        linkerdInstalled: report.linkerd.installed,
        controlPlaneVersion: derived.controlPlaneVersion,
        podCoverage: derived.podCoverage,
        trafficCoverage: derived.trafficCoverage,
        meshedPods: report.mtls.meshedPods,
        totalPods: report.mtls.totalPods,
        errorCount: derived.errorCount,
        warningCount: derived.warningCount,
        earliestCertExpiry: derived.earliestCertificateExpiry
          ? new Date(derived.earliestCertificateExpiry.notAfter)
          : null,
        report: report as unknown as Prisma.InputJsonValue,
      };
      await this.repo.saveLatest(db, row);
      await this.repo.appendSample(db, row);
      await touchCluster(db);
      if (previous?.status !== derived.status) {
        await recordDomainEvent(db, target.organizationId, 'cluster.health_changed', target.clusterId, {
          clusterName: target.clusterName,
          from: previous?.status ?? null,
          to: derived.status,
        });
      }
      return { accepted: true };
    });
  }
}
