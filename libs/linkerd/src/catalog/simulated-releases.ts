// The simulated catalog: real release names of 2.18–2.20 (reference §6) whose bundles are rendered
// by this library instead of imported, so the simulator and the demo need no helm.
import {
  maximumKubernetesFor,
  minimumKubernetesFor,
  type KubernetesVersion,
} from '../version/kubernetes-version';
import { parseLinkerdVersion } from '../version/linkerd-version';
import { UnknownReleaseError } from './catalog.errors';
import type { CatalogRelease, KubernetesRange } from './release.types';

const minor = (v: KubernetesVersion): string => `${v.major}.${v.minor}`;

/** Range per major: chart `kubeVersion` floor (stricter than the docs) to the docs' newest tested minor. */
export function kubernetesRangeFor(major: number): KubernetesRange {
  const max = maximumKubernetesFor(major);
  return { kubernetesMin: minor(minimumKubernetesFor(major)), kubernetesMax: max ? minor(max) : null };
}

const VERSIONS = [
  'edge-25.4.4', // 2.18
  'enterprise-2.18.0',
  'edge-25.10.7', // 2.19
  'enterprise-2.19.0',
  'enterprise-2.19.1',
  'edge-26.6.3', // 2.20
  'edge-26.8.3',
  'enterprise-2.20.0',
] as const;

function describeRelease(version: string): CatalogRelease {
  const parsed = parseLinkerdVersion(version);
  // The list above is static, so this only fires if someone adds a bad name.
  if (!parsed || parsed.major === null) throw new UnknownReleaseError(version);
  return {
    version,
    major: parsed.major,
    channel: parsed.channel,
    ...kubernetesRangeFor(parsed.major),
    simulated: true,
  };
}

export const SIMULATED_RELEASES: readonly CatalogRelease[] = Object.freeze(VERSIONS.map(describeRelease));

export function findSimulatedRelease(version: string): CatalogRelease {
  const release = SIMULATED_RELEASES.find((r) => r.version === version.trim());
  if (!release) throw new UnknownReleaseError(version);
  return release;
}
