// Which GitOps tool owns the cluster's Linkerd objects, as the agent saw their marks (protocol
// addition; older agents send nothing and parse as `gitops: null`, which changes no mode).
import { z } from 'zod';
import { shortString } from './common.schema';

export const GitopsOwnershipSchema = z.object({
  detected: z.enum(['ARGOCD', 'FLUX']).nullable(),
  /** A few "Kind ns/name: mark" lines, e.g. the tracking annotation found. */
  evidence: z.array(shortString).max(10),
});
export type GitopsOwnershipReport = z.infer<typeof GitopsOwnershipSchema>;
