// Where the agent's Kubernetes credentials come from: an inline kubeconfig (many agents in one
// process), a kubeconfig file (development), or the pod's service account (production).
import * as k8s from '@kubernetes/client-node';

export interface KubeConfigSource {
  kubeconfigPath: string | null;
  kubeconfigYaml?: string;
}

export function loadKubeConfig(source: KubeConfigSource): { kc: k8s.KubeConfig; inCluster: boolean } {
  const kc = new k8s.KubeConfig();
  if (source.kubeconfigYaml) {
    kc.loadFromString(source.kubeconfigYaml);
    return { kc, inCluster: false };
  }
  if (source.kubeconfigPath) {
    kc.loadFromFile(source.kubeconfigPath);
    return { kc, inCluster: false };
  }
  if (process.env.KUBERNETES_SERVICE_HOST) {
    kc.loadFromCluster();
    return { kc, inCluster: true };
  }
  kc.loadFromDefault();
  return { kc, inCluster: false };
}
