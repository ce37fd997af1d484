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

/** What a build fetched over the network (proxy scrapes, metrics, drift), kept for quick builds. */
interface NetworkFacts {
  scraped: Awaited<ReturnType<ProxyScraper['scrape']>>;
  resources: Awaited<ReturnType<ResourceCollector['collect']>> | null;
  drift: Awaited<ReturnType<DriftMonitor['current']>>;
}

export class ReportBuilder {
  private last: NetworkFacts | null = null;

  constructor(private readonly d: ReportBuilderDeps) {}

  /**
   * `quick`: an early report on a health change. Checks, certificates and everything else read
   * from the informer cache are current; the proxy scrapes, resource figures and drift of the last
   * full build are reused rather than fetched again (seconds on a busy cluster, and nothing the
   * verdict turns on). The next full build refreshes them.
   */
  async build(sequence: number, signal?: AbortSignal, opts: { quick?: boolean } = {}): Promise<HealthReport> {
    const { d } = this;
    const reuse = opts.quick ? this.last : null;
    if (!reuse) await d.kube.refreshServerVersion();
    const snapshot = d.kube.snapshot(new Date());
    const cp = d.controlPlaneNamespace;
    const [checks, certificates, scraped, drift] = await Promise.all([
      runChecks(snapshot, {
        controlPlaneNamespace: cp,
        vizNamespace: d.vizNamespace,
        certExpiryWarningDays: d.certExpiryWarningDays,
      }),
      certificateInventory(snapshot, { controlPlaneNamespace: cp, vizNamespace: d.vizNamespace }),
      reuse ? reuse.scraped : d.scraper.scrape(snapshot, signal),
      reuse ? reuse.drift : d.drift ? d.drift.current(snapshot.now) : Promise.resolve(null),
    ]);
    const resources = reuse
      ? reuse.resources
      : d.resources
        ? await d.resources.collect(snapshot, scraped, signal)
        : null;
    if (!reuse) this.last = { scraped, resources, drift };
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
