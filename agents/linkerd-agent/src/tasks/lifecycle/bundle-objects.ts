// Turns a (filled) bundle into objects to apply: namespaced objects the bundle leaves without a
// namespace go to the control-plane namespace; cluster-scoped kinds never get one.
import type { KubernetesObject } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { lifecycleFailure } from './lifecycle-failure';

const CLUSTER_SCOPED = new Set([
  'Namespace',
  'CustomResourceDefinition',
  'ClusterRole',
  'ClusterRoleBinding',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
  'APIService',
  'PriorityClass',
]);

export type BundleObject = KubernetesObject & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
} & Record<string, unknown>;

export function bundleObjects(yaml: string, namespace: string): BundleObject[] {
  const out: BundleObject[] = [];
  for (const doc of parseAllDocuments(yaml)) {
    if (doc.errors.length)
      throw lifecycleFailure('APPLY_FAILED', `bundle is not valid YAML: ${doc.errors[0]?.message}`);
    const o = doc.toJS() as BundleObject | null;
    if (!o) continue;
    if (!o.apiVersion || !o.kind || !o.metadata?.name) {
      throw lifecycleFailure('APPLY_FAILED', 'bundle holds a document that is not a Kubernetes object');
    }
    if (!CLUSTER_SCOPED.has(o.kind) && !o.metadata.namespace) o.metadata.namespace = namespace;
    out.push(o);
  }
  return out;
}

export function describeObject(o: { kind: string; metadata: { name: string; namespace?: string } }): string {
  return `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
}

/** The Namespace object of a control-plane bundle (bundles are rendered for one namespace). */
export function bundleNamespace(objects: readonly BundleObject[]): string | null {
  return objects.find((o) => o.kind === 'Namespace')?.metadata.name ?? null;
}
