// The objects of an extension in the cluster, found by `linkerd.io/extension=<name>` as
// `linkerd <ext> uninstall` and `linkerd <ext> prune` find them: the cluster-scoped kinds, the
// namespaced kinds in every namespace (the kube-system RoleBinding, allow-scrapes policies in
// application namespaces) and the extension's Namespace itself.
import { LABEL_EXTENSION } from '@meshfleet/linkerd';
import type { AnyObject, ClusterOps, ObjectRef } from '../../kube/cluster-ops';
import { lifecycleFailure, type LifecycleFailureCode } from './lifecycle-failure';

/** [apiVersion, kind], in the order uninstall deletes them: webhooks first, so nothing new is injected. */
export const EXTENSION_KINDS: ReadonlyArray<readonly [string, string]> = [
  ['admissionregistration.k8s.io/v1', 'MutatingWebhookConfiguration'],
  ['admissionregistration.k8s.io/v1', 'ValidatingWebhookConfiguration'],
  ['apiregistration.k8s.io/v1', 'APIService'],
  ['policy.linkerd.io/v1alpha1', 'AuthorizationPolicy'],
  ['policy.linkerd.io/v1beta3', 'HTTPRoute'],
  ['policy.linkerd.io/v1beta3', 'Server'],
  ['policy.linkerd.io/v1alpha1', 'MeshTLSAuthentication'],
  ['policy.linkerd.io/v1alpha1', 'NetworkAuthentication'],
  ['linkerd.io/v1alpha2', 'ServiceProfile'],
  ['apps/v1', 'Deployment'],
  ['v1', 'Service'],
  ['v1', 'ConfigMap'],
  ['v1', 'Secret'],
  ['v1', 'ServiceAccount'],
  ['rbac.authorization.k8s.io/v1', 'RoleBinding'],
  ['rbac.authorization.k8s.io/v1', 'Role'],
  ['rbac.authorization.k8s.io/v1', 'ClusterRoleBinding'],
  ['rbac.authorization.k8s.io/v1', 'ClusterRole'],
  ['apiextensions.k8s.io/v1', 'CustomResourceDefinition'],
];

export const keyOf = (r: { kind: string; namespace?: string; name: string }): string =>
  `${r.kind}/${r.namespace ?? ''}/${r.name}`;

/** Every object labelled for the extension (Namespaces last); kinds the cluster does not serve are skipped. */
export async function labelledObjects(ops: ClusterOps, extension: string): Promise<ObjectRef[]> {
  const selector = `${LABEL_EXTENSION}=${extension}`;
  const out: ObjectRef[] = [];
  for (const [apiVersion, kind] of [...EXTENSION_KINDS, ['v1', 'Namespace'] as const]) {
    const items = (await ops.listIfServed<AnyObject>(apiVersion, kind, undefined, selector)) ?? [];
    for (const o of items) {
      // Pods and ReplicaSets carry the label too, but go with their owners.
      if (o.metadata?.ownerReferences?.length) continue;
      out.push({
        apiVersion,
        kind,
        name: o.metadata?.name ?? '',
        ...(o.metadata?.namespace ? { namespace: o.metadata.namespace } : {}),
      });
    }
  }
  return out;
}

export const describeRef = (r: ObjectRef): string =>
  `${r.kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name}`;

const status = (e: unknown): number | undefined =>
  e && typeof e === 'object' && 'code' in e ? Number((e as { code: unknown }).code) : undefined;

/**
 * Deletes the objects in order. The MANAGED agent may only delete the names its RBAC lists (those
 * of the catalog's releases): anything else labelled for the extension is named in the failure.
 */
export async function deleteAll(
  ops: ClusterOps,
  refs: readonly ObjectRef[],
  code: LifecycleFailureCode,
): Promise<void> {
  for (const r of refs) {
    try {
      await ops.delete(r);
    } catch (e) {
      if (status(e) === 403)
        throw lifecycleFailure(
          code,
          `${describeRef(r)} is labelled for the extension but the agent's RBAC does not let it delete that name; ` +
            'delete it by hand (kubectl delete) and retry',
        );
      throw e;
    }
  }
}
