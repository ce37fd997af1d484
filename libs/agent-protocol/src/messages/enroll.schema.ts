// Enrollment: a single-use bootstrap token plus cluster facts buys a per-cluster credential.
import { z } from 'zod';
import { count, shortString } from './common.schema';

export const ProviderSchema = z.enum(['AKS', 'EKS', 'GKE', 'ONPREM', 'OTHER']);
export type Provider = z.infer<typeof ProviderSchema>;

export const PlatformDetailsSchema = z.object({
  containerRuntime: shortString.optional(),
  osImage: shortString.optional(),
  architecture: shortString.optional(),
  kubeletVersion: shortString.optional(),
  /** e.g. "k3s", "openshift" when recognisable from node labels. */
  distribution: shortString.optional(),
});

export const ClusterFactsSchema = z.object({
  kubernetesVersion: shortString,
  provider: ProviderSchema,
  nodeCount: count,
  /** null when the nodes carry no region label (common on-prem). */
  region: shortString.nullable(),
  platform: PlatformDetailsSchema.optional(),
});
export type ClusterFacts = z.infer<typeof ClusterFactsSchema>;

export const EnrollRequestSchema = z.object({
  bootstrapToken: z.string().min(16).max(512),
  agentVersion: shortString,
  cluster: ClusterFactsSchema,
});
export type EnrollRequest = z.infer<typeof EnrollRequestSchema>;

const intervalSeconds = z.int().min(1).max(3600);

export const EnrollResponseSchema = z.object({
  clusterId: shortString,
  organizationId: shortString,
  /** Shown once; the API stores only a hash. The agent saves it to its Secret. */
  credential: z.string().min(16).max(512),
  heartbeatIntervalSeconds: intervalSeconds,
  reportIntervalSeconds: intervalSeconds,
  taskPollTimeoutSeconds: z.int().min(1).max(300),
});
export type EnrollResponse = z.infer<typeof EnrollResponseSchema>;
