// Facts a mesh-adoption plan needs (added in protocol 2 reports; absent from older agents, which
// then parse as `adoption: null`). Compact on purpose: ingest is benchmarked and reports must stay
// small, so only what the planner reads, one short object per workload.
import { z } from 'zod';
import { LIMITS } from '../limits';
import { count, shortString } from './common.schema';
import { InjectionSettingSchema } from './mtls.schema';

export const AdoptionWorkloadKindSchema = z.enum([
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'Job',
  'CronJob',
]);
export type AdoptionWorkloadKind = z.infer<typeof AdoptionWorkloadKindSchema>;

/** A container port: number and protocol (TCP when Kubernetes' default applies). */
export const AdoptionPortSchema = z.object({
  port: z.int().min(1).max(65535),
  protocol: z.enum(['TCP', 'UDP', 'SCTP']).default('TCP'),
});
export type AdoptionPort = z.infer<typeof AdoptionPortSchema>;

export const AdoptionPdbSchema = z.object({
  name: shortString,
  disruptionsAllowed: count,
});

export const AdoptionWorkloadSchema = z.object({
  kind: AdoptionWorkloadKindSchema,
  name: shortString,
  /** Desired replicas; null for DaemonSets, Jobs and CronJobs (one pod per node / per run). */
  replicas: count.nullable(),
  /** Ready pods now (DaemonSets: numberReady). */
  readyReplicas: count.default(0),
  /** The pod template's `linkerd.io/inject`; null when unset (the namespace's then applies). */
  inject: InjectionSettingSchema.exclude(['unset']).nullable(),
  /** Pod-template annotations `config.linkerd.io/opaque-ports`, `skip-inbound-ports`, `skip-outbound-ports`. */
  opaquePorts: shortString.nullable().default(null),
  skipInboundPorts: shortString.nullable().default(null),
  skipOutboundPorts: shortString.nullable().default(null),
  hostNetwork: z.boolean().default(false),
  /** `automountServiceAccountToken` of the pod template; null when unset (true). */
  automountToken: z.boolean().nullable().default(null),
  ports: z.array(AdoptionPortSchema).max(LIMITS.adoptionPortsPerWorkload).default([]),
  /** Running pods with the proxy / running pods. */
  meshedPods: count.default(0),
  totalPods: count.default(0),
  /** The PDB selecting the pod template; null when none does. */
  pdb: AdoptionPdbSchema.nullable().default(null),
  /** `strategy.rollingUpdate.maxUnavailable` (Deployments, DaemonSets, StatefulSets) as written. */
  maxUnavailable: z
    .union([z.int().min(0), shortString])
    .nullable()
    .default(null),
});
export type AdoptionWorkload = z.infer<typeof AdoptionWorkloadSchema>;
export type AdoptionWorkloadInput = z.input<typeof AdoptionWorkloadSchema>;

export const AdoptionNamespaceSchema = z.object({
  name: shortString,
  /** The namespace's `linkerd.io/inject`; null when unset. */
  inject: InjectionSettingSchema.exclude(['unset']).nullable(),
  /** The namespace's `config.linkerd.io/opaque-ports`. */
  opaquePorts: shortString.nullable().default(null),
  /** The namespace's `config.linkerd.io/default-inbound-policy`; null when unset (the cluster's applies). */
  inboundPolicy: shortString.nullable().default(null),
  workloads: z.array(AdoptionWorkloadSchema).max(LIMITS.workloadsPerNamespace),
  workloadsTruncated: z.boolean().default(false),
});
export type AdoptionNamespace = z.infer<typeof AdoptionNamespaceSchema>;

export const AdoptionFactsSchema = z.object({
  injector: z.object({
    /** The proxy-injector webhook's failurePolicy; null when the webhook is missing. */
    failurePolicy: z.enum(['Ignore', 'Fail']).nullable(),
    /** The linkerd-proxy-injector Deployment has an available replica. */
    available: z.boolean(),
  }),
  /** `proxy.nativeSidecar` from linkerd-config; null when not known. */
  nativeSidecar: z.boolean().nullable(),
  /** `proxy.opaquePorts` from linkerd-config (the cluster's default opaque ports); null when not known. */
  defaultOpaquePorts: shortString.nullable(),
  /** `identity.serviceAccountTokenProjection`; null when not known (Linkerd's default is true). */
  tokenProjection: z.boolean().nullable().default(null),
  /** `proxy.defaultInboundPolicy` from linkerd-config; null when not known (Linkerd's default is all-unauthenticated). */
  defaultInboundPolicy: shortString.nullable().default(null),
  /** Namespaces of the control plane and extensions (labelled `linkerd.io/control-plane-ns` / `linkerd.io/extension`). */
  linkerdNamespaces: z.array(shortString).max(LIMITS.namespaces).default([]),
  /** Application namespaces (system and Linkerd namespaces left out), with their workloads. */
  namespaces: z.array(AdoptionNamespaceSchema).max(LIMITS.namespaces),
  namespacesTruncated: z.boolean().default(false),
  /** Kinds the agent could not list (not granted or not served): the facts lack them. */
  unreadKinds: z
    .array(z.enum(['StatefulSet', 'Job', 'CronJob', 'PodDisruptionBudget']))
    .max(4)
    .default([]),
});
export type AdoptionFacts = z.infer<typeof AdoptionFactsSchema>;
export type AdoptionFactsInput = z.input<typeof AdoptionFactsSchema>;
