// The scenario file format: clusters, their nodes, namespaces, workloads, traffic and an
// optional pre-installed Linkerd. Validated with zod so a typo fails loudly at load time.
import { z } from 'zod';

const nameRe = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dnsName = z.string().regex(nameRe, 'must be a lowercase RFC 1123 label');

const intOrPercent = z.union([z.number().int().min(0), z.string().regex(/^\d+%$/, 'must be an int or "N%"')]);

export const workloadSchema = z.object({
  name: dnsName,
  /** Job runs once to completion; CronJob is created but never scheduled (no pods). */
  kind: z.enum(['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob']).default('Deployment'),
  replicas: z.number().int().min(0).default(1),
  image: z.string().default('docker.l5d.io/buoyantio/emojivoto-web:v11'),
  port: z.number().int().min(1).max(65535).default(8080),
  serviceAccount: dnsName.optional(),
  /** Pod-template `linkerd.io/inject` annotation. */
  inject: z.enum(['enabled', 'disabled', 'ingress']).optional(),
  labels: z.record(z.string(), z.string()).default({}),
  /** Create a Service with the workload's name (default true; never for Jobs and CronJobs). */
  service: z.boolean().default(true),
  /** Further pod-template annotations (e.g. `config.linkerd.io/opaque-ports`). */
  annotations: z.record(z.string(), z.string()).default({}),
  /** Further container ports (e.g. 5432 next to the main port). */
  extraPorts: z.array(z.number().int().min(1).max(65535)).default([]),
  hostNetwork: z.boolean().optional(),
  automountServiceAccountToken: z.boolean().optional(),
  /** A PodDisruptionBudget named after the workload, selecting its pods. */
  pdb: z
    .object({ minAvailable: intOrPercent.optional(), maxUnavailable: intOrPercent.optional() })
    .refine((p) => (p.minAvailable === undefined) !== (p.maxUnavailable === undefined), {
      message: 'set exactly one of minAvailable and maxUnavailable',
    })
    .optional(),
});

export const namespaceSchema = z.object({
  name: dnsName,
  /** Namespace `linkerd.io/inject` annotation. */
  inject: z.enum(['enabled', 'disabled']).optional(),
  labels: z.record(z.string(), z.string()).default({}),
  annotations: z.record(z.string(), z.string()).default({}),
  workloads: z.array(workloadSchema).default([]),
});

export const nodeSchema = z.object({
  name: dnsName.optional(),
  zone: z.string().optional(),
  instanceType: z.string().optional(),
});

export const linkerdSchema = z.object({
  /** e.g. "edge-26.6.3", "enterprise-2.19.4", "stable-2.14.10". */
  version: z.string(),
  ha: z.boolean().default(false),
  namespace: z.string().default('linkerd'),
  trustAnchorValidityDays: z.number().default(365),
  issuerValidityDays: z.number().default(365),
  /** Start with an issuer that already expired (identity fails). */
  issuerExpired: z.boolean().default(false),
  /** Inject the proxy into existing pods of meshed namespaces (default true). */
  injectExistingPods: z.boolean().default(true),
  /** Use the native-sidecar layout; defaults to true for 2.20 and later. */
  nativeSidecar: z.boolean().optional(),
  /** Proxy version of the workloads injected at start (a data plane lagging the control plane). */
  dataPlaneVersion: z.string().optional(),
  /** Share the trust anchor between clusters that name the same trust domain group. */
  trustGroup: z.string().optional(),
});

export const trafficSchema = z.object({
  /** "namespace/workload" */
  from: z.string().regex(/^[^/]+\/[^/]+$/),
  to: z.string().regex(/^[^/]+\/[^/]+$/),
  rps: z.number().positive().default(1),
  /** Concurrent open connections per client pod. */
  connections: z.number().int().min(0).default(2),
  successRate: z.number().min(0).max(1).default(1),
});

export const clusterSchema = z.object({
  name: dnsName,
  provider: z.enum(['aks', 'eks', 'gke', 'onprem']),
  region: z.string().default('local'),
  kubernetesVersion: z
    .string()
    .regex(/^v?\d+\.\d+\.\d+$/)
    .default('1.31.4'),
  token: z.string().min(8).optional(),
  podReadyDelayMs: z.number().int().min(0).optional(),
  nodes: z.union([z.number().int().min(0), z.array(nodeSchema)]).default(3),
  linkerd: linkerdSchema.optional(),
  namespaces: z.array(namespaceSchema).default([]),
  traffic: z.array(trafficSchema).default([]),
  labels: z.record(z.string(), z.string()).default({}),
  /** Run metrics-server in kube-system (serves metrics.k8s.io; EKS and on-prem often lack it). */
  metricsServer: z.boolean().default(false),
});

export const scenarioSchema = z.object({
  defaults: z
    .object({ podReadyDelayMs: z.number().int().min(0).default(100) })
    .default({ podReadyDelayMs: 100 }),
  clusters: z.array(clusterSchema).min(1),
});

export type Scenario = z.infer<typeof scenarioSchema>;
export type ClusterScenario = z.infer<typeof clusterSchema>;
export type NamespaceScenario = z.infer<typeof namespaceSchema>;
export type WorkloadScenario = z.infer<typeof workloadSchema>;
export type LinkerdScenario = z.infer<typeof linkerdSchema>;
export type TrafficScenario = z.infer<typeof trafficSchema>;
export type ScenarioInput = z.input<typeof scenarioSchema>;
export type ClusterScenarioInput = z.input<typeof clusterSchema>;
