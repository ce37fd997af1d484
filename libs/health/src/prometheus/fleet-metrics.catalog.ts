// Every metric family the fleet endpoint exposes, with its HELP text: the endpoint always writes
// each family's HELP and TYPE (even with no samples), and the Grafana dashboard test checks its
// queries against this list. Label values are the API's own enum values (HEALTHY, CRITICAL, …).
import type { MetricType } from './exposition';

export interface FamilyDef {
  name: string;
  type: MetricType;
  help: string;
  /** Labels beyond the per-cluster ones (cluster, provider, region). */
  labels: readonly string[];
}

/**
 * Labels on every per-cluster series: bounded by the fleet's size (no pod or workload labels).
 * `cluster` (the name, unique in an organization) identifies the cluster; its id is on the info
 * series only (join with `* on(cluster) group_left(cluster_id) meshfleet_cluster_info`), which
 * keeps some 50 bytes off each of a large scrape's several hundred thousand lines.
 */
export const CLUSTER_LABELS = ['cluster', 'provider', 'region'] as const;

export const HEALTH_STATES = ['HEALTHY', 'DEGRADED', 'UNHEALTHY', 'UNKNOWN', 'NOT_INSTALLED'] as const;
export const AGENT_STATES = ['CONNECTED', 'OFFLINE', 'PENDING'] as const;
export const ALERT_SEVERITIES = ['CRITICAL', 'WARNING', 'INFO'] as const;
export const CERTIFICATE_ROLES = ['trust-anchor', 'issuer', 'webhook'] as const;

export const MESH_FAMILIES = {
  info: {
    name: 'meshfleet_cluster_info',
    type: 'gauge',
    help: "A cluster's id, versions and settings (always 1); empty label values are unknown",
    labels: ['cluster_id', 'linkerd_version', 'agent_version', 'kubernetes_version', 'proxy_skew', 'mode'],
  },
  agentStatus: {
    name: 'meshfleet_cluster_agent_status',
    type: 'gauge',
    help: "1 for the agent's current connection status (CONNECTED, OFFLINE, PENDING), 0 for the others",
    labels: ['status'],
  },
  healthStatus: {
    name: 'meshfleet_cluster_health_status',
    type: 'gauge',
    help: '1 for the cluster health state the API shows, 0 for the others; UNKNOWN when the agent is not connected or its report is stale',
    labels: ['state'],
  },
  failingChecks: {
    name: 'meshfleet_cluster_failing_checks',
    type: 'gauge',
    help: 'Linkerd checks of the latest report that ended in error or warning',
    labels: ['result'],
  },
  podCoverage: {
    name: 'meshfleet_cluster_mtls_pod_coverage_ratio',
    type: 'gauge',
    help: 'Share of pods that run a Linkerd proxy (0..1)',
    labels: [],
  },
  trafficCoverage: {
    name: 'meshfleet_cluster_mtls_traffic_coverage_ratio',
    type: 'gauge',
    help: 'Share of inbound meshed traffic over mTLS, the worse of requests and connections (0..1)',
    labels: [],
  },
  meshedPods: {
    name: 'meshfleet_cluster_meshed_pods',
    type: 'gauge',
    help: 'Pods that run a Linkerd proxy',
    labels: [],
  },
  pods: {
    name: 'meshfleet_cluster_pods',
    type: 'gauge',
    help: 'Pods the agent counted for mTLS coverage',
    labels: [],
  },
  certificateExpiry: {
    name: 'meshfleet_cluster_certificate_expiry_timestamp_seconds',
    type: 'gauge',
    help: 'When the first certificate of a role (trust-anchor, issuer, webhook) expires, in Unix seconds',
    labels: ['role'],
  },
  openAlerts: {
    name: 'meshfleet_cluster_open_alerts',
    type: 'gauge',
    help: 'Firing alerts of the cluster, by severity',
    labels: ['severity'],
  },
  reportTimestamp: {
    name: 'meshfleet_cluster_last_report_timestamp_seconds',
    type: 'gauge',
    help: 'When the agent generated its latest stored report, in Unix seconds',
    labels: [],
  },
  driftFindings: {
    name: 'meshfleet_cluster_drift_findings',
    type: 'gauge',
    help: 'Fields of Linkerd objects and pods that differ from the desired state in the latest drift check; absent before the first check',
    labels: [],
  },
  reportAge: {
    name: 'meshfleet_cluster_last_report_age_seconds',
    type: 'gauge',
    help: 'Seconds since the agent generated its latest stored report, at scrape time',
    labels: [],
  },
} as const satisfies Record<string, FamilyDef>;

/**
 * Proxy and control-plane resource families, from the report's bounded resource block
 * (ClusterHealth.resources): samples for clusters whose agent reports resources; the dashboard's
 * resource row uses them. `component` values are bounded (≤ 8 control-plane components a cluster).
 */
export const RESOURCE_FAMILIES = {
  proxyMemory: {
    name: 'meshfleet_cluster_proxy_memory_bytes',
    type: 'gauge',
    help: 'Memory of one linkerd-proxy container across the cluster at a quantile (0.5, 0.95; 1 is the largest)',
    labels: ['quantile'],
  },
  proxiesMemory: {
    name: 'meshfleet_cluster_proxies_memory_bytes',
    type: 'gauge',
    help: 'Memory of all measured linkerd-proxy containers of the cluster together (a sample of them when the agent sampled the proxies)',
    labels: [],
  },
  proxiesCpu: {
    name: 'meshfleet_cluster_proxies_cpu_cores',
    type: 'gauge',
    help: 'CPU use of all measured linkerd-proxy containers of the cluster together, in cores (CPU seconds per second)',
    labels: [],
  },
  memoryOverhead: {
    name: 'meshfleet_cluster_proxy_memory_overhead_ratio',
    type: 'gauge',
    help: "Memory of the meshed pods' proxies divided by the memory of their application containers; only when metrics-server measured them and the report's namespaces cover the cluster",
    labels: [],
  },
  proxyOomKilled: {
    name: 'meshfleet_cluster_proxy_oom_killed_containers',
    type: 'gauge',
    help: 'linkerd-proxy containers whose last termination was OOMKilled',
    labels: [],
  },
  proxyRestarts: {
    name: 'meshfleet_cluster_proxy_container_restarts',
    type: 'gauge',
    help: 'Restarts of the linkerd-proxy containers of current pods, summed',
    labels: [],
  },
  controlPlaneMemory: {
    name: 'meshfleet_cluster_control_plane_memory_bytes',
    type: 'gauge',
    help: 'Memory of a Linkerd control-plane component (destination, identity, proxy-injector, …), all replicas',
    labels: ['component'],
  },
  controlPlaneMemoryLimit: {
    name: 'meshfleet_cluster_control_plane_memory_limit_bytes',
    type: 'gauge',
    help: 'Memory limit of one replica of a Linkerd control-plane component',
    labels: ['component'],
  },
  controlPlaneMemoryLimitRatio: {
    name: 'meshfleet_cluster_control_plane_memory_limit_ratio',
    type: 'gauge',
    help: "The highest working set ÷ memory limit among a Linkerd control-plane component's containers (one replica's, unlike the summed memory)",
    labels: ['component'],
  },
  controlPlaneCpu: {
    name: 'meshfleet_cluster_control_plane_cpu_cores',
    type: 'gauge',
    help: 'CPU use of a Linkerd control-plane component, all replicas, in cores',
    labels: ['component'],
  },
  controlPlaneRestarts: {
    name: 'meshfleet_cluster_control_plane_container_restarts',
    type: 'gauge',
    help: 'Restarts of the containers of a Linkerd control-plane component, summed',
    labels: ['component'],
  },
} as const satisfies Record<string, FamilyDef>;

/** Organization-wide families (no cluster labels). */
export const FLEET_FAMILIES = {
  openAlerts: {
    name: 'meshfleet_fleet_open_alerts',
    type: 'gauge',
    help: 'Firing alerts of the organization by severity, those without a cluster (rollouts) included',
    labels: ['severity'],
  },
  clusters: {
    name: 'meshfleet_fleet_clusters',
    type: 'gauge',
    help: 'Clusters the endpoint reports on (deregistered ones are left out)',
    labels: [],
  },
} as const satisfies Record<string, FamilyDef>;

/** Every family name the endpoint declares, for the dashboard check and the README. */
export const FLEET_METRIC_NAMES: readonly string[] = [
  ...Object.values(MESH_FAMILIES),
  ...Object.values(RESOURCE_FAMILIES),
  ...Object.values(FLEET_FAMILIES),
].map((f) => f.name);
