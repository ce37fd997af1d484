// The proxy injector: admission on pod create. It injects only while its webhook configuration
// exists and its Deployment has an available replica, with settings read from linkerd-config
// and the trust roots, as the real injector does.
import { parse } from 'yaml';
import type { SimCluster } from '../cluster/sim-cluster';
import { ResourceType } from '../api/resource-types';
import { KubeObject } from '../store/types';
import { TRUST_ROOTS } from './identity';
import { hasProxy, InjectionConfig, injectPod } from './proxy-spec';
import { usesNativeSidecar } from './versions';

const MWC = 'linkerd-proxy-injector-webhook-config';
const EXCLUDED_NS = new Set(['kube-system', 'cert-manager']);

export class ProxyInjector {
  /** While set, injection uses this proxy version (scenarios start with a lagging data plane). */
  proxyVersionOverride: string | undefined;

  constructor(private readonly cluster: SimCluster) {}

  /** The admission mutator: a pod that wants a proxy gets one when the injector is up. */
  admit(type: ResourceType, obj: KubeObject): KubeObject {
    if (type.group !== '' || type.plural !== 'pods' || hasProxy(obj)) return obj;
    if (!this.wantsInjection(obj.metadata.namespace ?? '', obj.metadata.annotations)) return obj;
    const cfg = this.config();
    return cfg ? injectPod(obj, cfg) : obj;
  }

  /** Injection settings when the injector is installed and running, else undefined. */
  config(): InjectionConfig | undefined {
    const mwc = this.cluster.objects.find(
      this.cluster.type('admissionregistration.k8s.io', 'mutatingwebhookconfigurations'),
      undefined,
      MWC,
    );
    if (!mwc) return undefined;
    const hooks = (mwc['webhooks'] ?? []) as Array<{ clientConfig?: { service?: { namespace?: string } } }>;
    const ns = hooks[0]?.clientConfig?.service?.namespace ?? 'linkerd';
    const injector = this.cluster.objects.find(
      this.cluster.type('apps', 'deployments'),
      ns,
      'linkerd-proxy-injector',
    );
    if (!((injector?.['status'] as { availableReplicas?: number } | undefined)?.availableReplicas ?? 0))
      return undefined;
    const configmaps = this.cluster.type('', 'configmaps');
    const config = this.cluster.objects.find(configmaps, ns, 'linkerd-config');
    const roots = this.cluster.objects.find(configmaps, ns, TRUST_ROOTS);
    const values = (parse((config?.['data'] as Record<string, string> | undefined)?.['values'] ?? '{}') ??
      {}) as {
      linkerdVersion?: string;
      identityTrustAnchorsPEM?: string;
      identityTrustDomain?: string;
      cniEnabled?: boolean;
      proxy?: { image?: { version?: string }; nativeSidecar?: boolean };
    };
    const version =
      this.proxyVersionOverride ?? (values.proxy?.image?.version || values.linkerdVersion || 'unknown');
    return {
      version,
      controlPlaneNs: ns,
      trustAnchorsPem:
        (roots?.['data'] as Record<string, string> | undefined)?.['ca-bundle.crt'] ??
        values.identityTrustAnchorsPEM ??
        '',
      trustDomain: values.identityTrustDomain || 'cluster.local',
      nativeSidecar: this.proxyVersionOverride
        ? usesNativeSidecar(version)
        : (values.proxy?.nativeSidecar ?? usesNativeSidecar(version)),
      cniEnabled: !!values.cniEnabled,
    };
  }

  /** Whether a new pod in `namespace` with these annotations would be injected. */
  wantsInjection(namespace: string, annotations: Record<string, string> = {}): boolean {
    if (EXCLUDED_NS.has(namespace)) return false;
    const ns = this.cluster.objects.find(this.cluster.type('', 'namespaces'), undefined, namespace);
    if (ns?.metadata.labels?.['config.linkerd.io/admission-webhooks'] === 'disabled') return false;
    const own = annotations['linkerd.io/inject'];
    if (own === 'disabled') return false;
    if (own === 'enabled' || own === 'ingress') return true;
    return ns?.metadata.annotations?.['linkerd.io/inject'] === 'enabled';
  }
}
