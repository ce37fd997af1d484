// The Helm values Meshfleet would install with, for a cluster exported to Git. Public material
// only: the issuer key stays in the cluster's `linkerd-identity-issuer` Secret
// (scheme kubernetes.io/tls), the trust anchor is a public certificate bundle.
import { createHash } from 'node:crypto';
import type { ChartSource } from './chart-source';

export interface GitopsCluster {
  id: string;
  name: string;
  /** Installed (or intended) release, e.g. edge-26.8.3. */
  version: string;
  ha: boolean;
  trustDomain: string;
  /** PEM bundle of the identity domain's trust anchors; null when Meshfleet does not know it. */
  trustAnchorsPem: string | null;
  controlPlaneNamespace: string;
  extensions: 'viz'[];
  /** viz's external Prometheus (the report's); absent or null: the bundled one. */
  vizPrometheusUrl?: string | null;
}

/**
 * A fixed daily heartbeat time per cluster. The chart otherwise computes "now + 10 min" on each
 * render, so the CronJob would differ on every sync; hashing the id spreads the fleet over the day.
 */
export function heartbeatScheduleFor(clusterId: string): string {
  const h = createHash('sha256').update(clusterId).digest();
  return `${h[0]! % 60} ${h[1]! % 24} * * *`;
}

export function crdsValues(source: ChartSource): Record<string, unknown> {
  // Gateway API CRDs are left to the cluster (Linkerd's own advice since 2.18).
  return source.enterprise ? {} : { installGatewayAPI: false };
}

export function controlPlaneValues(c: GitopsCluster, source: ChartSource): Record<string, unknown> {
  const values: Record<string, unknown> = {
    identityTrustDomain: c.trustDomain,
    identityTrustAnchorsPEM: c.trustAnchorsPem ?? '',
    identity: { issuer: { scheme: 'kubernetes.io/tls' } },
    heartbeatSchedule: heartbeatScheduleFor(c.id),
  };
  if (source.enterprise) values.licenseSecret = 'buoyant-license';
  if (c.ha)
    Object.assign(values, {
      // The parts of the chart's values-ha.yaml that change behaviour (resources left to the chart).
      highAvailability: true,
      controllerReplicas: 3,
      enablePodAntiAffinity: true,
      enablePodDisruptionBudget: true,
      webhookFailurePolicy: 'Fail',
    });
  return values;
}

export function vizValues(c: GitopsCluster): Record<string, unknown> {
  // As installExtension's prometheusUrl: the chart's own switch to an external Prometheus.
  return c.vizPrometheusUrl
    ? {
        linkerdNamespace: c.controlPlaneNamespace,
        prometheusUrl: c.vizPrometheusUrl,
        prometheus: { enabled: false },
      }
    : { linkerdNamespace: c.controlPlaneNamespace };
}
