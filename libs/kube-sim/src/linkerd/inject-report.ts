// Why the proxy injector would or would not inject a pod, decided the way Linkerd's injection
// report does it (skip reasons, annotation truth table, the opaque-ports default) so the
// simulated injector skips exactly the pods the real one skips, for the same stated reasons.
import { KubeObject } from '../store/types';

export const INJECT_ANNOTATION = 'linkerd.io/inject';
export const OPAQUE_PORTS_ANNOTATION = 'config.linkerd.io/opaque-ports';
/** The chart's `proxy.opaquePorts` default: server-speaks-first protocols (SMTP, MySQL, PostgreSQL…). */
export const DEFAULT_OPAQUE_PORTS = '25,587,3306,4444,5432,6379,9300,11211';
const SERVICE_ACCOUNT_MOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';

/** Skip reasons as the injector labels them in `skip_reason`, with its sentence for events. */
export const SKIP_REASONS = {
  host_network_enabled: 'hostNetwork is enabled',
  sidecar_already_exists: 'pod has a sidecar injected already',
  unsupported_resource: 'this resource kind is unsupported',
  injection_enable_annotation_absent: `neither the namespace nor the pod have the annotation "${INJECT_ANNOTATION}:enabled"`,
  injection_disable_annotation_present: `pod has the annotation "${INJECT_ANNOTATION}:disabled"`,
  invalid_inject_annotation_at_workload: `invalid value for annotation "${INJECT_ANNOTATION}" at workload`,
  invalid_inject_annotation_at_ns: `invalid value for annotation "${INJECT_ANNOTATION}" at namespace`,
  disabled_automount_service_account_token_account:
    'automountServiceAccountToken set to "false", with Values.identity.serviceAccountTokenProjection set to "false"',
} as const;

export type SkipReason = keyof typeof SKIP_REASONS;

/**
 * The config annotations the injector turns into metric labels (`config.linkerd.io/<x>` →
 * `<x>` with dashes as underscores); every series carries all of them, empty when unset.
 */
export const PROXY_CONFIG_ANNOTATIONS = [
  'admin-port',
  'control-port',
  'enable-debug-sidecar',
  'enable-external-profiles',
  'image-pull-policy',
  'inbound-port',
  'outbound-port',
  'pod-inbound-ports',
  'proxy-cpu-limit',
  'proxy-cpu-request',
  'proxy-image',
  'proxy-admin-shutdown',
  'proxy-log-format',
  'proxy-log-level',
  'proxy-log-http-headers',
  'proxy-memory-limit',
  'proxy-memory-request',
  'proxy-ephemeral-storage-limit',
  'proxy-ephemeral-storage-request',
  'proxy-uid',
  'proxy-gid',
  'proxy-version',
  'proxy-require-identity-inbound-ports',
  'skip-inbound-ports',
  'opaque-ports',
  'skip-outbound-ports',
  'proxy-metrics-hostname-labels',
  'proxy-outbound-connect-timeout',
  'proxy-inbound-connect-timeout',
  'proxy-await',
  'default-inbound-policy',
  'skip-subnets',
  'access-log',
  'shutdown-grace-period',
  'proxy-outbound-discovery-cache-unused-timeout',
  'proxy-inbound-discovery-cache-unused-timeout',
  'proxy-disable-outbound-protocol-detect-timeout',
  'proxy-disable-inbound-protocol-detect-timeout',
  'proxy-enable-native-sidecar',
  'proxy-additional-env',
].map((k) => `config.linkerd.io/${k}`);

export const configLabelName = (annotation: string): string =>
  annotation.slice(annotation.indexOf('/') + 1).replace(/-/g, '_');

interface Container {
  name?: string;
  image?: string;
  ports?: Array<{ containerPort?: number; protocol?: string }>;
  volumeMounts?: Array<{ mountPath?: string }>;
}

interface PodSpec {
  hostNetwork?: boolean;
  automountServiceAccountToken?: boolean;
  containers?: Container[];
  initContainers?: Container[];
}

export interface InjectReport {
  injectable: boolean;
  reasons: SkipReason[];
  /** Where the annotation that decided came from: 'namespace', 'workload' or ''. */
  annotationAt: '' | 'namespace' | 'workload';
}

export interface ReportInput {
  pod: KubeObject;
  nsAnnotations: Record<string, string>;
  /** `identity.serviceAccountTokenProjection` from linkerd-config (chart default true). */
  tokenProjection: boolean;
  /** The pod's ServiceAccount `automountServiceAccountToken` (undefined when unset or absent). */
  serviceAccountAutomount: boolean | undefined;
}

const VALID = new Set(['enabled', 'disabled', 'ingress']);
const ENABLES = new Set(['enabled', 'ingress']);

/** Linkerd's own sidecar, or Istio's (images or names), in containers or init containers. */
export function hasExistingSidecar(spec: PodSpec): boolean {
  const all = [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
  if (
    all.some(
      (c) =>
        (c.image ?? '').startsWith('cr.l5d.io/linkerd/proxy:') ||
        (c.image ?? '').startsWith('gcr.io/istio-release/proxyv2:') ||
        c.name === 'linkerd-proxy' ||
        c.name === 'istio-proxy',
    )
  )
    return true;
  return (spec.initContainers ?? []).some(
    (c) =>
      (c.image ?? '').startsWith('cr.l5d.io/linkerd/proxy-init:') ||
      (c.image ?? '').startsWith('gcr.io/istio-release/proxy_init:') ||
      c.name === 'linkerd-init' ||
      c.name === 'istio-init',
  );
}

/** The inject annotation's truth table (webhook origin): namespace and pod, invalid values skip. */
function disabledByAnnotation(
  podAnn: string | undefined,
  nsAnn: string | undefined,
): { disabled: boolean; reason?: SkipReason; at: InjectReport['annotationAt'] } {
  const pod = podAnn ?? '';
  const ns = nsAnn ?? '';
  if (ns !== '' && !VALID.has(ns))
    return { disabled: true, reason: 'invalid_inject_annotation_at_ns', at: '' };
  if (pod !== '' && !VALID.has(pod))
    return { disabled: true, reason: 'invalid_inject_annotation_at_workload', at: '' };
  if (ENABLES.has(ns)) {
    if (pod === 'disabled')
      return { disabled: true, reason: 'injection_disable_annotation_present', at: 'workload' };
    return { disabled: false, at: 'namespace' };
  }
  if (!ENABLES.has(pod)) return { disabled: true, reason: 'injection_enable_annotation_absent', at: '' };
  return { disabled: false, at: 'workload' };
}

/**
 * Whether the API server's ServiceAccount admission (which runs before webhooks) mounted the
 * token: unless the pod or its ServiceAccount opts out, or the first container mounts it itself.
 */
function tokenMounted(spec: PodSpec, saAutomount: boolean | undefined): boolean {
  const first = spec.containers?.[0];
  if (first?.volumeMounts?.some((m) => m.mountPath === SERVICE_ACCOUNT_MOUNT)) return true;
  const automount = spec.automountServiceAccountToken ?? saAutomount ?? true;
  return automount && !!first;
}

export function injectReport(input: ReportInput): InjectReport {
  const spec = (input.pod['spec'] ?? {}) as PodSpec;
  const decided = disabledByAnnotation(
    input.pod.metadata.annotations?.[INJECT_ANNOTATION],
    input.nsAnnotations[INJECT_ANNOTATION],
  );
  const reasons: SkipReason[] = [];
  if (spec.hostNetwork) reasons.push('host_network_enabled');
  if (hasExistingSidecar(spec)) reasons.push('sidecar_already_exists');
  if (decided.disabled && decided.reason) reasons.push(decided.reason);
  // With token projection (the default) the proxy gets its own token, so opting out of the
  // ServiceAccount token no longer matters.
  if (!input.tokenProjection && !tokenMounted(spec, input.serviceAccountAutomount))
    reasons.push('disabled_automount_service_account_token_account');
  return { injectable: reasons.length === 0, reasons, annotationAt: decided.at };
}

/** The readable list the InjectionSkipped event carries. */
export const readableReasons = (reasons: SkipReason[]): string =>
  reasons.map((r) => SKIP_REASONS[r]).join(', ');

/** Default opaque ports the pod exposes as container ports (init containers first). */
export function podOpaquePorts(pod: KubeObject, defaults = DEFAULT_OPAQUE_PORTS): string[] {
  const list = defaults.split(',');
  const spec = (pod['spec'] ?? {}) as PodSpec;
  const out: string[] = [];
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])])
    for (const p of c.ports ?? [])
      if (list.includes(String(p.containerPort))) out.push(String(p.containerPort));
  return out;
}

/** Default opaque ports a Service exposes: its port when untargeted, else when its target is one. */
export function serviceOpaquePorts(svc: KubeObject, defaults = DEFAULT_OPAQUE_PORTS): string[] {
  const list = defaults.split(',');
  const ports = ((
    svc['spec'] as { ports?: Array<{ port: number; targetPort?: number | string }> } | undefined
  )?.ports ?? []) as Array<{ port: number; targetPort?: number | string }>;
  const out: string[] = [];
  for (const p of ports) {
    const target = p.targetPort;
    if (target === undefined || target === 0) {
      if (list.includes(String(p.port))) out.push(String(p.port));
    } else if (typeof target === 'number' && list.includes(String(target))) out.push(String(p.port));
  }
  return out;
}
