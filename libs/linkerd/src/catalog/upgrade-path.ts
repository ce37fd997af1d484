// Upgrade-path policy (reference §3.5): any newer release within a major, only the next major,
// the cluster's Kubernetes within the target's range, no downgrade unless asked for, and proxies
// at most one major behind the new control plane. Reasons are shown to users verbatim.
import {
  compareKubernetesVersions,
  parseKubernetesVersion,
  type KubernetesVersion,
} from '../version/kubernetes-version';
import {
  compareLinkerdVersions,
  majorsBetween,
  parseLinkerdVersion,
  type LinkerdVersion,
} from '../version/linkerd-version';
import type { KubernetesRange } from './release.types';

export type UpgradeRefusalCode =
  | 'SKIPS_MAJOR'
  | 'DOWNGRADE'
  | 'KUBERNETES_UNSUPPORTED'
  | 'PROXY_TOO_OLD'
  | 'SAME_VERSION'
  | 'UNKNOWN_VERSION';

export type UpgradePathDecision =
  { allowed: true } | { allowed: false; code: UpgradeRefusalCode; reason: string };

export interface UpgradePathInput {
  /** Current control-plane version; null for a fresh install. */
  from: string | null;
  to: string;
  clusterKubernetesVersion: string;
  target: KubernetesRange;
  allowDowngrade?: boolean;
  /** Oldest proxy version running in the data plane, when known. */
  oldestProxyVersion?: string | null;
}

const refuse = (code: UpgradeRefusalCode, reason: string): UpgradePathDecision => ({
  allowed: false,
  code,
  reason,
});
/** A release whose major is known; only those can be placed on an upgrade path. */
type Known = LinkerdVersion & { major: number };

const stable = (major: number): string => `2.${major}`;
const named = (v: Known): string => `${v.raw} (Linkerd ${stable(v.major)})`;

function known(raw: string): Known | null {
  const v = parseLinkerdVersion(raw);
  return v && v.major !== null ? (v as Known) : null;
}

// Ranges are published per minor ("1.35"), so any patch of the last minor is in range.
const minorOnly = (v: KubernetesVersion): KubernetesVersion => ({ ...v, patch: 0 });

function kubernetesDecision(input: UpgradePathInput, to: Known): UpgradePathDecision | null {
  const cluster = parseKubernetesVersion(input.clusterKubernetesVersion);
  if (!cluster) {
    return refuse(
      'UNKNOWN_VERSION',
      `The cluster's Kubernetes version "${input.clusterKubernetesVersion}" could not be read.`,
    );
  }
  const min = parseKubernetesVersion(input.target.kubernetesMin);
  const max = input.target.kubernetesMax ? parseKubernetesVersion(input.target.kubernetesMax) : null;
  const range = `${input.target.kubernetesMin}–${input.target.kubernetesMax ?? 'latest'}`;
  const shown = `${cluster.major}.${cluster.minor}`;
  if (min && compareKubernetesVersions(minorOnly(cluster), minorOnly(min)) < 0) {
    return refuse(
      'KUBERNETES_UNSUPPORTED',
      `${to.raw} supports Kubernetes ${range}, but the cluster runs ${shown}. Upgrade Kubernetes to at least ${input.target.kubernetesMin} first.`,
    );
  }
  if (max && compareKubernetesVersions(minorOnly(cluster), minorOnly(max)) > 0) {
    return refuse(
      'KUBERNETES_UNSUPPORTED',
      `${to.raw} supports Kubernetes ${range}, but the cluster runs ${shown}, which is newer than that release was tested with. Choose a newer Linkerd release.`,
    );
  }
  return null;
}

function pathDecision(from: Known, to: Known, allowDowngrade: boolean): UpgradePathDecision | null {
  const order = compareLinkerdVersions(to, from);
  if (from.raw === to.raw || (order === 0 && from.major === to.major)) {
    return refuse('SAME_VERSION', `The control plane already runs ${from.raw}.`);
  }
  const majors = majorsBetween(to, from) ?? 0;
  // Different channels of one major (edge vs enterprise) cannot be ordered; a move between
  // them is treated as lateral and allowed.
  const down = majors < 0 || (majors === 0 && order !== null && order < 0);
  if (down && !allowDowngrade) {
    return refuse(
      'DOWNGRADE',
      `${named(to)} is older than the running ${named(from)}. Downgrades are refused unless explicitly allowed.`,
    );
  }
  if (Math.abs(majors) > 1) {
    const step = Math.sign(majors);
    const skipped = Array.from({ length: Math.abs(majors) - 1 }, (_, i) =>
      stable(from.major + step * (i + 1)),
    );
    return refuse(
      'SKIPS_MAJOR',
      `Moving from ${named(from)} to ${named(to)} skips Linkerd ${skipped.join(' and ')}. Linkerd must be upgraded one major at a time: move to a ${skipped[0]} release first.`,
    );
  }
  return null;
}

function proxyDecision(oldestProxy: string, to: Known, from: Known | null): UpgradePathDecision | null {
  const proxy = known(oldestProxy);
  if (!proxy) return null; // unknown or custom proxy builds cannot be judged
  const behind = majorsBetween(to, proxy);
  if (behind === null || behind <= 1) return null;
  const current = from ? ` on the current control plane (${from.raw})` : '';
  return refuse(
    'PROXY_TOO_OLD',
    `Meshed workloads still run proxy ${named(proxy)}, ${behind} majors behind ${named(to)}; proxies may lag the control plane by at most one major. Restart the data plane${current} so every proxy is updated, then upgrade.`,
  );
}

export function checkUpgradePath(input: UpgradePathInput): UpgradePathDecision {
  const to = known(input.to);
  if (!to) {
    return refuse(
      'UNKNOWN_VERSION',
      `"${input.to}" is not a Linkerd release name with a known major version.`,
    );
  }
  const from = input.from === null ? null : known(input.from);
  if (input.from !== null && !from) {
    return refuse(
      'UNKNOWN_VERSION',
      `The running control-plane version "${input.from}" is not a Linkerd release name, so no upgrade path can be checked.`,
    );
  }
  const decision =
    (from && pathDecision(from, to, input.allowDowngrade === true)) ||
    kubernetesDecision(input, to) ||
    (input.oldestProxyVersion ? proxyDecision(input.oldestProxyVersion, to, from) : null);
  return decision ?? { allowed: true };
}
