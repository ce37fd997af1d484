// mTLS status: who is meshed (pods) and how much traffic is actually encrypted (proxy metrics).
import { z } from 'zod';
import { LIMITS } from '../limits';
import { count, ProxyVersionsSchema, ratio, shortString } from './common.schema';

export const InjectionSettingSchema = z.enum(['enabled', 'disabled', 'ingress', 'unset']);
export type InjectionSetting = z.infer<typeof InjectionSettingSchema>;

/** A running pod of a workload, by name (added in protocol 2 reports; absent from older agents). */
export const WorkloadPodSchema = z.object({
  name: shortString,
  ready: z.boolean(),
  /** The proxy's version; null when the pod has no proxy. */
  proxyVersion: shortString.nullable(),
});
export type WorkloadPod = z.infer<typeof WorkloadPodSchema>;

export const WorkloadMtlsSchema = z.object({
  kind: z.enum(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'Pod', 'Other']),
  name: shortString,
  injection: InjectionSettingSchema,
  totalPods: count,
  meshedPods: count,
  proxyVersions: ProxyVersionsSchema,
  /** Running pods by name, at most LIMITS.podsPerWorkload (and LIMITS.podsListed per report). */
  pods: z.array(WorkloadPodSchema).max(LIMITS.podsPerWorkload).default([]),
  /** Fewer pods are listed than the workload runs. */
  podsTruncated: z.boolean().default(false),
});
export type WorkloadMtls = z.infer<typeof WorkloadMtlsSchema>;

export const NamespaceMtlsSchema = z.object({
  name: shortString,
  injection: InjectionSettingSchema,
  totalPods: count,
  meshedPods: count,
  workloads: z.array(WorkloadMtlsSchema).max(LIMITS.workloadsPerNamespace),
  /** More workloads existed than the array may hold. */
  workloadsTruncated: z.boolean().default(false),
  proxyVersions: ProxyVersionsSchema,
  staleTrustBundlePods: count,
  /** Names of (some of) those pods, for the "must be restarted" hint. */
  staleTrustBundlePodNames: z.array(shortString).max(LIMITS.stalePodsListed).default([]),
});
export type NamespaceMtls = z.infer<typeof NamespaceMtlsSchema>;

export const TrafficShareSchema = z.object({
  tls: z.number().min(0),
  total: z.number().min(0),
  /** tls / total; null when total is 0 (no traffic is not 0% coverage). */
  share: ratio,
});
export type TrafficShare = z.infer<typeof TrafficShareSchema>;

export const TrafficCoverageSchema = z.object({
  /** Inbound connections (`tcp_open_total`); null when no proxy metrics were available. */
  connections: TrafficShareSchema.nullable(),
  /** Inbound HTTP/gRPC requests (`request_total`); null when unknown. */
  requests: TrafficShareSchema.nullable(),
  podsScraped: count,
});
export type TrafficCoverage = z.infer<typeof TrafficCoverageSchema>;

export const ScrapeErrorSchema = z.object({
  namespace: shortString,
  pod: shortString,
  message: z.string().max(LIMITS.shortString * 4),
});

export const MtlsStatusSchema = z.object({
  namespaces: z.array(NamespaceMtlsSchema).max(LIMITS.namespaces),
  namespacesTruncated: z.boolean().default(false),
  totalPods: count,
  meshedPods: count,
  /** meshedPods / totalPods; null without running pods. */
  podCoverage: ratio,
  /** Added in protocol 2; version-1 agents did not scrape metrics. */
  trafficCoverage: TrafficCoverageSchema.default({ connections: null, requests: null, podsScraped: 0 }),
  /** Only a sample of pods was scraped (large clusters). */
  sampled: z.boolean().default(false),
  scrapeErrors: z.array(ScrapeErrorSchema).max(LIMITS.scrapeErrors).default([]),
});
export type MtlsStatus = z.infer<typeof MtlsStatusSchema>;
export type MtlsStatusInput = z.input<typeof MtlsStatusSchema>;
