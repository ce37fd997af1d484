// Writes and fresh reads for lifecycle tasks. Reports read the informer caches; an install must
// see what the API server holds right now (a CRD it just applied, a Deployment's new status), so
// these calls go to the server. Server-side apply under one field manager keeps re-runs converging.
import * as k8s from '@kubernetes/client-node';
import type { ClusterSnapshot } from '@meshfleet/linkerd';
import { LINKERD_RBAC_SELECTORS } from './cluster-informers';
import { podProxyGet, type PodProxyRequest, type PodProxyResponse } from './pod-proxy';

export const FIELD_MANAGER = 'meshfleet-agent';

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

export type AnyObject = k8s.KubernetesObject & Record<string, unknown>;

export class ClusterOps {
  private readonly objects: k8s.KubernetesObjectApi;
  private readonly versionApi: k8s.VersionApi;

  constructor(private readonly kc: k8s.KubeConfig) {
    this.objects = k8s.KubernetesObjectApi.makeApiClient(kc);
    this.versionApi = kc.makeApiClient(k8s.VersionApi);
  }

  /** A GET on a pod's port through the API server (a control-plane admin port, for example). */
  podProxyGet(req: PodProxyRequest): Promise<PodProxyResponse> {
    return podProxyGet(this.kc, req);
  }

  async serverVersion(): Promise<string> {
    return (await this.versionApi.getCode()).gitVersion;
  }

  /** Server-side apply with the agent's field manager, taking over conflicting fields. */
  async apply<T extends k8s.KubernetesObject>(obj: T): Promise<T> {
    return this.objects.patch(
      obj,
      undefined,
      undefined,
      FIELD_MANAGER,
      true,
      k8s.PatchStrategy.ServerSideApply,
    );
  }

  /** What `apply` would make of the object (merge and defaulting), without persisting it. */
  async applyDryRun<T extends k8s.KubernetesObject>(obj: T): Promise<T> {
    return this.objects.patch(obj, undefined, 'All', FIELD_MANAGER, true, k8s.PatchStrategy.ServerSideApply);
  }

  async mergePatch(ref: ObjectRef, patch: Record<string, unknown>): Promise<void> {
    const spec = { apiVersion: ref.apiVersion, kind: ref.kind, metadata: metadataOf(ref), ...patch };
    await this.objects.patch(
      spec,
      undefined,
      undefined,
      FIELD_MANAGER,
      undefined,
      k8s.PatchStrategy.MergePatch,
    );
  }

  /** The object, or null when it (or its kind) does not exist. */
  async get<T extends k8s.KubernetesObject = AnyObject>(ref: ObjectRef): Promise<T | null> {
    try {
      const header = { apiVersion: ref.apiVersion, kind: ref.kind, metadata: metadataOf(ref) };
      return (await this.objects.read(header as Parameters<k8s.KubernetesObjectApi['read']>[0])) as T;
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
  }

  /**
   * The object, or why it cannot be read: its kind is not served (no CRD), it does not exist, or
   * RBAC forbids it. Other errors (the API server unreachable) are thrown.
   */
  async getOrWhy<T extends k8s.KubernetesObject = AnyObject>(
    ref: ObjectRef,
  ): Promise<{ object: T } | { why: 'KIND_NOT_SERVED' | 'NOT_FOUND' | 'FORBIDDEN' }> {
    try {
      const header = { apiVersion: ref.apiVersion, kind: ref.kind, metadata: metadataOf(ref) };
      return {
        object: (await this.objects.read(header as Parameters<k8s.KubernetesObjectApi['read']>[0])) as T,
      };
    } catch (e) {
      const message = e instanceof Error ? e.message : '';
      // The client resolves the kind through discovery first: a 404 there, or a group version
      // without the kind, means the CRD is not installed.
      const discovery = message.startsWith('Failed to fetch resource metadata');
      if (message.startsWith('Unrecognized API version and kind') || (discovery && isNotFound(e)))
        return { why: 'KIND_NOT_SERVED' };
      if (isForbidden(e)) return { why: 'FORBIDDEN' };
      if (isNotFound(e)) return { why: 'NOT_FOUND' };
      throw e;
    }
  }

  async list<T extends k8s.KubernetesObject = AnyObject>(
    apiVersion: string,
    kind: string,
    namespace?: string,
    labelSelector?: string,
    fieldSelector?: string,
  ): Promise<T[]> {
    try {
      const res = await this.objects.list<T>(
        apiVersion,
        kind,
        namespace,
        undefined,
        undefined,
        undefined,
        fieldSelector,
        labelSelector,
      );
      return res.items;
    } catch (e) {
      if (isNotFound(e)) return [];
      throw e;
    }
  }

  /** Like list, but undefined when the kind is not served (404) or not granted (403). */
  async listIfServed<T extends k8s.KubernetesObject = AnyObject>(
    apiVersion: string,
    kind: string,
    namespace?: string,
    labelSelector?: string,
  ): Promise<T[] | undefined> {
    try {
      const res = await this.objects.list<T>(
        apiVersion,
        kind,
        namespace,
        undefined,
        undefined,
        undefined,
        undefined,
        labelSelector,
      );
      return res.items;
    } catch (e) {
      if (isNotFound(e) || isForbidden(e)) return undefined;
      throw e;
    }
  }

  /** Deletes in the background; a missing object counts as deleted. */
  async delete(ref: ObjectRef): Promise<void> {
    try {
      await this.objects.delete(
        { apiVersion: ref.apiVersion, kind: ref.kind, metadata: metadataOf(ref) },
        undefined,
        undefined,
        undefined,
        undefined,
        'Background',
      );
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  /** Secret data decoded to text, or null when the Secret does not exist. */
  async secretText(namespace: string, name: string): Promise<Record<string, string> | null> {
    const s = await this.get<k8s.V1Secret>({ apiVersion: 'v1', kind: 'Secret', namespace, name });
    if (!s) return null;
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(s.data ?? {})) out[k] = Buffer.from(v, 'base64').toString('utf8');
    return out;
  }

  /** What `linkerd check` needs, read from the server now (secrets of the control plane and extensions only). */
  async snapshot(controlPlaneNamespace: string): Promise<ClusterSnapshot> {
    const rbac = async <T extends k8s.KubernetesObject>(kind: string): Promise<T[] | undefined> => {
      const lists = await Promise.all(
        LINKERD_RBAC_SELECTORS.map((sel) =>
          this.listIfServed<T>('rbac.authorization.k8s.io/v1', kind, undefined, sel),
        ),
      );
      if (lists.some((l) => !l)) return undefined;
      const byName = new Map(lists.flatMap((l) => l!).map((o) => [o.metadata?.name, o]));
      return [...byName.values()];
    };
    const [apiServices, serviceAccounts, clusterRoles, clusterRoleBindings, nodes, services] =
      await Promise.all([
        this.listIfServed<k8s.V1APIService>('apiregistration.k8s.io/v1', 'APIService'),
        this.listIfServed<k8s.V1ServiceAccount>('v1', 'ServiceAccount', controlPlaneNamespace),
        rbac<k8s.V1ClusterRole>('ClusterRole'),
        rbac<k8s.V1ClusterRoleBinding>('ClusterRoleBinding'),
        this.list<k8s.V1Node>('v1', 'Node'),
        this.listIfServed<k8s.V1Service>('v1', 'Service'),
      ]);
    const [version, namespaces, pods, deployments, daemonSets, configMaps, secrets, crds, mwc, vwc] =
      await Promise.all([
        this.serverVersion().catch(() => null),
        this.list<k8s.V1Namespace>('v1', 'Namespace'),
        this.list<k8s.V1Pod>('v1', 'Pod'),
        this.list<k8s.V1Deployment>('apps/v1', 'Deployment'),
        this.list<k8s.V1DaemonSet>('apps/v1', 'DaemonSet'),
        this.list<k8s.V1ConfigMap>('v1', 'ConfigMap', controlPlaneNamespace),
        this.list<k8s.V1Secret>('v1', 'Secret', controlPlaneNamespace),
        this.list<k8s.V1CustomResourceDefinition>('apiextensions.k8s.io/v1', 'CustomResourceDefinition'),
        this.list<k8s.V1MutatingWebhookConfiguration>(
          'admissionregistration.k8s.io/v1',
          'MutatingWebhookConfiguration',
        ),
        this.list<k8s.V1ValidatingWebhookConfiguration>(
          'admissionregistration.k8s.io/v1',
          'ValidatingWebhookConfiguration',
        ),
      ]);
    // Extension namespaces' Secrets too: the viz checks read tap's serving certificate.
    const extensionSecrets = await Promise.all(
      namespaces
        .filter(
          (n) => n.metadata?.labels?.['linkerd.io/extension'] && n.metadata.name !== controlPlaneNamespace,
        )
        .map((n) => this.listIfServed<k8s.V1Secret>('v1', 'Secret', n.metadata!.name!)),
    );
    return {
      kubernetesVersion: version,
      namespaces,
      pods,
      deployments,
      daemonSets,
      configMaps,
      secrets: [...secrets, ...extensionSecrets.flatMap((l) => l ?? [])],
      crds,
      mutatingWebhooks: mwc,
      validatingWebhooks: vwc,
      apiServices,
      serviceAccounts,
      clusterRoles,
      clusterRoleBindings,
      nodes,
      services,
      now: new Date(),
    };
  }
}

function metadataOf(ref: ObjectRef): { name: string; namespace?: string } {
  return ref.namespace ? { name: ref.name, namespace: ref.namespace } : { name: ref.name };
}

export function isNotFound(e: unknown): boolean {
  return !!e && typeof e === 'object' && 'code' in e && e.code === 404;
}

function isForbidden(e: unknown): boolean {
  return !!e && typeof e === 'object' && 'code' in e && e.code === 403;
}
