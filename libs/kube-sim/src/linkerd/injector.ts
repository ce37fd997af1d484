// The proxy injector: admission on pod (and Service) CREATE only, as the real webhook is
// registered — an update never injects a running pod, only new pods get the proxy. It is
// called only while its webhook configuration exists, for namespaces its namespaceSelector
// matches, and injects only while its Deployment has an available replica, with settings read
// from linkerd-config and the trust roots. Each admission is decided by the injection report
// (skip reasons), recorded as an Injected / InjectionSkipped event on the pod's owner and
// counted in the serving injector pod's admin metrics (:9995/metrics).
import { parse } from 'yaml';
import type { SimCluster, ProxyResponse } from '../cluster/sim-cluster';
import { ResourceType } from '../api/resource-types';
import { LabelSelectorSpec, selectorMatches } from '../api/selectors';
import { podPhase, podReady } from '../controllers/helpers';
import { KubeError } from '../api/kube-error';
import { KubeObject } from '../store/types';
import { TRUST_ROOTS } from './identity';
import {
  configLabelName,
  DEFAULT_OPAQUE_PORTS,
  INJECT_ANNOTATION,
  injectReport,
  InjectReport,
  OPAQUE_PORTS_ANNOTATION,
  podOpaquePorts,
  PROXY_CONFIG_ANNOTATIONS,
  readableReasons,
  serviceOpaquePorts,
} from './inject-report';
import { InjectionConfig, injectPod, type ProxyResourceValues } from './proxy-spec';
import { usesNativeSidecar } from './versions';

const MWC = 'linkerd-proxy-injector-webhook-config';
export const INJECTOR_ADMIN_PORT = '9995';
const COMPONENT = 'linkerd-proxy-injector';
/** Namespace annotations a pod inherits when injected (config, alpha config, and inject itself). */
const INHERITED = [
  ...PROXY_CONFIG_ANNOTATIONS,
  'config.alpha.linkerd.io/proxy-wait-before-exit-seconds',
  'config.alpha.linkerd.io/proxy-enable-native-sidecar',
  INJECT_ANNOTATION,
];

interface Webhook {
  name?: string;
  failurePolicy?: 'Fail' | 'Ignore';
  timeoutSeconds?: number;
  clientConfig?: { service?: { name?: string; namespace?: string; path?: string; port?: number } };
  namespaceSelector?: LabelSelectorSpec;
  objectSelector?: LabelSelectorSpec;
}

interface LinkerdValues {
  linkerdVersion?: string;
  identityTrustAnchorsPEM?: string;
  identityTrustDomain?: string;
  cniEnabled?: boolean;
  identity?: { serviceAccountTokenProjection?: boolean };
  proxy?: {
    image?: { version?: string };
    nativeSidecar?: boolean;
    opaquePorts?: string;
    resources?: ProxyResourceValues;
  };
}

/** One counter family: label set (rendered) → count. */
type Counter = Map<string, number>;

interface InjectorCounters {
  requests: Counter;
  responses: Counter;
}

export class ProxyInjector {
  /** While set, injection uses this proxy version (scenarios start with a lagging data plane). */
  proxyVersionOverride: string | undefined;
  /** Counters per injector pod (uid): each replica counts the admissions it served. */
  private readonly counters = new Map<string, InjectorCounters>();
  private turn = 0;

  constructor(private readonly cluster: SimCluster) {}

  /** The admission mutator (create only): the webhook's verdict applied to the new object. */
  admit(type: ResourceType, obj: KubeObject): KubeObject {
    if (type.group !== '' || (type.plural !== 'pods' && type.plural !== 'services')) return obj;
    const namespace = obj.metadata.namespace ?? '';
    const hook = this.webhookFor(namespace, obj);
    if (!hook) return obj;
    const cfg = this.config();
    // A webhook whose service has no ready endpoint fails the call: with failurePolicy Fail
    // (the v1 default) the create is refused, with Ignore the object is admitted unmutated —
    // the pod starts without a proxy and nothing says so.
    if (!cfg) {
      if ((hook.failurePolicy ?? 'Fail') === 'Ignore') return obj;
      const svc = hook.clientConfig?.service;
      const url = `https://${svc?.name ?? 'linkerd-proxy-injector'}.${svc?.namespace ?? 'linkerd'}.svc:${svc?.port ?? 443}${svc?.path ?? '/'}?timeout=${hook.timeoutSeconds ?? 10}s`;
      const why = `failed calling webhook "${hook.name ?? 'linkerd-proxy-injector.linkerd.io'}": failed to call webhook: Post "${url}": no endpoints available for service "${svc?.name ?? 'linkerd-proxy-injector'}"`;
      throw new KubeError('InternalError', `Internal error occurred: ${why}`, { causes: [{ message: why }] });
    }
    const values = this.values(cfg.controlPlaneNs);
    const defaults = values.proxy?.opaquePorts ?? DEFAULT_OPAQUE_PORTS;
    const nsAnnotations = this.namespace(namespace)?.metadata.annotations ?? {};
    const server = this.servingPod(cfg.controlPlaneNs);
    if (type.plural === 'services') return this.admitService(obj, nsAnnotations, defaults, server);

    const owner = this.owner(obj);
    const report = injectReport({
      pod: obj,
      nsAnnotations,
      tokenProjection: values.identity?.serviceAccountTokenProjection ?? true,
      serviceAccountAutomount: this.serviceAccountAutomount(obj),
    });
    const configLabels = this.configLabels(obj);
    const base = { owner_kind: owner.kind, namespace, annotation_at: report.annotationAt };
    this.count(server, 'requests', { ...configLabels, ...base });
    const parent = this.parentObject(namespace, owner);
    if (report.injectable) {
      const annotations = { ...(obj.metadata.annotations ?? {}) };
      for (const key of INHERITED)
        if (key in nsAnnotations && !(key in annotations)) annotations[key] = nsAnnotations[key]!;
      if (!(OPAQUE_PORTS_ANNOTATION in annotations)) {
        const ports = podOpaquePorts(obj, defaults);
        if (ports.length) annotations[OPAQUE_PORTS_ANNOTATION] = ports.join(',');
      }
      if (parent)
        this.cluster.events.record(parent, 'Normal', 'Injected', 'Linkerd sidecar proxy injected', COMPONENT);
      this.count(server, 'responses', { ...configLabels, ...base, skip: 'false', skip_reason: '' });
      // The workload (or namespace) may override the native-sidecar layout.
      const native =
        annotations['config.linkerd.io/proxy-enable-native-sidecar'] ??
        annotations['config.alpha.linkerd.io/proxy-enable-native-sidecar'];
      const layout =
        native === 'true' || native === 'false' ? { ...cfg, nativeSidecar: native === 'true' } : cfg;
      return injectPod(
        { ...obj, metadata: { ...obj.metadata, annotations } },
        layout,
        values.proxy?.resources ?? {},
      );
    }
    if (parent)
      this.cluster.events.record(
        parent,
        'Normal',
        'InjectionSkipped',
        `Linkerd sidecar proxy injection skipped: ${readableReasons(report.reasons)}`,
        COMPONENT,
      );
    // Even a skipped pod gets the opaque-ports annotation (inherited or the defaults it
    // exposes); the injector then counts the admission as a patch, not a skip.
    const opaque = this.opaquePortsPatch(obj, nsAnnotations, podOpaquePorts(obj, defaults));
    if (opaque) {
      this.count(server, 'responses', { ...configLabels, ...base, skip: 'false', skip_reason: '' });
      return opaque;
    }
    this.count(server, 'responses', {
      ...configLabels,
      ...base,
      skip: 'true',
      skip_reason: report.reasons.join(','),
    });
    return obj;
  }

  /** The report for a pod as the webhook would make it now (undefined when it would not be called). */
  reportFor(pod: KubeObject): InjectReport | undefined {
    const namespace = pod.metadata.namespace ?? '';
    if (!this.webhookFor(namespace, pod)) return undefined;
    const cfg = this.config();
    const values = this.values(cfg?.controlPlaneNs ?? this.webhookNamespace() ?? 'linkerd');
    return injectReport({
      pod,
      nsAnnotations: this.namespace(namespace)?.metadata.annotations ?? {},
      tokenProjection: values.identity?.serviceAccountTokenProjection ?? true,
      serviceAccountAutomount: this.serviceAccountAutomount(pod),
    });
  }

  /** Injection settings when the injector is installed and running, else undefined. */
  config(): InjectionConfig | undefined {
    const ns = this.webhookNamespace();
    if (ns === undefined) return undefined;
    const injector = this.cluster.objects.find(
      this.cluster.type('apps', 'deployments'),
      ns,
      'linkerd-proxy-injector',
    );
    if (!((injector?.['status'] as { availableReplicas?: number } | undefined)?.availableReplicas ?? 0))
      return undefined;
    const roots = this.cluster.objects.find(this.cluster.type('', 'configmaps'), ns, TRUST_ROOTS);
    const values = this.values(ns);
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
    const pod: KubeObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { namespace, annotations },
      spec: { containers: [{ name: 'app' }] },
    };
    if (this.webhookNamespace() === undefined) return this.annotationsEnable(namespace, annotations);
    return this.reportFor(pod)?.injectable ?? false;
  }

  /** The injector pod's admin server: /metrics (admission counters), /ready, /ping. */
  serveAdmin(pod: KubeObject, path: string): ProxyResponse {
    if (podPhase(pod) !== 'Running') {
      const podIP = (pod['status'] as { podIP?: string } | undefined)?.podIP ?? '';
      const err = new KubeError(
        'ServiceUnavailable',
        `error trying to reach service: dial tcp ${podIP}:${INJECTOR_ADMIN_PORT}: connect: connection refused`,
      );
      return { code: 503, contentType: 'application/json', body: JSON.stringify(err.toStatus()) };
    }
    if (path === '/ping') return { code: 200, contentType: 'text/plain', body: 'pong\n' };
    if (path === '/ready')
      return podReady(pod)
        ? { code: 200, contentType: 'text/plain', body: 'ok\n' }
        : { code: 503, contentType: 'text/plain', body: 'not ready\n' };
    if (path !== '/metrics') return { code: 404, contentType: 'text/plain', body: '404 page not found\n' };
    const c = this.counters.get(pod.metadata.uid ?? '') ?? { requests: new Map(), responses: new Map() };
    const family = (name: string, help: string, counter: Counter): string[] => [
      `# HELP ${name} ${help}`,
      `# TYPE ${name} counter`,
      ...[...counter].map(([labels, n]) => `${name}{${labels}} ${n}`),
    ];
    const lines = [
      ...family(
        'proxy_inject_admission_requests_total',
        'A counter for number of admission requests to proxy injector.',
        c.requests,
      ),
      ...family(
        'proxy_inject_admission_responses_total',
        'A counter for number of admission responses from proxy injector.',
        c.responses,
      ),
    ];
    return {
      code: 200,
      contentType: 'text/plain; version=0.0.4; charset=utf-8',
      body: lines.join('\n') + '\n',
    };
  }

  /** Whether this pod is a proxy-injector replica (it owns the admin port 9995). */
  isInjectorPod(pod: KubeObject): boolean {
    return pod.metadata.labels?.['linkerd.io/control-plane-component'] === 'proxy-injector';
  }

  private admitService(
    svc: KubeObject,
    nsAnnotations: Record<string, string>,
    defaults: string,
    server: string | undefined,
  ): KubeObject {
    const base = {
      ...this.emptyConfigLabels(),
      owner_kind: '',
      namespace: svc.metadata.namespace ?? '',
      annotation_at: '',
    };
    this.count(server, 'requests', base);
    const opaque = this.opaquePortsPatch(svc, nsAnnotations, serviceOpaquePorts(svc, defaults));
    if (!opaque) return svc;
    this.count(server, 'responses', { ...base, skip: 'false', skip_reason: '' });
    return opaque;
  }

  /** Adds `config.linkerd.io/opaque-ports` (the namespace's, else the defaults exposed) when unset. */
  private opaquePortsPatch(
    obj: KubeObject,
    nsAnnotations: Record<string, string>,
    exposed: string[],
  ): KubeObject | undefined {
    if (obj.metadata.annotations?.[OPAQUE_PORTS_ANNOTATION] !== undefined) return undefined;
    const value = nsAnnotations[OPAQUE_PORTS_ANNOTATION] ?? (exposed.length ? exposed.join(',') : undefined);
    if (value === undefined) return undefined;
    return {
      ...obj,
      metadata: {
        ...obj.metadata,
        annotations: { ...(obj.metadata.annotations ?? {}), [OPAQUE_PORTS_ANNOTATION]: value },
      },
    };
  }

  /** The webhook that the API server would call for this object, if any. */
  private webhookFor(namespace: string, obj: KubeObject): Webhook | undefined {
    const mwc = this.cluster.objects.find(
      this.cluster.type('admissionregistration.k8s.io', 'mutatingwebhookconfigurations'),
      undefined,
      MWC,
    );
    const hook = ((mwc?.['webhooks'] ?? []) as Webhook[])[0];
    if (!hook) return undefined;
    const ns = this.namespace(namespace);
    // The API server labels every namespace with its name; selectors rely on it.
    const nsLabels = { ...(ns?.metadata.labels ?? {}), 'kubernetes.io/metadata.name': namespace };
    if (hook.namespaceSelector && !selectorMatches(hook.namespaceSelector, nsLabels)) return undefined;
    if (hook.objectSelector && !selectorMatches(hook.objectSelector, obj.metadata.labels ?? {}))
      return undefined;
    return hook;
  }

  private webhookNamespace(): string | undefined {
    const mwc = this.cluster.objects.find(
      this.cluster.type('admissionregistration.k8s.io', 'mutatingwebhookconfigurations'),
      undefined,
      MWC,
    );
    if (!mwc) return undefined;
    return ((mwc['webhooks'] ?? []) as Webhook[])[0]?.clientConfig?.service?.namespace ?? 'linkerd';
  }

  /** Fallback before any Linkerd exists: the annotations alone (no webhook would be called). */
  private annotationsEnable(namespace: string, annotations: Record<string, string>): boolean {
    const own = annotations[INJECT_ANNOTATION];
    if (own === 'disabled') return false;
    if (own === 'enabled' || own === 'ingress') return true;
    return this.namespace(namespace)?.metadata.annotations?.[INJECT_ANNOTATION] === 'enabled';
  }

  private values(ns: string): LinkerdValues {
    const config = this.cluster.objects.find(this.cluster.type('', 'configmaps'), ns, 'linkerd-config');
    return (parse((config?.['data'] as Record<string, string> | undefined)?.['values'] ?? '{}') ??
      {}) as LinkerdValues;
  }

  private namespace(name: string): KubeObject | undefined {
    return this.cluster.objects.find(this.cluster.type('', 'namespaces'), undefined, name);
  }

  private serviceAccountAutomount(pod: KubeObject): boolean | undefined {
    const spec = (pod['spec'] ?? {}) as { serviceAccountName?: string; serviceAccount?: string };
    const name = spec.serviceAccountName || spec.serviceAccount || 'default';
    const sa = this.cluster.objects.find(
      this.cluster.type('', 'serviceaccounts'),
      pod.metadata.namespace,
      name,
    );
    return sa?.['automountServiceAccountToken'] as boolean | undefined;
  }

  /**
   * The owner the injector reports (lower-case kind): a ReplicaSet's Deployment, a Job's
   * CronJob, else the direct owner; a pod with no or several owners is its own ("pod").
   */
  private owner(pod: KubeObject): { kind: string; name: string } {
    const refs = pod.metadata.ownerReferences ?? [];
    const self = { kind: 'pod', name: pod.metadata.name ?? pod.metadata.generateName ?? '' };
    if (refs.length !== 1) return self;
    const ref = refs[0]!;
    const lookup =
      ref.kind === 'ReplicaSet'
        ? this.cluster.type('apps', 'replicasets')
        : ref.kind === 'Job'
          ? this.cluster.type('batch', 'jobs')
          : undefined;
    if (!lookup) return { kind: ref.kind.toLowerCase(), name: ref.name };
    const parent = this.cluster.objects.find(lookup, pod.metadata.namespace, ref.name);
    const grand = parent?.metadata.ownerReferences ?? [];
    // A ReplicaSet counts as owned only by a Deployment; a Job by whatever single owner it has.
    if (ref.kind === 'ReplicaSet' && !grand.some((g) => g.kind === 'Deployment'))
      return { kind: 'replicaset', name: ref.name };
    if (grand.length === 1) return { kind: grand[0]!.kind.toLowerCase(), name: grand[0]!.name };
    return { kind: ref.kind.toLowerCase(), name: ref.name };
  }

  /** The owner object events are recorded on (a bare pod does not exist yet: no event). */
  private parentObject(namespace: string, owner: { kind: string; name: string }): KubeObject | undefined {
    const types: Record<string, [string, string]> = {
      deployment: ['apps', 'deployments'],
      replicaset: ['apps', 'replicasets'],
      statefulset: ['apps', 'statefulsets'],
      daemonset: ['apps', 'daemonsets'],
      job: ['batch', 'jobs'],
      cronjob: ['batch', 'cronjobs'],
      replicationcontroller: ['', 'replicationcontrollers'],
    };
    const t = types[owner.kind];
    if (!t) return undefined;
    const type = this.cluster.registry.all().find((x) => x.group === t[0] && x.plural === t[1]);
    return type ? this.cluster.objects.find(type, namespace, owner.name) : undefined;
  }

  private emptyConfigLabels(): Record<string, string> {
    return Object.fromEntries(PROXY_CONFIG_ANNOTATIONS.map((a) => [configLabelName(a), '']));
  }

  /** The pod's own config annotations as label values (before any namespace inheritance). */
  private configLabels(pod: KubeObject): Record<string, string> {
    const ann = pod.metadata.annotations ?? {};
    return Object.fromEntries(PROXY_CONFIG_ANNOTATIONS.map((a) => [configLabelName(a), ann[a] ?? '']));
  }

  /** The injector replica the webhook Service routes this call to (round robin over ready ones). */
  private servingPod(ns: string): string | undefined {
    const pods = this.cluster.store
      .list('/pods', ns)
      .filter((p) => this.isInjectorPod(p) && podReady(p))
      .sort((a, b) => String(a.metadata.name).localeCompare(String(b.metadata.name)));
    if (!pods.length) return undefined;
    return pods[this.turn++ % pods.length]!.metadata.uid;
  }

  private count(
    server: string | undefined,
    family: keyof InjectorCounters,
    labels: Record<string, string>,
  ): void {
    if (!server) return;
    let c = this.counters.get(server);
    if (!c) {
      // Forget replicas that are gone: a restarted injector starts from zero.
      const live = new Set(this.cluster.store.list('/pods').map((p) => p.metadata.uid));
      for (const uid of this.counters.keys()) if (!live.has(uid)) this.counters.delete(uid);
      c = { requests: new Map(), responses: new Map() };
      this.counters.set(server, c);
    }
    const key = Object.keys(labels)
      .sort()
      .map((k) => `${k}="${labels[k]!.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`)
      .join(',');
    c[family].set(key, (c[family].get(key) ?? 0) + 1);
  }
}
