// Level-triggered: a report is always built from the current cache contents, never from a diff
// of events, so a missed or coalesced event cannot leave the API with a stale picture.
import {
  HealthReportSchema,
  parseOrThrow,
  type HealthReport,
  type HealthReportInput,
} from '@meshfleet/agent-protocol';
import {
  adoptionFacts,
  certificateInventory,
  installedExtensions,
  linkerdInfo,
  mtlsStatus,
  runChecks,
} from '@meshfleet/linkerd';
import type { KubeAccess } from '../kube/kube-access';
import type { ProxyScraper } from './proxy-scraper';
import { fitReport } from './trim-report';

export interface ReportBuilderDeps {
  kube: Pick<KubeAccess, 'snapshot' | 'refreshServerVersion'>;
  scraper: Pick<ProxyScraper, 'scrape'>;
  agentVersion: string;
  controlPlaneNamespace: string;
  vizNamespace: string;
  certExpiryWarningDays: number;
}

export class ReportBuilder {
  constructor(private readonly d: ReportBuilderDeps) {}

  async build(sequence: number, signal?: AbortSignal): Promise<HealthReport> {
    const { d } = this;
    await d.kube.refreshServerVersion();
    const snapshot = d.kube.snapshot(new Date());
    const cp = d.controlPlaneNamespace;
    const [checks, certificates, scraped] = await Promise.all([
      runChecks(snapshot, {
        controlPlaneNamespace: cp,
        vizNamespace: d.vizNamespace,
        certExpiryWarningDays: d.certExpiryWarningDays,
      }),
      certificateInventory(snapshot, { controlPlaneNamespace: cp, vizNamespace: d.vizNamespace }),
      d.scraper.scrape(snapshot, signal),
    ]);
    const input: HealthReportInput = {
      sequence,
      generatedAt: snapshot.now.toISOString(),
      agentVersion: d.agentVersion,
      kubernetesVersion: snapshot.kubernetesVersion,
      linkerd: linkerdInfo(snapshot, cp),
      checks,
      certificates,
      mtls: mtlsStatus(snapshot, scraped, { controlPlaneNamespace: cp }),
      adoption: adoptionFacts(snapshot, { controlPlaneNamespace: cp }),
      extensions: installedExtensions(snapshot),
    };
    // Validate here too: a contract violation is our bug and should fail loudly in the agent's
    // log, not as a 400 the API has to explain.
    return fitReport(parseOrThrow(HealthReportSchema, input));
  }
}
