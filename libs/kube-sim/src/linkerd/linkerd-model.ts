// The Linkerd behaviour of one cluster: the proxy injector (admission on pod create), the
// identity controller's view of the issuer, the pod readiness it gates, the proxy metrics
// endpoint and certificate faults. It reads only cluster objects, so a Linkerd installed
// by the agent through the API behaves the same as a pre-installed one.
import { parse, stringify } from 'yaml';
import type { SimCluster, ProxyResponse } from '../cluster/sim-cluster';
import { nowIso } from '../api/object-service';
import { KubeError } from '../api/kube-error';
import { ResourceType } from '../api/resource-types';
import { podReady, podPhase } from '../controllers/helpers';
import type { Controller } from '../controllers/controller-manager';
import { KubeObject, StoreEvent } from '../store/types';
import { LinkerdScenario } from '../scenario/scenario.schema';
import {
  CertAndKey,
  checkIssuer,
  createIssuer,
  createTrustAnchor,
  createWebhookCert,
  IssuerProblem,
  parsePemBundle,
  validity,
} from './certs';
import { controlPlaneObjects, linkerdCrds } from './control-plane';
import { renderProxyMetrics, TrafficEdge, WorkloadView, workloadOf } from './proxy-metrics';
import { hasProxy, InjectionConfig, injectPod } from './proxy-spec';
import { usesNativeSidecar } from './versions';

const MWC = 'linkerd-proxy-injector-webhook-config';
const EXCLUDED_NS = new Set(['kube-system', 'cert-manager']);

interface IdentityState {
  problem: IssuerProblem | undefined;
  issuerNotAfter?: number;
}

export class LinkerdModel implements Controller {
  readonly name = 'linkerd';
  readonly edges: TrafficEdge[] = [];
  /** While set, injection uses this proxy version (scenarios start with a lagging data plane). */
  proxyVersionOverride: string | undefined;
  /** Trust anchors this model generated, so certificate faults can re-sign issuers. */
  private readonly anchors = new Map<string, CertAndKey>();
  private readonly identity = new Map<string, IdentityState>();
  private readonly checking = new Map<string, Promise<void>>();

  constructor(private readonly cluster: SimCluster) {
    cluster.objects.mutators.push((type, obj) => this.admit(type, obj));
    cluster.controllers.kubelet.gates.push((pod) => this.identityGate(pod));
    cluster.controllers.add(this);
    cluster.proxyHandler = (pod, port, path) => this.proxy(pod, port, path);
  }

  keysFor(e: StoreEvent): string[] {
    const n = e.object.metadata.name;
    if (
      (e.object.kind === 'Secret' && n === 'linkerd-identity-issuer') ||
      (e.object.kind === 'ConfigMap' && n === 'linkerd-identity-trust-roots')
    )
      return [e.object.metadata.namespace ?? ''];
    return [];
  }

  reconcile(ns: string): void {
    void this.recheck(ns);
  }

  /** The issuer problem for a control plane namespace (undefined = healthy). */
  identityProblem(ns = 'linkerd'): IssuerProblem | undefined {
    return this.identity.get(ns)?.problem;
  }

  /** Re-validates the issuer against the trust roots; re-evaluates pods when the verdict changes. */
  async recheck(ns: string): Promise<void> {
    const pending = this.checking.get(ns);
    if (pending) await pending;
    const run = this.validate(ns);
    this.checking.set(ns, run);
    try {
      await run;
    } finally {
      if (this.checking.get(ns) === run) this.checking.delete(ns);
    }
  }

  private async validate(ns: string): Promise<void> {
    const secret = this.cluster.objects.find(this.type('', 'secrets'), ns, 'linkerd-identity-issuer');
    const roots = this.cluster.objects.find(this.type('', 'configmaps'), ns, 'linkerd-identity-trust-roots');
    if (!secret && !roots) {
      this.identity.delete(ns);
      return;
    }
    const data = (secret?.['data'] ?? {}) as Record<string, string>;
    const crt = data['crt.pem'] ?? data['tls.crt'];
    const issuerPem = crt ? Buffer.from(crt, 'base64').toString('utf8') : undefined;
    const rootsPem = (roots?.['data'] as Record<string, string> | undefined)?.['ca-bundle.crt'];
    const problem = await checkIssuer(issuerPem, rootsPem);
    let notAfter: number | undefined;
    try {
      notAfter = issuerPem ? parsePemBundle(issuerPem)[0]?.notAfter.getTime() : undefined;
    } catch {
      notAfter = undefined;
    }
    const before = this.identity.get(ns)?.problem;
    this.identity.set(ns, { problem, ...(notAfter ? { issuerNotAfter: notAfter } : {}) });
    if (before !== problem) {
      this.event(
        ns,
        problem ? 'IssuerValidationFailed' : 'IssuerUpdated',
        problem ? `issuer certificate is invalid: ${problem}` : 'Updated identity issuer',
      );
      this.cluster.controllers.kubelet.resyncAll();
    }
    // An issuer that is valid now expires later; look again then.
    if (!problem && notAfter)
      this.cluster.controllers.after(
        Math.min(Math.max(0, notAfter - Date.now() + 10), 2_000_000_000),
        () => void this.recheck(ns),
      );
  }

  /** Creates everything a real install leaves behind, with freshly generated certificates. */
  async install(spec: LinkerdScenario, sharedAnchor?: CertAndKey): Promise<void> {
    const ns = spec.namespace;
    const anchor = sharedAnchor ?? (await createTrustAnchor(validity(spec.trustAnchorValidityDays)));
    this.anchors.set(ns, anchor);
    const issuer = spec.issuerExpired
      ? await createIssuer(anchor, validity(30, 60))
      : await createIssuer(anchor, validity(spec.issuerValidityDays));
    const webhook = (c: string) => createWebhookCert(`linkerd-${c}.${ns}.svc`, validity(365));
    const objects = [
      ...linkerdCrds(spec.version),
      ...controlPlaneObjects({
        version: spec.version,
        namespace: ns,
        ha: spec.ha,
        nativeSidecar: spec.nativeSidecar ?? usesNativeSidecar(spec.version),
        trustAnchorsPem: anchor.certPem,
        issuerCertPem: issuer.certPem,
        issuerKeyPem: issuer.keyPem,
        webhookCerts: {
          'proxy-injector': await webhook('proxy-injector'),
          'sp-validator': await webhook('sp-validator'),
          'policy-validator': await webhook('policy-validator'),
        },
      }),
    ];
    for (const o of objects) this.cluster.ensure(o);
    await this.recheck(ns);
  }

  /** Injection settings when the injector is installed and running, else undefined. */
  injectionConfig(): InjectionConfig | undefined {
    const mwc = this.cluster.objects.find(
      this.type('admissionregistration.k8s.io', 'mutatingwebhookconfigurations'),
      undefined,
      MWC,
    );
    if (!mwc) return undefined;
    const hooks = (mwc['webhooks'] ?? []) as Array<{ clientConfig?: { service?: { namespace?: string } } }>;
    const ns = hooks[0]?.clientConfig?.service?.namespace ?? 'linkerd';
    const injector = this.cluster.objects.find(
      this.type('apps', 'deployments'),
      ns,
      'linkerd-proxy-injector',
    );
    if (!((injector?.['status'] as { availableReplicas?: number } | undefined)?.availableReplicas ?? 0))
      return undefined;
    const config = this.cluster.objects.find(this.type('', 'configmaps'), ns, 'linkerd-config');
    const roots = this.cluster.objects.find(this.type('', 'configmaps'), ns, 'linkerd-identity-trust-roots');
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
    const ns = this.cluster.objects.find(this.type('', 'namespaces'), undefined, namespace);
    if (ns?.metadata.labels?.['config.linkerd.io/admission-webhooks'] === 'disabled') return false;
    const own = annotations['linkerd.io/inject'];
    if (own === 'disabled') return false;
    if (own === 'enabled' || own === 'ingress') return true;
    return ns?.metadata.annotations?.['linkerd.io/inject'] === 'enabled';
  }

  private admit(type: ResourceType, obj: KubeObject): KubeObject {
    if (type.group !== '' || type.plural !== 'pods' || hasProxy(obj)) return obj;
    if (!this.wantsInjection(obj.metadata.namespace ?? '', obj.metadata.annotations)) return obj;
    const cfg = this.injectionConfig();
    return cfg ? injectPod(obj, cfg) : obj;
  }

  /** New meshed pods cannot get an identity while the issuer is broken; running ones keep theirs. */
  private identityGate(pod: KubeObject): { container: string; reason: string } | undefined {
    if (podReady(pod)) return undefined;
    const cpNs = pod.metadata.labels?.['linkerd.io/control-plane-ns'];
    if (!cpNs || !hasProxy(pod)) return undefined;
    const problem = this.identity.get(cpNs)?.problem;
    if (!problem) return undefined;
    const component = pod.metadata.labels?.['linkerd.io/control-plane-component'];
    return { container: component === 'identity' ? 'identity' : 'linkerd-proxy', reason: problem };
  }

  private proxy(pod: KubeObject, port: string, path: string): ProxyResponse {
    const podIP = (pod['status'] as { podIP?: string } | undefined)?.podIP ?? '';
    const refused = (): ProxyResponse => {
      const err = new KubeError(
        'ServiceUnavailable',
        `error trying to reach service: dial tcp ${podIP}:${port}: connect: connection refused`,
      );
      return { code: 503, contentType: 'application/json', body: JSON.stringify(err.toStatus()) };
    };
    if (port !== '4191' || !hasProxy(pod) || podPhase(pod) !== 'Running') return refused();
    if (path === '/ready')
      return {
        code: podReady(pod) ? 200 : 503,
        contentType: 'text/plain',
        body: podReady(pod) ? 'ready\n' : 'not ready\n',
      };
    if (path === '/live') return { code: 200, contentType: 'text/plain', body: 'live\n' };
    if (path !== '/metrics') return { code: 404, contentType: 'text/plain', body: 'not found\n' };
    const cpNs = pod.metadata.labels?.['linkerd.io/control-plane-ns'] ?? 'linkerd';
    const state = this.identity.get(cpNs);
    const started = Date.parse((pod['status'] as { startTime?: string } | undefined)?.startTime ?? nowIso());
    const leafExpiry = podReady(pod)
      ? Math.floor(Math.min(started + 86_400_000, state?.issuerNotAfter ?? Infinity) / 1000)
      : 0;
    const body = renderProxyMetrics(pod, {
      now: Date.now(),
      controlPlaneNs: cpNs,
      trustDomain: 'cluster.local',
      edges: this.edges,
      workload: (ref) => this.workloadView(ref),
      certExpiry: leafExpiry,
    });
    return { code: 200, contentType: 'text/plain; version=0.0.4', body };
  }

  private workloadView(ref: string): WorkloadView | undefined {
    const [namespace, name] = ref.split('/') as [string, string];
    const pods = this.cluster.store
      .list('/pods', namespace)
      .filter((p) => workloadOf(p) === name && podPhase(p) === 'Running');
    const svc = this.cluster.objects.find(this.type('', 'services'), namespace, name);
    const port =
      ((svc?.['spec'] as { ports?: Array<{ port: number }> } | undefined)?.ports ?? [])[0]?.port ?? 8080;
    return { namespace, name, pods, port };
  }

  /** Certificate faults: an expired issuer signed by the real anchor, or one from a foreign anchor. */
  async breakIssuer(kind: 'expire' | 'mismatch' | 'corrupt', ns = 'linkerd'): Promise<void> {
    const secrets = this.type('', 'secrets');
    const secret = this.cluster.objects.find(secrets, ns, 'linkerd-identity-issuer');
    if (!secret) throw new KubeError('NotFound', `secrets "linkerd-identity-issuer" not found in ${ns}`);
    let crt: string;
    let key: string;
    if (kind === 'corrupt') {
      crt = '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n';
      key = 'garbage';
    } else {
      const anchor =
        kind === 'expire'
          ? (this.anchors.get(ns) ?? (await createTrustAnchor(validity(365, 400))))
          : await createTrustAnchor(validity(365));
      const issuer = await createIssuer(anchor, kind === 'expire' ? validity(30, 60) : validity(365));
      crt = issuer.certPem;
      key = issuer.keyPem;
    }
    this.cluster.objects.writeObject(secrets, {
      ...secret,
      data: {
        ...(secret['data'] as object),
        'crt.pem': Buffer.from(crt).toString('base64'),
        'key.pem': Buffer.from(key).toString('base64'),
      },
    });
    await this.recheck(ns);
  }

  /** Issues a fresh, valid issuer from the anchor this model generated. */
  async rotateIssuer(ns = 'linkerd', validityDays = 365): Promise<void> {
    const anchor = this.anchors.get(ns);
    if (!anchor) throw new KubeError('NotFound', `no simulator-generated trust anchor for ${ns}`);
    const issuer = await createIssuer(anchor, validity(validityDays));
    const secrets = this.type('', 'secrets');
    const secret = this.cluster.objects.get(secrets, ns, 'linkerd-identity-issuer');
    this.cluster.objects.writeObject(secrets, {
      ...secret,
      data: {
        'crt.pem': Buffer.from(issuer.certPem).toString('base64'),
        'key.pem': Buffer.from(issuer.keyPem).toString('base64'),
      },
    });
    await this.recheck(ns);
  }

  /**
   * Replaces the trust anchor (and issues a matching issuer), as a rotation or a botched one
   * would: linkerd-identity-trust-roots, linkerd-config and the issuer secret change; running
   * pods keep the old anchor in their env until restarted. `expired` makes the new anchor
   * already expired.
   */
  async rotateTrustAnchor(
    ns = 'linkerd',
    opts: { expired?: boolean; validityDays?: number } = {},
  ): Promise<void> {
    const anchor = await createTrustAnchor(
      opts.expired ? validity(30, 60) : validity(opts.validityDays ?? 365),
    );
    const issuer = await createIssuer(
      anchor,
      // An expired anchor keeps a still-valid issuer, so the anchor is the only problem.
      opts.expired ? validity(365, 60) : validity(Math.min(opts.validityDays ?? 365, 365)),
    );
    this.anchors.set(ns, anchor);
    const configmaps = this.type('', 'configmaps');
    const roots = this.cluster.objects.get(configmaps, ns, 'linkerd-identity-trust-roots');
    this.cluster.objects.writeObject(configmaps, { ...roots, data: { 'ca-bundle.crt': anchor.certPem } });
    const config = this.cluster.objects.find(configmaps, ns, 'linkerd-config');
    if (config) {
      const values = (parse((config['data'] as Record<string, string>)['values'] ?? '{}') ?? {}) as Record<
        string,
        unknown
      >;
      const identity = (values['identity'] ?? {}) as { issuer?: { tls?: Record<string, unknown> } };
      values['identityTrustAnchorsPEM'] = anchor.certPem;
      values['identity'] = {
        ...identity,
        issuer: { ...identity.issuer, tls: { ...identity.issuer?.tls, crtPEM: issuer.certPem } },
      };
      this.cluster.objects.writeObject(configmaps, {
        ...config,
        data: { ...(config['data'] as object), values: stringify(values) },
      });
    }
    const secrets = this.type('', 'secrets');
    const secret = this.cluster.objects.get(secrets, ns, 'linkerd-identity-issuer');
    this.cluster.objects.writeObject(secrets, {
      ...secret,
      data: {
        'crt.pem': Buffer.from(issuer.certPem).toString('base64'),
        'key.pem': Buffer.from(issuer.keyPem).toString('base64'),
      },
    });
    await this.recheck(ns);
  }

  private event(ns: string, reason: string, message: string): void {
    const events = this.type('', 'events');
    const nsObj = this.cluster.objects.find(this.type('', 'namespaces'), undefined, ns);
    if (!nsObj) return;
    const now = nowIso();
    this.cluster.objects.create(events, ns, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { generateName: 'linkerd-identity.', namespace: ns },
      involvedObject: { kind: 'Deployment', namespace: ns, name: 'linkerd-identity', apiVersion: 'apps/v1' },
      reason,
      message,
      type: reason === 'IssuerValidationFailed' ? 'Warning' : 'Normal',
      source: { component: 'linkerd-identity' },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    });
  }

  private type(group: string, plural: string): ResourceType {
    return this.cluster.type(group, plural);
  }
}
