// Size limits are part of the contract: the API rejects bigger bodies with 413 before parsing,
// and the array bounds below keep a schema-valid message within those byte limits in practice.

const KiB = 1024;
const MiB = 1024 * KiB;

/** Maximum request body size per message, in bytes (UTF-8 JSON). */
export const MAX_BODY_BYTES = {
  enroll: 16 * KiB,
  heartbeat: 8 * KiB,
  report: 1 * MiB,
  taskEvent: 256 * KiB,
  taskResult: 1 * MiB,
  /**
   * Covers the largest CSR the schema admits: 16 KiB of PEM, whose newlines JSON escapes (about
   * 250 in 64-character lines), so twice that leaves room to spare. The ECDSA P-256 CSR the agent
   * makes is under 1 KiB.
   */
  issuerCsr: 32 * KiB,
} as const;

export type MessageKind = keyof typeof MAX_BODY_BYTES;

/** Array and string bounds used by the schemas. */
export const LIMITS = {
  shortString: 256,
  longString: 4 * KiB,
  checkCategories: 32,
  checksPerCategory: 64,
  certificates: 64,
  certificateDnsNames: 32,
  proxyVersions: 64,
  namespaces: 1000,
  workloadsPerNamespace: 200,
  stalePodsListed: 50,
  /** Pod names listed per workload (the workload's totals count them all). */
  podsPerWorkload: 20,
  /**
   * Pod names listed per report, over all workloads: about 90 bytes each, so at most ~90 KiB of a
   * 1 MiB report however large the cluster (a 5,000-pod cluster lists its first 1,000).
   */
  podsListed: 1000,
  scrapeErrors: 50,
  /** Container ports kept per workload in the adoption facts (the planner needs only a few). */
  adoptionPortsPerWorkload: 16,
  taskOutputChars: 768 * KiB,
} as const;

/** Byte length of a JSON body as the API will see it. */
export function jsonByteLength(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
}

/** True when a body of `bytes` exceeds the limit of that message kind. */
export function exceedsBodyLimit(kind: MessageKind, bytes: number): boolean {
  return bytes > MAX_BODY_BYTES[kind];
}
