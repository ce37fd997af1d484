// Namespaces: every new namespace gets its `default` ServiceAccount, the `kube-root-ca.crt`
// ConfigMap (root-ca-cert-publisher; projected kube-api-access volumes mount it) and phase Active; a
// deleted namespace empties itself (all namespaced objects), then its finalizer is released.
import type { SimCluster } from '../cluster/sim-cluster';
import { StoreEvent } from '../store/types';
import { Controller } from './controller-manager';

const ROOT_CA = 'kube-root-ca.crt';
const ROOT_CA_DESCRIPTION =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.';
/** Plain-HTTP simulators have no CA; the key still exists, as kubelets need it. */
const NO_CA = '# kube-sim serves plain HTTP: no cluster CA\n';

export class NamespaceController implements Controller {
  readonly name = 'namespace';
  constructor(private readonly cluster: SimCluster) {}

  keysFor(e: StoreEvent): string[] {
    if (e.object.kind === 'Namespace' && e.type !== 'DELETED') return [e.object.metadata.name ?? ''];
    // A terminating namespace re-checks as its content disappears.
    if (e.type === 'DELETED' && e.object.metadata.namespace) return [e.object.metadata.namespace];
    return [];
  }

  reconcile(name: string): void {
    const objects = this.cluster.objects;
    const nsType = this.cluster.type('', 'namespaces');
    const ns = objects.find(nsType, undefined, name);
    if (!ns) return;
    if (!ns.metadata.deletionTimestamp) {
      const phase = (ns['status'] as { phase?: string } | undefined)?.phase;
      if (phase !== 'Active') objects.writeStatus(nsType, ns, { phase: 'Active' });
      const saType = this.cluster.type('', 'serviceaccounts');
      if (!objects.find(saType, name, 'default'))
        objects.create(saType, name, {
          apiVersion: 'v1',
          kind: 'ServiceAccount',
          metadata: { name: 'default', namespace: name },
        });
      const cmType = this.cluster.type('', 'configmaps');
      if (!objects.find(cmType, name, ROOT_CA))
        objects.create(cmType, name, {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: {
            name: ROOT_CA,
            namespace: name,
            annotations: { 'kubernetes.io/description': ROOT_CA_DESCRIPTION },
          },
          data: { 'ca.crt': this.cluster.settings.rootCaPem ?? NO_CA },
        });
      return;
    }
    let remaining = 0;
    for (const type of this.cluster.registry.all()) {
      if (!type.namespaced || type.virtual) continue;
      for (const o of objects.list(type, name).items) {
        remaining++;
        if (o.metadata.deletionTimestamp) continue;
        objects.delete(type, name, o.metadata.name ?? '', { propagationPolicy: 'Background' });
      }
    }
    if (remaining === 0) objects.removeNow(nsType, ns);
  }
}
