import {
  DEFAULT_CERT_EXPIRY_WARNING_DAYS,
  DEFAULT_CONTROL_PLANE_NAMESPACE,
  DEFAULT_VIZ_NAMESPACE,
} from '../constants';

export interface CheckOptions {
  controlPlaneNamespace?: string;
  vizNamespace?: string;
  /** Certificates expiring within this many days are warnings (CLI: 60, not configurable there). */
  certExpiryWarningDays?: number;
  /**
   * Latest releases known to the caller (one per channel, e.g. ['edge-26.8.3', 'enterprise-2.20.0']),
   * replacing the CLI's call to versioncheck.linkerd.io. Without it the "up-to-date" checks compare
   * proxies to the control plane and skip the control plane's own check.
   */
  latestKnownVersion?: string | readonly string[];
  /** Include the `--proxy` categories (default true). */
  proxy?: boolean;
  /** Like `linkerd check --proxy -n <ns>`: limits data-plane checks to one namespace. */
  dataPlaneNamespace?: string;
}

export interface ResolvedCheckOptions {
  controlPlaneNamespace: string;
  vizNamespace: string;
  certExpiryWarningDays: number;
  latestKnownVersions: string[];
  proxy: boolean;
  dataPlaneNamespace: string | null;
}

export function resolveCheckOptions(o: CheckOptions = {}): ResolvedCheckOptions {
  const latest = o.latestKnownVersion;
  return {
    controlPlaneNamespace: o.controlPlaneNamespace ?? DEFAULT_CONTROL_PLANE_NAMESPACE,
    vizNamespace: o.vizNamespace ?? DEFAULT_VIZ_NAMESPACE,
    certExpiryWarningDays: o.certExpiryWarningDays ?? DEFAULT_CERT_EXPIRY_WARNING_DAYS,
    latestKnownVersions: latest === undefined ? [] : typeof latest === 'string' ? [latest] : [...latest],
    proxy: o.proxy ?? true,
    dataPlaneNamespace: o.dataPlaneNamespace ?? null,
  };
}
