// mTLS status per namespace and workload: running vs meshed pods, injection, proxy versions,
// stale trust bundles, plus traffic coverage from scraped proxy metrics.
import type { V1Pod } from '@kubernetes/client-node';
import type { InjectionSetting, MtlsStatus, NamespaceMtls, WorkloadMtls } from '@meshfleet/agent-protocol';
import { LIMITS } from '@meshfleet/agent-protocol';
import { findNamespace } from '../cluster/objects';
import { allContainersReady, isMeshed, isRunning, podKey, proxyVersion } from '../cluster/pods';
import { workloadOf } from '../cluster/workloads';
import { locateTrustAnchors } from '../certificates/identity-material';
import { DEFAULT_CONTROL_PLANE_NAMESPACE, LABEL_EXTENSION, SYSTEM_NAMESPACES } from '../constants';
import { parsePrometheusText } from '../metrics/prometheus-text';
import { combineTraffic, podTraffic } from '../metrics/traffic-coverage';
import type { ClusterSnapshot } from '../snapshot';
import { versionHistogram } from './histogram';
import { injectionFrom } from './injection';
import { isTrustBundleStale, trustBundleDigests } from './trust-bundle';

export interface PodMetricsScrape {
  namespace: string;
  pod: string;
  /** The proxy's /metrics body (Prometheus text format). */
  text: string;
}

export interface ScrapedMetrics {
  scrapes: PodMetricsScrape[];
  errors?: Array<{ namespace: string; pod: string; message: string }>;
  /** Only a sample of meshed pods was scraped. */
  sampled?: boolean;
}

export interface MtlsOptions {
  controlPlaneNamespace?: string;
  /** Extra namespaces left out of coverage (kube-system & co., the control plane and extensions always are). */
  excludeNamespaces?: string[];
}

function excludedNamespaces(s: ClusterSnapshot, cpNs: string, extra: string[]): Set<string> {
  const out = new Set<string>([...SYSTEM_NAMESPACES, cpNs, ...extra]);
  for (const ns of s.namespaces) if (ns.metadata?.labels?.[LABEL_EXTENSION]) out.add(ns.metadata.name ?? '');
  return out;
}

/** Pods that count for coverage: running, in the pod network, outside infrastructure namespaces. */
export function coveragePods(s: ClusterSnapshot, options: MtlsOptions = {}): V1Pod[] {
  const excluded = excludedNamespaces(
    s,
    options.controlPlaneNamespace ?? DEFAULT_CONTROL_PLANE_NAMESPACE,
    options.excludeNamespaces ?? [],
  );
  return s.pods.filter(
    (p) => isRunning(p) && !p.spec?.hostNetwork && !excluded.has(p.metadata?.namespace ?? ''),
  );
}

function workloadInjection(
  s: ClusterSnapshot,
  ns: string,
  pods: V1Pod[],
  fallback: InjectionSetting,
): InjectionSetting {
  const ref = workloadOf(pods[0]!);
  const owner =
    ref.kind === 'Deployment'
      ? s.deployments.find((d) => d.metadata?.namespace === ns && d.metadata?.name === ref.name)
      : ref.kind === 'DaemonSet'
        ? s.daemonSets.find((d) => d.metadata?.namespace === ns && d.metadata?.name === ref.name)
        : undefined;
  return (
    injectionFrom(owner?.spec?.template?.metadata?.annotations) ??
    injectionFrom(owner?.metadata?.annotations) ??
    injectionFrom(pods[0]?.metadata?.annotations) ??
    fallback
  );
}

function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    const list = m.get(k);
    if (list) list.push(it);
    else m.set(k, [it]);
  }
  return m;
}

export function mtlsStatus(
  snapshot: ClusterSnapshot,
  scraped?: ScrapedMetrics | null,
  options: MtlsOptions = {},
): MtlsStatus {
  const cpNs = options.controlPlaneNamespace ?? DEFAULT_CONTROL_PLANE_NAMESPACE;
  const pods = coveragePods(snapshot, options);
  const bundle = locateTrustAnchors(snapshot, cpNs)?.pem ?? null;
  const digests = bundle ? trustBundleDigests(bundle) : null;
  const isStale = (p: V1Pod) =>
    bundle !== null && isMeshed(p) && isTrustBundleStale(p, bundle, digests!) === true;

  const byNamespace = groupBy(pods, (p) => p.metadata?.namespace ?? '');
  // Namespaces that ask for injection but run nothing yet are still worth showing.
  const excluded = excludedNamespaces(snapshot, cpNs, options.excludeNamespaces ?? []);
  for (const ns of snapshot.namespaces) {
    const name = ns.metadata?.name ?? '';
    if (!excluded.has(name) && injectionFrom(ns.metadata?.annotations) && !byNamespace.has(name))
      byNamespace.set(name, []);
  }

  // Pod names are listed up to a per-report budget, so a report stays small on any cluster.
  let podBudget: number = LIMITS.podsListed;
  const namespaces: NamespaceMtls[] = [...byNamespace.keys()].sort().map((name) => {
    const nsPods = byNamespace.get(name)!;
    const injection = injectionFrom(findNamespace(snapshot, name)?.metadata?.annotations) ?? 'unset';
    const byWorkload = groupBy(nsPods, (p) => {
      const w = workloadOf(p);
      return `${w.kind}/${w.name}`;
    });
    const workloads: WorkloadMtls[] = [...byWorkload.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([, wPods]) => {
        const ref = workloadOf(wPods[0]!);
        const meshed = wPods.filter(isMeshed);
        const listed = [...wPods]
          .sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''))
          .slice(0, Math.min(LIMITS.podsPerWorkload, podBudget));
        podBudget -= listed.length;
        return {
          kind: ref.kind,
          name: ref.name.slice(0, LIMITS.shortString),
          injection: workloadInjection(snapshot, name, wPods, injection),
          totalPods: wPods.length,
          meshedPods: meshed.length,
          proxyVersions: versionHistogram(meshed.map(proxyVersion)),
          pods: listed.map((p) => ({
            name: (p.metadata?.name ?? '?').slice(0, LIMITS.shortString),
            ready: allContainersReady(p),
            proxyVersion: isMeshed(p) ? (proxyVersion(p)?.slice(0, LIMITS.shortString) ?? null) : null,
          })),
          podsTruncated: listed.length < wPods.length,
        };
      });
    const meshed = nsPods.filter(isMeshed);
    const stale = meshed.filter(isStale);
    return {
      name,
      injection,
      totalPods: nsPods.length,
      meshedPods: meshed.length,
      workloads: workloads.slice(0, LIMITS.workloadsPerNamespace),
      workloadsTruncated: workloads.length > LIMITS.workloadsPerNamespace,
      proxyVersions: versionHistogram(meshed.map(proxyVersion)),
      staleTrustBundlePods: stale.length,
      staleTrustBundlePodNames: stale.slice(0, LIMITS.stalePodsListed).map((p) => p.metadata?.name ?? ''),
    };
  });

  const meshedPods = pods.filter(isMeshed).length;
  const { trafficCoverage, scrapeErrors } = traffic(snapshot, scraped);
  return {
    namespaces: namespaces.slice(0, LIMITS.namespaces),
    namespacesTruncated: namespaces.length > LIMITS.namespaces,
    totalPods: pods.length,
    meshedPods,
    podCoverage: pods.length > 0 ? meshedPods / pods.length : null,
    trafficCoverage,
    sampled: scraped?.sampled === true,
    scrapeErrors,
  };
}

function traffic(snapshot: ClusterSnapshot, scraped: ScrapedMetrics | null | undefined) {
  const scrapeErrors = (scraped?.errors ?? []).map((e) => ({ ...e, message: e.message.slice(0, 1000) }));
  const podsByKey = new Map(snapshot.pods.map((p) => [podKey(p), p]));
  const perPod = [];
  for (const scrape of scraped?.scrapes ?? []) {
    const parsed = parsePrometheusText(scrape.text);
    if (parsed.samples.length === 0 && parsed.errors.length > 0) {
      scrapeErrors.push({
        namespace: scrape.namespace,
        pod: scrape.pod,
        message: `unparseable metrics: ${parsed.errors[0]}`,
      });
      continue;
    }
    perPod.push(podTraffic(parsed.samples, podsByKey.get(`${scrape.namespace}/${scrape.pod}`), snapshot.now));
  }
  return {
    trafficCoverage: combineTraffic(perPod),
    scrapeErrors: scrapeErrors.slice(0, LIMITS.scrapeErrors),
  };
}
