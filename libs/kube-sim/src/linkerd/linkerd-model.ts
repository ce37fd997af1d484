// The Linkerd behaviour of one cluster, assembled from its parts: the proxy injector (admission
// on pod create), the identity controller's view of the issuer and the pod readiness it gates,
// the proxy admin endpoint, the installer and certificate faults. Every part reads only cluster
// objects, so a Linkerd installed by the agent through the API behaves like a pre-installed one.
import type { SimCluster } from '../cluster/sim-cluster';
import { LinkerdScenario } from '../scenario/scenario.schema';
import { IssuerFault, breakIssuer, rotateIssuer, rotateTrustAnchor } from './certificate-faults';
import { CertAndKey, IssuerProblem } from './certs';
import { LinkerdIdentity } from './identity';
import { INJECTOR_ADMIN_PORT, ProxyInjector } from './injector';
import { installLinkerd } from './installer';
import { ProxyEndpoint } from './proxy-endpoint';
import { InjectionConfig } from './proxy-spec';
import { TrafficEdge } from './proxy-metrics';
import { MetricsApi } from '../metrics/metrics-api';
import { UsageModel } from '../metrics/usage-model';

export class LinkerdModel {
  readonly identity: LinkerdIdentity;
  readonly injector: ProxyInjector;
  readonly endpoint: ProxyEndpoint;
  /** The traffic graph the proxies' metrics are rendered from. */
  readonly edges: TrafficEdge[];
  /** CPU and memory of every running container, from the traffic graph and resource faults. */
  readonly usage: UsageModel;

  constructor(private readonly cluster: SimCluster) {
    this.identity = new LinkerdIdentity(cluster);
    this.injector = new ProxyInjector(cluster);
    this.endpoint = new ProxyEndpoint(cluster, this.identity);
    this.edges = this.endpoint.edges;
    this.usage = new UsageModel(cluster, this.edges, (ref) => this.endpoint.workloadView(ref));
    this.endpoint.usage = this.usage;
    cluster.metrics = new MetricsApi(cluster, this.usage);
    cluster.objects.mutators.push((type, obj) => this.injector.admit(type, obj));
    cluster.controllers.kubelet.gates.push((pod) => this.identity.gate(pod));
    cluster.controllers.add(this.identity);
    cluster.proxyHandler = (pod, port, path) =>
      port === INJECTOR_ADMIN_PORT && this.injector.isInjectorPod(pod)
        ? this.injector.serveAdmin(pod, path)
        : this.endpoint.handle(pod, port, path);
  }

  /** While set, injection uses this proxy version (scenarios start with a lagging data plane). */
  get proxyVersionOverride(): string | undefined {
    return this.injector.proxyVersionOverride;
  }

  set proxyVersionOverride(version: string | undefined) {
    this.injector.proxyVersionOverride = version;
  }

  /** The issuer problem for a control plane namespace (undefined = healthy). */
  identityProblem(ns = 'linkerd'): IssuerProblem | undefined {
    return this.identity.problem(ns);
  }

  /** Re-validates the issuer against the trust roots; re-evaluates pods when the verdict changes. */
  recheck(ns: string): Promise<void> {
    return this.identity.recheck(ns);
  }

  /** Creates everything a real install leaves behind, with freshly generated certificates. */
  install(spec: LinkerdScenario, sharedAnchor?: CertAndKey): Promise<void> {
    return installLinkerd(this.cluster, this.identity, spec, sharedAnchor);
  }

  /** Injection settings when the injector is installed and running, else undefined. */
  injectionConfig(): InjectionConfig | undefined {
    return this.injector.config();
  }

  /** Whether a new pod in `namespace` with these annotations would be injected. */
  wantsInjection(namespace: string, annotations: Record<string, string> = {}): boolean {
    return this.injector.wantsInjection(namespace, annotations);
  }

  /** Certificate faults: an expired issuer signed by the real anchor, or one from a foreign anchor. */
  breakIssuer(kind: IssuerFault, ns = 'linkerd'): Promise<void> {
    return breakIssuer(this.cluster, this.identity, kind, ns);
  }

  /** Issues a fresh, valid issuer from the anchor this model generated. */
  rotateIssuer(ns = 'linkerd', validityDays = 365): Promise<void> {
    return rotateIssuer(this.cluster, this.identity, ns, validityDays);
  }

  /** Replaces the trust anchor and its issuer; `expired` makes the new anchor already expired. */
  rotateTrustAnchor(ns = 'linkerd', opts: { expired?: boolean; validityDays?: number } = {}): Promise<void> {
    return rotateTrustAnchor(this.cluster, this.identity, ns, opts);
  }
}
