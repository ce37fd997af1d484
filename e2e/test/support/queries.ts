// The GraphQL documents the journey sends, as a portal would.
export const CLUSTERS = `{ clusters(first: 50) { totalCount edges { node {
  id name provider region kubernetesVersion nodeCount labels status
  agent { connected }
  health { status receivedAt categories { name checks { description result } } }
  mtls { podCoverage meshedPods totalPods namespaces { name injection podCoverage workloads { name meshedPods totalPods } } }
  linkerd { installed version proxyVersions { version count } }
} } } }`;

export const FLEET_SUMMARY = `{ fleetSummary {
  health { total healthy degraded unhealthy unknown }
  byProvider { provider total } byRegion { region clusters }
  agentsOffline pendingEnrollment
  versions { version clusters proxiesLagging }
  newestRelease clustersBehindNewest clustersWithoutLinkerd podCoverage trafficCoverage
  worstCoverage { clusterName podCoverage }
  trustAnchorGroups { sha256Fingerprint clusters }
} }`;

export const OPERATION = `id kind status clusterId error steps { step status message }`;
export const ROLLOUT = `id status currentWave pausedReason targets { clusterName wave status reason }`;
export const TERMINAL_OPS = ['SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT'];
export const TERMINAL_ROLLOUTS = ['SUCCEEDED', 'FAILED', 'ABORTED', 'ROLLED_BACK'];
