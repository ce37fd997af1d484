// Kubernetes server versions as reported by /version (`v1.31.2-eks-7f9249a`, `v1.30.5+k3s1`).

export interface KubernetesVersion {
  major: number;
  minor: number;
  patch: number;
}

export function parseKubernetesVersion(raw: string): KubernetesVersion | null {
  const m = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(raw.trim());
  return m ? { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0) } : null;
}

export function compareKubernetesVersions(a: KubernetesVersion, b: KubernetesVersion): number {
  return Math.sign(a.major - b.major || a.minor - b.minor || a.patch - b.patch);
}

/** Minimum Kubernetes per Linkerd major (chart `kubeVersion`, reference §3.1). */
export function minimumKubernetesFor(linkerdMajor: number | null): KubernetesVersion {
  if (linkerdMajor !== null && linkerdMajor >= 20) return { major: 1, minor: 31, patch: 0 };
  if (linkerdMajor !== null && linkerdMajor >= 18) return { major: 1, minor: 23, patch: 0 };
  return { major: 1, minor: 22, patch: 0 };
}

export function formatKubernetesVersion(v: KubernetesVersion): string {
  return `${v.major}.${v.minor}.${v.patch}`;
}

/**
 * Newest Kubernetes minor tested per Linkerd major (docs k8s-versions table, reference §3.1);
 * null when the table does not cover that major.
 */
export function maximumKubernetesFor(linkerdMajor: number | null): KubernetesVersion | null {
  const maxMinor: Record<number, number> = { 17: 31, 18: 32, 19: 35, 20: 35 };
  const minor = linkerdMajor === null ? undefined : maxMinor[linkerdMajor];
  return minor === undefined ? null : { major: 1, minor, patch: 0 };
}
