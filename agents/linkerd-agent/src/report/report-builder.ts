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
  gitopsOwnerOfLinkerd,
  installedExtensions,
  linkerdInfo,
  mtlsStatus,
  runChecks,
} from '@meshfleet/linkerd';
import type { DriftMonitor } from '../drift/drift-monitor';
import { podMeshFindings, withPodMesh } from '../drift/pod-mesh-drift';
import type { KubeAccess } from '../kube/kube-access';
import type { ProxyScraper } from './proxy-scraper';
import type { ResourceCollector } from './resource-collector';
import { fitReport } from './trim-report';

export interface ReportBuilderDeps {
  kube: Pick<KubeAccess, 'snapshot' | 'refreshServerVersion'>;
  scraper: Pick<ProxyScraper, 'scrape'>;
  /** Proxy and control-plane CPU/memory; without it reports carry `resources: null`. */
  resources?: Pick<ResourceCollector, 'collect'>;
  agentVersion: string;
  controlPlaneNamespace: string;
  vizNamespace: string;
  certExpiryWarningDays: number;
  /** Drift from the last applied release; reports carry null without it. */
  drift?: Pick<DriftMonitor, 'current'>;
}

export class ReportBuilder {
  constructor(private readonly d: ReportBuilderDeps) {}

  async build(sequence: number, signal?: AbortSignal): Promise<HealthReport> {
    const { d } = this;
    await d.kube.refreshServerVersion();
    const snapshot = d.kube.snapshot(new Date());
    const cp = d.controlPlaneNamespace;
    // Everything that waits on the API server (proxy scrapes, the metrics.k8s.io list, drift
    // reads) runs at once: on a large cluster each takes a second or more.
    const scraping = d.scraper.scrape(snapshot, signal);
    const [checks, certificates, scraped, drift, resources] = await Promise.all([
      runChecks(snapshot, {
        controlPlaneNamespace: cp,
        vizNamespace: d.vizNamespace,
        certExpiryWarningDays: d.certExpiryWarningDays,
      }),
      certificateInventory(snapshot, { controlPlaneNamespace: cp, vizNamespace: d.vizNamespace }),
      scraping,
      d.drift ? d.drift.current(snapshot.now) : Promise.resolve(null),
      d.resources ? d.resources.collect(snapshot, scraping, signal) : Promise.resolve(null),
    ]);
    const mtls = mtlsStatus(snapshot, scraped, { controlPlaneNamespace: cp });
    const linkerd = linkerdInfo(snapshot, cp);
    const pods = drift
      ? podMeshFindings({
          controlPlaneVersion: linkerd.version,
          mtls,
          namespaces: snapshot.namespaces,
          workloads: [
            { kind: 'Deployment', items: snapshot.deployments },
            { kind: 'DaemonSet', items: snapshot.daemonSets },
            { kind: 'StatefulSet', items: snapshot.statefulSets ?? [] },
          ],
        })
      : [];
    const input: HealthReportInput = {
      sequence,
      generatedAt: snapshot.now.toISOString(),
      agentVersion: d.agentVersion,
      kubernetesVersion: snapshot.kubernetesVersion,
      linkerd,
      checks,
      certificates,
      mtls,
      adoption: adoptionFacts(snapshot, { controlPlaneNamespace: cp }),
      resources,
      gitops: gitopsOwnerOfLinkerd(snapshot, cp),
      drift: drift ? withPodMesh(drift, pods) : null,
      extensions: installedExtensions(snapshot),
    };
    // Validate here too: a contract violation is our bug and should fail loudly in the agent's
    // log, not as a 400 the API has to explain.
    return fitReport(parseOrThrow(HealthReportSchema, input));
  }
}
