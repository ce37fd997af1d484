// What an import of a release variant does to the catalog, decided on digests alone: an
// organization's stored manifests never change under its feet unless it says `replace`.
export interface BundleDigests {
  crdsDigest: string;
  controlPlaneDigest: string;
}

export type ImportDecision = 'create' | 'unchanged' | 'replace' | 'conflict';

export function importDecision(
  existing: BundleDigests | null,
  next: BundleDigests,
  replace: boolean,
): ImportDecision {
  if (!existing) return 'create';
  const same =
    existing.crdsDigest === next.crdsDigest && existing.controlPlaneDigest === next.controlPlaneDigest;
  if (same) return 'unchanged';
  return replace ? 'replace' : 'conflict';
}
