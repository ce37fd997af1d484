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
  LABEL_EXTENSION,
  linkerdInfo,
  mtlsStatus,
  runChecks,
} from '@meshfleet/linkerd';
import type { DriftMonitor } from '../drift/drift-monitor';
import { podMeshFindings, withPodMesh } from '../drift/pod-mesh-drift';
import type { KubeAccess } from '../kube/kube-access';
import type { GitopsSourceReader } from './gitops-source-reader';
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
  /** The owning Application / HelmRelease's status; reports carry `gitops.source: null` without it. */
  gitopsSource?: Pick<GitopsSourceReader, 'read'>;
  /**
   * multicluster's `Link` objects (namespace/name), read while a multicluster namespace exists;
   * undefined when not served or not granted (the report then says null).
   */
  links?: () => Promise<string[] | undefined>;
}

const hasMulticluster = (s: { namespaces: Array<{ metadata?: { labels?: Record<string, string> } }> }) =>
  s.namespaces.some((n) => n.metadata?.labels?.[LABEL_EXTENSION] === 'multicluster');

/**
 * What a build fetched over the network (proxy scrapes, metrics, drift, the GitOps source, Links),
 * kept for quick builds.
 */
interface NetworkFacts {
  scraped: Awaited<ReturnType<ProxyScraper['scrape']>>;
  resources: Awaited<ReturnType<ResourceCollector['collect']>> | null;
  drift: Awaited<ReturnType<DriftMonitor['current']>>;
  source: Awaited<ReturnType<GitopsSourceReader['read']>> | null;
  links: string[] | undefined;
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
    const owner = gitopsOwnerOfLinkerd(snapshot, cp);
    // Everything that waits on the API server (proxy scrapes, the metrics.k8s.io list, drift
    // reads, the GitOps source) runs at once: on a large cluster each takes a second or more.
    const scraping = reuse ? Promise.resolve(reuse.scraped) : d.scraper.scrape(snapshot, signal);
    const [checks, certificates, scraped, drift, source, links, resources] = await Promise.all([
      runChecks(snapshot, {
        controlPlaneNamespace: cp,
        vizNamespace: d.vizNamespace,
        certExpiryWarningDays: d.certExpiryWarningDays,
      }),
      certificateInventory(snapshot, { controlPlaneNamespace: cp, vizNamespace: d.vizNamespace }),
      scraping,
      reuse ? reuse.drift : d.drift ? d.drift.current(snapshot.now) : Promise.resolve(null),
      reuse
        ? reuse.source
        : d.gitopsSource
          ? d.gitopsSource.read(snapshot, cp, owner.detected, snapshot.now)
          : Promise.resolve(null),
      reuse
        ? reuse.links
        : d.links && hasMulticluster(snapshot)
          ? d.links().catch(() => undefined)
          : Promise.resolve(undefined),
      reuse
        ? Promise.resolve(reuse.resources)
        : d.resources
          ? d.resources.collect(snapshot, scraping, signal)
          : Promise.resolve(null),
    ]);
    if (!reuse) this.last = { scraped, resources, drift, source, links };
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
      gitops: { ...owner, source },
      drift: drift ? withPodMesh(drift, pods) : null,
      extensions: installedExtensions(snapshot, links ?? null),
    };
    // Validate here too: a contract violation is our bug and should fail loudly in the agent's
    // log, not as a 400 the API has to explain.
    return fitReport(parseOrThrow(HealthReportSchema, input));
  }
}
