// Control plane vs data plane skew (reference §3.5): proxies may trail the control plane by up
// to one major; more, or proxies ahead of it, is unsupported.
import type { VersionCount, VersionSkew } from '@meshfleet/agent-protocol';
import {
  compareLinkerdVersions,
  majorsBetween,
  parseLinkerdVersion,
  type LinkerdVersion,
} from './linkerd-version';

export function versionSkew(controlPlaneVersion: string | null, proxyVersions: VersionCount[]): VersionSkew {
  const cp = controlPlaneVersion ? parseLinkerdVersion(controlPlaneVersion) : null;
  const proxies = proxyVersions
    .filter((p) => p.count > 0)
    .map((p) => parseLinkerdVersion(p.version))
    .filter((v): v is LinkerdVersion => v !== null)
    .sort((a, b) => compareLinkerdVersions(a, b) ?? (a.major ?? 0) - (b.major ?? 0));
  const oldest = proxies[0] ?? null;
  const newest = proxies[proxies.length - 1] ?? null;
  const base = {
    controlPlane: controlPlaneVersion,
    oldestProxy: oldest?.raw ?? null,
    newestProxy: newest?.raw ?? null,
  };
  if (!cp || !oldest || !newest) return { ...base, maxMajorsBehind: null, status: 'unknown' };

  const behind = majorsBetween(cp, oldest);
  const ahead = majorsBetween(newest, cp);
  if (behind === null || ahead === null) return { ...base, maxMajorsBehind: behind, status: 'unknown' };
  const allMatch = proxies.every((p) => p.raw === cp.raw);
  const status = behind > 1 || ahead > 0 ? 'unsupported' : allMatch ? 'none' : 'within-support';
  return { ...base, maxMajorsBehind: behind, status };
}
