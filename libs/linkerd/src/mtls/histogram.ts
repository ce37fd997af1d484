import type { VersionCount } from '@meshfleet/agent-protocol';
import { LIMITS } from '@meshfleet/agent-protocol';

/** Counts versions, most common first; unknown versions (digest-pinned images) as "unknown". */
export function versionHistogram(versions: ReadonlyArray<string | null>): VersionCount[] {
  const counts = new Map<string, number>();
  for (const v of versions) counts.set(v ?? 'unknown', (counts.get(v ?? 'unknown') ?? 0) + 1);
  return [...counts.entries()]
    .map(([version, count]) => ({ version, count }))
    .sort((a, b) => b.count - a.count || a.version.localeCompare(b.version))
    .slice(0, LIMITS.proxyVersions);
}
