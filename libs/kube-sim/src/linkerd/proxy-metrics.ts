// Prometheus text a pod's proxy serves on :4191/metrics. Counters grow with the pod's age
// and the traffic graph; TLS labels follow the rules in linkerd.md §4.2: mTLS only when
// both ends are meshed with the same trust roots, kubelet probes as no_tls_from_remote.
import { KubeObject } from '../store/types';
import { hasProxy } from './proxy-spec';

export interface TrafficEdge {
  from: string;
  to: string;
  rps: number;
  connections: number;
  successRate: number;
}

export interface WorkloadView {
  namespace: string;
  name: string;
  pods: KubeObject[];
  port: number;
}

export interface MetricsContext {
  now: number;
  controlPlaneNs: string;
  trustDomain: string;
  edges: TrafficEdge[];
  workload: (ref: string) => WorkloadView | undefined;
  /** Unix seconds when this pod's leaf certificate expires (0 when it never got one). */
  certExpiry: number;
  /** The proxy process's own figures (the usage model); absent → only its start time. */
  process?: { cpuSeconds: number; residentBytes: number; startedAt: number };
}

export function workloadOf(pod: KubeObject): string {
  const ref = pod.metadata.ownerReferences?.find((r) => r.controller);
  const hash = pod.metadata.labels?.['pod-template-hash'];
  if (ref?.kind === 'ReplicaSet' && hash && ref.name.endsWith(`-${hash}`))
    return ref.name.slice(0, -hash.length - 1);
  return ref?.name ?? pod.metadata.name ?? '';
}

const sa = (pod: KubeObject): string =>
  (pod['spec'] as { serviceAccountName?: string }).serviceAccountName ?? 'default';
const rootSha = (pod: KubeObject): string | undefined =>
  pod.metadata.annotations?.['linkerd.io/trust-root-sha256'];

function identity(pod: KubeObject, ctx: MetricsContext): string {
  return `${sa(pod)}.${pod.metadata.namespace}.serviceaccount.identity.${ctx.controlPlaneNs}.${ctx.trustDomain}`;
}

function labels(map: Record<string, string | undefined>): string {
  return Object.entries(map)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}="${String(v).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`)
    .join(',');
}

/** Both ends meshed with matching trust roots → mutual TLS. */
function secured(a: KubeObject, b: KubeObject[]): boolean {
  return hasProxy(a) && b.length > 0 && b.every((p) => hasProxy(p) && rootSha(p) === rootSha(a));
}

export function renderProxyMetrics(pod: KubeObject, ctx: MetricsContext): string {
  const started = Date.parse(
    (pod['status'] as { startTime?: string } | undefined)?.startTime ?? new Date(ctx.now).toISOString(),
  );
  const age = Math.max(0, (ctx.now - started) / 1000);
  const ns = pod.metadata.namespace ?? '';
  const self = `${ns}/${workloadOf(pod)}`;
  const selfView = ctx.workload(self);
  const share = Math.max(1, selfView?.pods.length ?? 1);
  const lines: string[] = [];
  const series = new Map<string, Array<[string, number]>>();
  const push = (metric: string, l: string, v: number): void => {
    const list = series.get(metric) ?? [];
    list.push([l, v]);
    series.set(metric, list);
  };

  for (const e of ctx.edges.filter((x) => x.from === self)) {
    const dst = ctx.workload(e.to);
    if (!dst) continue;
    const tls = secured(pod, dst.pods);
    const base = {
      direction: 'outbound',
      authority: `${dst.name}.${dst.namespace}.svc.cluster.local:${dst.port}`,
      dst_namespace: dst.namespace,
      dst_deployment: dst.name,
      dst_serviceaccount: dst.pods[0] ? sa(dst.pods[0]) : undefined,
      tls: tls ? 'true' : 'no_identity',
      ...(tls
        ? { server_id: dst.pods[0] ? identity(dst.pods[0], ctx) : undefined }
        : { no_tls_reason: 'not_provided_by_service_discovery' }),
    };
    const total = Math.floor((e.rps * age) / share);
    push('request_total', labels(base), total);
    push(
      'response_total',
      labels({ ...base, status_code: '200', classification: 'success' }),
      Math.floor(total * e.successRate),
    );
    if (e.successRate < 1)
      push(
        'response_total',
        labels({ ...base, status_code: '500', classification: 'failure' }),
        total - Math.floor(total * e.successRate),
      );
    const tcp = { ...base, peer: 'dst', authority: undefined };
    push('tcp_open_total', labels(tcp), e.connections + Math.floor(age / 300));
    push('tcp_open_connections', labels(tcp), e.connections);
  }

  for (const e of ctx.edges.filter((x) => x.to === self)) {
    const src = ctx.workload(e.from);
    if (!src) continue;
    const srcPods = src.pods.length ? src.pods : [];
    const tls = srcPods.length > 0 && srcPods.every((p) => secured(p, [pod]));
    const base = {
      direction: 'inbound',
      authority: `${selfView?.name ?? workloadOf(pod)}.${ns}.svc.cluster.local:${selfView?.port ?? 8080}`,
      target_addr: `${(pod['status'] as { podIP?: string } | undefined)?.podIP ?? '0.0.0.0'}:${selfView?.port ?? 8080}`,
      tls: tls ? 'true' : 'no_identity',
      ...(tls
        ? { client_id: srcPods[0] ? identity(srcPods[0], ctx) : undefined }
        : { no_tls_reason: 'no_tls_from_remote' }),
      srv_kind: 'default',
      srv_name: 'all-unauthenticated',
    };
    const total = Math.floor((e.rps * age) / share);
    push('request_total', labels(base), total);
    push(
      'response_total',
      labels({ ...base, status_code: '200', classification: 'success' }),
      Math.floor(total * e.successRate),
    );
    const tcp = { ...base, peer: 'src', authority: undefined };
    push('tcp_open_total', labels(tcp), e.connections * src.pods.length + Math.floor(age / 300));
    push('tcp_open_connections', labels(tcp), e.connections * src.pods.length);
  }

  // Kubelet readiness/liveness probes reach the admin port in plaintext.
  const probe = {
    direction: 'inbound',
    authority: `${(pod['status'] as { podIP?: string } | undefined)?.podIP ?? '0.0.0.0'}:4191`,
    target_addr: `${(pod['status'] as { podIP?: string } | undefined)?.podIP ?? '0.0.0.0'}:4191`,
    tls: 'no_identity',
    no_tls_reason: 'no_tls_from_remote',
    srv_kind: 'default',
    srv_name: 'all-unauthenticated',
  };
  const probes = Math.floor(age / 10) * 2;
  push('request_total', labels(probe), probes);
  push('tcp_open_total', labels({ ...probe, peer: 'src', authority: undefined }), probes);
  push('tcp_open_connections', labels({ ...probe, peer: 'src', authority: undefined }), 0);

  const help: Record<string, [string, string]> = {
    request_total: ['counter', 'Total count of HTTP requests.'],
    response_total: ['counter', 'Total count of HTTP responses.'],
    tcp_open_total: ['counter', 'Total count of opened connections'],
    tcp_open_connections: ['gauge', 'Number of currently-open connections'],
  };
  for (const [metric, rows] of series) {
    const [kind, text] = help[metric] ?? ['untyped', metric];
    lines.push(`# HELP ${metric} ${text}`, `# TYPE ${metric} ${kind}`);
    for (const [l, v] of rows) lines.push(`${metric}{${l}} ${v}`);
  }
  const version = pod.metadata.annotations?.['linkerd.io/proxy-version'] ?? 'unknown';
  lines.push(
    "# HELP identity_cert_expiration_timestamp_seconds Time when this proxy's current mTLS identity certificate will expire (in seconds since the UNIX epoch)",
    '# TYPE identity_cert_expiration_timestamp_seconds gauge',
    `identity_cert_expiration_timestamp_seconds ${ctx.certExpiry}`,
    "# HELP identity_cert_refresh_count The total number of times this proxy's mTLS identity certificate has been refreshed by the Identity provider.",
    '# TYPE identity_cert_refresh_count counter',
    `identity_cert_refresh_count ${ctx.certExpiry > 0 ? 1 + Math.floor(age / 72_000) : 0}`,
    '# HELP proxy_build_info Proxy build info',
    '# TYPE proxy_build_info gauge',
    `proxy_build_info{${labels({ version, git_sha: 'simulated', profile: 'release', vendor: 'linkerd' })}} 1`,
    '# HELP process_start_time_seconds Time that the process started (in seconds since the UNIX epoch)',
    '# TYPE process_start_time_seconds gauge',
    `process_start_time_seconds ${Math.floor((ctx.process?.startedAt ?? started) / 1000)}`,
  );
  if (ctx.process)
    lines.push(
      '# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.',
      '# TYPE process_cpu_seconds_total counter',
      `process_cpu_seconds_total ${Number(ctx.process.cpuSeconds.toFixed(6))}`,
      '# HELP process_resident_memory_bytes Resident memory size in bytes.',
      '# TYPE process_resident_memory_bytes gauge',
      `process_resident_memory_bytes ${ctx.process.residentBytes}`,
      '# HELP process_virtual_memory_bytes Virtual memory size in bytes.',
      '# TYPE process_virtual_memory_bytes gauge',
      `process_virtual_memory_bytes ${ctx.process.residentBytes * 4 + 64 * 1024 * 1024}`,
      '# HELP process_open_fds Number of open file descriptors.',
      '# TYPE process_open_fds gauge',
      `process_open_fds ${24 + Math.round(ctx.process.residentBytes / (1024 * 1024))}`,
      '# HELP process_max_fds Maximum number of open file descriptors.',
      '# TYPE process_max_fds gauge',
      'process_max_fds 1048576',
    );
  return lines.join('\n') + '\n';
}
