// The agent's one door to Kubernetes: starts every informer, waits for them to sync, and hands
// out read-only snapshots of the caches. Nothing else in the agent talks to the API server
// except through this façade (the pod proxy and the agent's own Secret included).
import * as k8s from '@kubernetes/client-node';
import type { ClusterFacts } from '@meshfleet/agent-protocol';
import { detectProvider, detectRegion, type ClusterSnapshot } from '@meshfleet/linkerd';
import type { Logger } from 'pino';
import {
  allInformers,
  createClusterInformers,
  optionalList,
  type ClusterInformers,
} from './cluster-informers';
import { loadKubeConfig, type KubeConfigSource } from './kube-config';
import { errorMessage } from '../util/errors';
import {
  apiGet,
  closeApiConnections,
  podProxyGet,
  type PodProxyRequest,
  type PodProxyResponse,
} from './pod-proxy';
import { ClusterOps } from './cluster-ops';

export interface KubeAccessOptions extends KubeConfigSource {
  /** Namespaces whose ConfigMaps, Secrets and ServiceAccounts are cached (control plane, viz). */
  linkerdNamespaces: string[];
}

export type SecretReadResult =
  | { status: 'found'; data: Record<string, string> }
  | { status: 'missing' }
  | { status: 'unavailable'; reason: string };

export class KubeAccess {
  readonly kc: k8s.KubeConfig;
  readonly inCluster: boolean;
  /** Fresh reads and server-side apply for lifecycle tasks (not cached). */
  readonly ops: ClusterOps;
  private readonly informers: ClusterInformers;
  private readonly core: k8s.CoreV1Api;
  private readonly versionApi: k8s.VersionApi;
  private readonly listeners = new Set<(resource: string) => void>();
  private serverVersion: string | null = null;

  constructor(
    options: KubeAccessOptions,
    private readonly log: Logger,
  ) {
    const { kc, inCluster } = loadKubeConfig(options);
    this.kc = kc;
    this.inCluster = inCluster;
    this.core = kc.makeApiClient(k8s.CoreV1Api);
    this.versionApi = kc.makeApiClient(k8s.VersionApi);
    this.ops = new ClusterOps(kc);
    this.informers = createClusterInformers(kc, [...new Set(options.linkerdNamespaces)], log, (r) =>
      this.listeners.forEach((l) => l(r)),
    );
  }

  /** Called on every add/update/delete of a report-relevant object. */
  onChange(listener: (resource: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(): void {
    for (const i of allInformers(this.informers)) i.start();
  }

  get synced(): boolean {
    return allInformers(this.informers).every((i) => i.synced);
  }

  /** Resolves when every informer has synced, or when `signal` aborts (then returns false). */
  async waitForSync(signal?: AbortSignal): Promise<boolean> {
    const all = Promise.all(allInformers(this.informers).map((i) => i.waitForSync()));
    if (!signal) {
      await all;
      return true;
    }
    const aborted = new Promise<void>((r) => signal.addEventListener('abort', () => r(), { once: true }));
    await Promise.race([all, aborted]);
    return !signal.aborted && this.synced;
  }

  async stop(): Promise<void> {
    await Promise.all(allInformers(this.informers).map((i) => i.stop()));
    closeApiConnections(this.kc);
  }

  /** `gitVersion` of the API server, refreshed on every call; null when it cannot be reached. */
  async refreshServerVersion(): Promise<string | null> {
    try {
      const v = await this.versionApi.getCode();
      this.serverVersion = v.gitVersion;
    } catch (e) {
      this.log.warn({ err: errorMessage(e) }, 'cannot read the Kubernetes server version');
      this.serverVersion = null;
    }
    return this.serverVersion;
  }

  get kubernetesVersion(): string | null {
    return this.serverVersion;
  }

  /** A cached pod (read-only), or undefined when the cache does not know it. */
  pod(namespace: string, name: string): k8s.V1Pod | undefined {
    return this.informers.pods.get(name, namespace);
  }

  nodes(): ReadonlyArray<k8s.V1Node> {
    return this.informers.nodes.list();
  }

  /** Plain arrays over the cached objects; the objects themselves are shared and never mutated. */
  snapshot(now = new Date()): ClusterSnapshot {
    const i = this.informers;
    return {
      kubernetesVersion: this.serverVersion,
      namespaces: [...i.namespaces.list()],
      pods: [...i.pods.list()],
      deployments: [...i.deployments.list()],
      daemonSets: [...i.daemonSets.list()],
      configMaps: i.configMaps.flatMap((c) => [...c.list()]),
      secrets: i.secrets.flatMap((s) => [...s.list()]),
      crds: [...i.crds.list()],
      mutatingWebhooks: [...i.mutatingWebhooks.list()],
      validatingWebhooks: [...i.validatingWebhooks.list()],
      // Absent (not empty) when unserved or forbidden: the checks reading them skip, not fail.
      apiServices: optionalList([i.apiServices]),
      serviceAccounts: optionalList(i.serviceAccounts),
      clusterRoles: optionalList(i.clusterRoles),
      clusterRoleBindings: optionalList(i.clusterRoleBindings),
      nodes: [...i.nodes.list()],
      services: optionalList([i.services]),
      statefulSets: optionalList([i.statefulSets]),
      jobs: optionalList([i.jobs]),
      cronJobs: optionalList([i.cronJobs]),
      podDisruptionBudgets: optionalList([i.podDisruptionBudgets]),
      now,
    };
  }

  clusterFacts(): ClusterFacts {
    const nodes = [...this.nodes()];
    const info = nodes[0]?.status?.nodeInfo;
    const clip = (s: string | undefined) => (s ? s.slice(0, 256) : undefined);
    const platform = info
      ? {
          ...(info.containerRuntimeVersion ? { containerRuntime: clip(info.containerRuntimeVersion) } : {}),
          ...(info.osImage ? { osImage: clip(info.osImage) } : {}),
          ...(info.architecture ? { architecture: clip(info.architecture) } : {}),
          ...(info.kubeletVersion ? { kubeletVersion: clip(info.kubeletVersion) } : {}),
        }
      : undefined;
    return {
      kubernetesVersion: this.serverVersion ?? 'unknown',
      provider: detectProvider(nodes),
      nodeCount: nodes.length,
      region: detectRegion(nodes),
      ...(platform ? { platform } : {}),
    };
  }

  podProxyGet(req: PodProxyRequest): Promise<PodProxyResponse> {
    return podProxyGet(this.kc, req);
  }

  /** GET of an API path with a timeout and a body cap (metrics.k8s.io PodMetrics lists). */
  apiGet(
    path: string,
    req: Pick<PodProxyRequest, 'timeoutMs' | 'maxBytes' | 'signal'>,
  ): Promise<PodProxyResponse> {
    return apiGet(this.kc, path, req);
  }

  async readSecret(namespace: string, name: string): Promise<SecretReadResult> {
    try {
      const s = await this.core.readNamespacedSecret({ namespace, name });
      const data: Record<string, string> = {};
      for (const [k, v] of Object.entries(s.data ?? {})) data[k] = Buffer.from(v, 'base64').toString('utf8');
      return { status: 'found', data };
    } catch (e) {
      const code = apiCode(e);
      if (code === 404) return { status: 'missing' };
      return { status: 'unavailable', reason: code ? `HTTP ${code}` : errorMessage(e) };
    }
  }

  /** Merge-patches string values into the Secret's data (base64-encoded on the way). */
  async patchSecretData(namespace: string, name: string, values: Record<string, string>): Promise<void> {
    const data: Record<string, string> = {};
    for (const [k, v] of Object.entries(values)) data[k] = Buffer.from(v, 'utf8').toString('base64');
    await this.core.patchNamespacedSecret(
      { namespace, name, body: { data } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
  }
}

function apiCode(e: unknown): number | undefined {
  return e && typeof e === 'object' && 'code' in e && typeof e.code === 'number' ? e.code : undefined;
}
