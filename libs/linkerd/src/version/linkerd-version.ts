// Linkerd release names (reference §6): edge-YY.M.N, stable-2.X.Y, enterprise-2.X.Y[-H],
// preview-YY.M.N and the per-major git tag version-2.X[.Y].

export type LinkerdChannel = 'edge' | 'stable' | 'enterprise' | 'preview' | 'version';

export interface LinkerdVersion {
  raw: string;
  channel: LinkerdChannel;
  /** Numeric parts after the channel: [YY, M, N] for edge/preview, [2, X, Y] otherwise. */
  parts: [number, number, number];
  hotpatch: number;
  /** Linkerd 2.X major as X; null for edge releases older than the mapping table. */
  major: number | null;
}

/** First edge release of each 2.X major (site data/versions.yaml). */
export const EDGE_MAJORS: ReadonlyArray<{ major: number; edge: [number, number, number] }> = [
  { major: 15, edge: [24, 2, 4] },
  { major: 16, edge: [24, 8, 2] },
  { major: 17, edge: [24, 11, 8] },
  { major: 18, edge: [25, 4, 4] },
  { major: 19, edge: [25, 10, 7] },
  { major: 20, edge: [26, 6, 3] },
];

const PATTERN = /^(edge|stable|enterprise|preview|version)-(\d+)\.(\d+)(?:\.(\d+))?(?:-(\d+))?$/;

function compareTriples(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < 3; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

function edgeMajor(parts: [number, number, number]): number | null {
  let major: number | null = null;
  for (const m of EDGE_MAJORS) if (compareTriples(parts, m.edge) >= 0) major = m.major;
  return major;
}

/** Parses a release name; null when it is not one (e.g. a digest or "dev-abc"). */
export function parseLinkerdVersion(raw: string): LinkerdVersion | null {
  const m = PATTERN.exec(raw.trim());
  if (!m) return null;
  const channel = m[1] as LinkerdChannel;
  const parts: [number, number, number] = [Number(m[2]), Number(m[3]), Number(m[4] ?? 0)];
  const calendar = channel === 'edge' || channel === 'preview';
  // Non-calendar names must be 2.X.Y; an edge without the patch part is not a release name.
  if (calendar ? m[4] === undefined : parts[0] !== 2) return null;
  return {
    raw: raw.trim(),
    channel,
    parts,
    hotpatch: Number(m[5] ?? 0),
    major: calendar ? edgeMajor(parts) : parts[1],
  };
}

/** Channels whose numbers are comparable with each other. */
function family(c: LinkerdChannel): 'calendar' | 'semver' {
  return c === 'edge' || c === 'preview' ? 'calendar' : 'semver';
}

/**
 * Orders two versions: negative when a is older. Same numbering family: exact order.
 * Across families only the majors can be compared; equal majors are ambiguous → null.
 */
export function compareLinkerdVersions(a: LinkerdVersion, b: LinkerdVersion): number | null {
  if (family(a.channel) === family(b.channel)) {
    return compareTriples(a.parts, b.parts) || Math.sign(a.hotpatch - b.hotpatch);
  }
  if (a.major === null || b.major === null || a.major === b.major) return null;
  return Math.sign(a.major - b.major);
}

/** Majors b trails a by (positive when b is older); null when either major is unknown. */
export function majorsBetween(a: LinkerdVersion, b: LinkerdVersion): number | null {
  return a.major === null || b.major === null ? null : a.major - b.major;
}

/**
 * Upgrade paths (reference §3.5): any move within a major, or to the next major; never skip
 * a major and never go down a major.
 */
export function isUpgradePathAllowed(from: LinkerdVersion, to: LinkerdVersion): boolean {
  const d = majorsBetween(to, from);
  if (d === null) return false;
  if (d === 0) return (compareLinkerdVersions(to, from) ?? 0) >= 0;
  return d === 1;
}
