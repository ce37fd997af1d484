// Linkerd version strings ("edge-26.6.3", "enterprise-2.20.0", "stable-2.14.10") to the
// major they belong to, which decides details like native-sidecar injection (2.20+).

/** First edge release of each 2.x major (linkerd.md §6). */
const EDGE_MAJORS: Array<[number, number, number, number]> = [
  [26, 6, 3, 20],
  [25, 10, 7, 19],
  [25, 4, 4, 18],
  [24, 11, 8, 17],
  [24, 8, 2, 16],
  [24, 2, 4, 15],
];

export function linkerdMajor(version: string): number | undefined {
  const v = /^(?:enterprise|stable)-2\.(\d+)\./.exec(version);
  if (v) return Number(v[1]);
  const e = /^(?:edge|preview)-(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!e) return undefined;
  const [y, m, n] = [Number(e[1]), Number(e[2]), Number(e[3])];
  for (const [ey, em, en, major] of EDGE_MAJORS) {
    if (y > ey || (y === ey && (m > em || (m === em && n >= en)))) return major;
  }
  return 14;
}

export const usesNativeSidecar = (version: string): boolean => (linkerdMajor(version) ?? 0) >= 20;
