import { Injectable } from '@nestjs/common';
import { HealthReport } from '@meshfleet/agent-protocol';
import { deriveHealth } from '@meshfleet/linkerd';
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
    receivedAt = new Date(),
  ): Promise<{ accepted: boolean }> {
    const derived = deriveHealth(report);
    const accepted = await this.repo.ingest({
      organizationId: target.organizationId,
      clusterId: target.clusterId,
      clusterName: target.clusterName,
      sequence: BigInt(report.sequence),
      generatedAt: new Date(report.generatedAt),
      receivedAt,
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
      agentVersion: report.agentVersion,
      kubernetesVersion: report.kubernetesVersion,
      reportJson: JSON.stringify(report),
    });
    return { accepted };
  }
}
