// gitopsExport: the selected clusters' Linkerd as Argo CD or Flux files, from what Meshfleet
// knows of each (the latest report's release and HA, the identity domain's trust domain and
// public anchor bundle). Clusters without Linkerd are listed as skipped, with the reason.
import { Injectable } from '@nestjs/common';
import { HealthReport } from '@meshfleet/agent-protocol';
import { FailedPreconditionError, NotFoundError, ValidationError } from '@meshfleet/core';
import { CloudProvider } from '@meshfleet/db';
import { ClustersService } from '@meshfleet/clusters';
import {
  exportGitopsTree,
  GITOPS_FORMATS,
  type GitopsCluster,
  type GitopsFormat,
  type GitopsTree,
} from '@meshfleet/linkerd';
import { ExportRow, GitopsExportRepository } from './gitops-export.repository';

/** More clusters than this in one tree is a request to narrow the selector. */
export const GITOPS_EXPORT_MAX_CLUSTERS = 100;

export interface GitopsExportRequest {
  clusterId?: string | null;
  selector?: {
    provider?: CloudProvider | null;
    region?: string | null;
    labelSelector?: string | null;
    clusterIds?: string[] | null;
  } | null;
  format: string;
}

export interface GitopsExportResult extends GitopsTree {
  format: GitopsFormat;
  clusters: { id: string; name: string; version: string }[];
  skipped: { clusterId: string; clusterName: string; code: string; reason: string }[];
}

function exportedCluster(row: ExportRow): GitopsCluster | { code: string; reason: string } {
  const report = row.report as unknown as HealthReport | null;
  if (!report)
    return { code: 'NO_REPORT', reason: 'The agent has not reported yet: the installed release is unknown' };
  if (!report.linkerd.installed || !report.linkerd.version)
    return { code: 'NOT_INSTALLED', reason: 'Linkerd is not installed: there is no release to export' };
  const viz = report.checks?.categories?.some((c) => c.name === 'linkerd-viz') ?? false;
  return {
    id: row.cluster.id,
    name: row.cluster.name,
    version: report.linkerd.version,
    ha: report.linkerd.ha ?? false,
    trustDomain: row.domain?.trustDomain ?? 'cluster.local',
    trustAnchorsPem: row.domain?.anchorCertPem ?? null,
    controlPlaneNamespace: report.linkerd.controlPlaneNamespace ?? 'linkerd',
    extensions: viz ? ['viz'] : [],
    vizPrometheusUrl: report.extensions?.find((e) => e.name === 'viz')?.prometheusUrl ?? null,
  };
}

@Injectable()
export class GitopsExportService {
  constructor(
    private readonly repo: GitopsExportRepository,
    private readonly clusters: ClustersService,
  ) {}

  async export(organizationId: string, req: GitopsExportRequest): Promise<GitopsExportResult> {
    const format = req.format as GitopsFormat;
    if (!GITOPS_FORMATS.includes(format))
      throw new ValidationError(
        `format "${req.format}" is not one of ${GITOPS_FORMATS.join(', ')}`,
        'format',
        {
          reason: 'UNKNOWN_FORMAT',
        },
      );
    if (req.clusterId && req.selector)
      throw new ValidationError('Give clusterId or selector, not both', 'selector');
    if (!req.clusterId && !req.selector)
      throw new ValidationError('clusterId or selector is required', 'clusterId');
    const sel = req.selector ?? {};
    const filter = this.clusters.listFilter(sel);
    const ids = req.clusterId ? [req.clusterId] : (sel.clusterIds ?? []);
    const rows = await this.repo.select(organizationId, filter, ids, GITOPS_EXPORT_MAX_CLUSTERS);
    if (req.clusterId && !rows.length) throw new NotFoundError('Cluster', req.clusterId);
    if (!rows.length)
      throw new ValidationError('The selector matches no cluster', 'selector', {
        reason: 'NO_CLUSTERS_MATCHED',
      });
    if (rows.length > GITOPS_EXPORT_MAX_CLUSTERS)
      throw new ValidationError(
        `The selector matches more than ${GITOPS_EXPORT_MAX_CLUSTERS} clusters; narrow it`,
        'selector',
        { reason: 'TOO_MANY_CLUSTERS' },
      );
    const exported: GitopsCluster[] = [];
    const skipped: GitopsExportResult['skipped'] = [];
    for (const row of rows) {
      const c = exportedCluster(row);
      if ('code' in c) skipped.push({ clusterId: row.cluster.id, clusterName: row.cluster.name, ...c });
      else exported.push(c);
    }
    if (!exported.length)
      throw new FailedPreconditionError(
        `Nothing to export: ${skipped.map((s) => `${s.clusterName}: ${s.reason}`).join('; ')}`,
        { reason: skipped.length === 1 ? skipped[0]!.code : 'NOTHING_TO_EXPORT' },
      );
    const tree = exportGitopsTree(exported, format);
    return {
      ...tree,
      format,
      clusters: exported.map((c) => ({ id: c.id, name: c.name, version: c.version })),
      skipped,
    };
  }
}
