// Full health report, sent every ~60 s and on change. Idempotent by `sequence`:
// the API ignores a sequence it has already stored or an older one.
import { z } from 'zod';
import { AdoptionFactsSchema } from './adoption.schema';
import { CertificateInventorySchema } from './certificates.schema';
import { CheckResultsSchema } from './checks.schema';
import { DriftReportSchema } from './drift.schema';
import { ProxyVersionsSchema, sequenceNumber, shortString, timestamp } from './common.schema';
import { MtlsStatusSchema } from './mtls.schema';
import { ResourceUsageSchema } from './resources.schema';
import { GitopsOwnershipSchema } from './gitops.schema';
import { InstalledExtensionSchema } from './extensions.schema';

export const LinkerdChannelSchema = z.enum(['edge', 'stable', 'enterprise', 'preview', 'version']);

export const VersionSkewSchema = z.object({
  controlPlane: shortString.nullable(),
  oldestProxy: shortString.nullable(),
  newestProxy: shortString.nullable(),
  /** How many majors the oldest proxy trails the control plane; null when not comparable. */
  maxMajorsBehind: z.int().nullable(),
  /** none: all proxies match; within-support: differ but at most one major behind. */
  status: z.enum(['none', 'within-support', 'unsupported', 'unknown']),
});
export type VersionSkew = z.infer<typeof VersionSkewSchema>;

export const LinkerdInfoSchema = z.object({
  installed: z.boolean(),
  controlPlaneNamespace: shortString.optional(),
  /** Control-plane version from `linkerd-config` (values.linkerdVersion). */
  version: shortString.nullable(),
  channel: LinkerdChannelSchema.optional(),
  ha: z.boolean().optional(),
  proxyVersions: ProxyVersionsSchema,
  skew: VersionSkewSchema,
});
export type LinkerdInfo = z.infer<typeof LinkerdInfoSchema>;

export const HealthReportSchema = z.object({
  /** Monotonic per agent credential; lets the API drop retries and reordered reports. */
  sequence: sequenceNumber,
  generatedAt: timestamp,
  agentVersion: shortString,
  kubernetesVersion: shortString.nullable(),
  linkerd: LinkerdInfoSchema,
  checks: CheckResultsSchema,
  certificates: CertificateInventorySchema,
  mtls: MtlsStatusSchema,
  /** Mesh adoption facts; null from agents that predate them (then no adoption plan can be made). */
  adoption: AdoptionFactsSchema.nullable().default(null),
  /** Proxy and control-plane CPU/memory; null from agents that predate it or cannot read any. */
  resources: ResourceUsageSchema.nullable().default(null),
  /** Argo CD / Flux marks on Linkerd's objects; null from agents that predate it. */
  gitops: GitopsOwnershipSchema.nullable().default(null),
  /** Drift from the last applied release; null from older agents and before any Meshfleet apply. */
  drift: DriftReportSchema.nullable().default(null),
  /** Extension namespaces (issue 18); older agents send none. */
  extensions: z.array(InstalledExtensionSchema).max(32).default([]),
});
export type HealthReport = z.infer<typeof HealthReportSchema>;

/** The answer to a report: false when a report of this or a later sequence was stored already. */
export const ReportAcceptedSchema = z.object({ accepted: z.boolean() });
export type ReportAccepted = z.infer<typeof ReportAcceptedSchema>;
