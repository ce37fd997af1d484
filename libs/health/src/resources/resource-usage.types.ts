// GraphQL shapes of the mesh's resource usage. Units are in the field names: bytes, cores.
import { Field, Float, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';

export enum ResourceSource {
  METRICS_API = 'METRICS_API',
  PROXY_METRICS = 'PROXY_METRICS',
}
registerEnumType(ResourceSource, {
  name: 'ResourceSource',
  description:
    'METRICS_API: metrics-server PodMetrics (working set, CPU rate over its window); PROXY_METRICS: the proxies’ ' +
    'own process_resident_memory_bytes / process_cpu_seconds_total (no metrics-server; proxies only)',
});

@ObjectType('ProxyResourceSummary')
export class ProxyResourceSummaryType {
  @Field(() => Int, { description: 'Meshed pods whose proxy was measured' }) measuredPods!: number;
  @Field(() => Int) meshedPods!: number;
  @Field(() => Float, { description: 'All proxies together, in cores' }) cpuCores!: number;
  @Field(() => Float, { description: 'All proxies together, in bytes' }) memoryBytes!: number;
  @Field(() => Float) memoryP50Bytes!: number;
  @Field(() => Float) memoryP95Bytes!: number;
  @Field(() => Float) memoryMaxBytes!: number;
  @Field(() => Int, { description: 'Proxies above 80 % of their memory limit' }) nearLimit!: number;
  @Field(() => Int, { description: 'Proxies whose last termination was OOMKilled' }) oomKilled!: number;
  @Field(() => Int, { description: 'Sum of linkerd-proxy restart counts' }) restarts!: number;
  @Field(() => Float, {
    nullable: true,
    description:
      "Mesh memory overhead of the whole cluster: the proxies' memory ÷ their application containers' memory, " +
      'over the meshed pods whose application was measured (metrics-server); null when none was',
  })
  memoryOverheadRatio!: number | null;
  @Field(() => Float, {
    nullable: true,
    description: "The busiest proxy's CPU, in cores (null from agents that predate it)",
  })
  cpuMaxCores!: number | null;
  @Field(() => String, { nullable: true, description: 'The busiest proxy by CPU, as namespace/pod' })
  busiestCpuProxy!: string | null;
  @Field(() => Int, { description: 'Proxies above 80 % of their CPU limit (about to be throttled)' })
  nearCpuLimit!: number;
}

@ObjectType('ProxyUsage')
export class ProxyUsageType {
  @Field() namespace!: string;
  @Field() pod!: string;
  @Field(() => Float) cpuCores!: number;
  @Field(() => Float) memoryBytes!: number;
  @Field(() => Boolean, { description: 'Above 80 % of its memory limit' }) nearLimit!: boolean;
  @Field(() => Int) restarts!: number;
  @Field(() => Boolean) oomKilled!: boolean;
}

@ObjectType('NamespaceResources')
export class NamespaceResourcesType {
  @Field() namespace!: string;
  @Field(() => Int, { description: 'Measured meshed pods' }) pods!: number;
  @Field(() => Float) proxyCpuCores!: number;
  @Field(() => Float) proxyMemoryBytes!: number;
  @Field(() => Float) appMemoryBytes!: number;
  @Field(() => Float, { nullable: true, description: 'proxyMemoryBytes ÷ appMemoryBytes (mesh overhead)' })
  overheadRatio!: number | null;
}

@ObjectType('ControlPlaneResources')
export class ControlPlaneResourcesType {
  @Field({ description: 'linkerd.io/control-plane-component' }) component!: string;
  @Field(() => Int) pods!: number;
  @Field(() => Float, { nullable: true, description: 'Non-proxy containers; null without metrics-server' })
  cpuCores!: number | null;
  @Field(() => Float, { nullable: true }) memoryBytes!: number | null;
  @Field(() => Float, {
    nullable: true,
    description: 'Smallest container memory limit; null when none is set',
  })
  memoryLimitBytes!: number | null;
  @Field(() => Float, { nullable: true, description: 'Highest container working set ÷ its limit' })
  limitRatio!: number | null;
  @Field(() => Int) restarts!: number;
  @Field(() => Int) oomKilled!: number;
}

@ObjectType('VizPrometheusResources', {
  description: "viz's bundled Prometheus (absent with an external one)",
})
export class VizPrometheusResourcesType {
  @Field(() => Int) pods!: number;
  @Field(() => Float, { nullable: true, description: 'Working set of its prometheus containers' })
  memoryBytes!: number | null;
  @Field(() => Float, { nullable: true }) memoryLimitBytes!: number | null;
  @Field(() => String, { nullable: true, description: '--storage.tsdb.retention.time (the chart: 6h)' })
  retention!: string | null;
}

@ObjectType('ClusterResources')
export class ClusterResourcesType {
  @Field(() => ResourceSource) source!: ResourceSource;
  @Field(() => Boolean, { description: 'Only a sample of the proxies was read' }) sampled!: boolean;
  @Field(() => Date, { description: 'When the agent measured (the report’s generatedAt)' }) measuredAt!: Date;
  @Field(() => ProxyResourceSummaryType) proxy!: ProxyResourceSummaryType;
  @Field(() => [ProxyUsageType], { description: 'The 10 proxies using the most memory' })
  topProxies!: ProxyUsageType[];
  @Field(() => [NamespaceResourcesType], { description: 'The 5 namespaces with the most proxy memory' })
  namespaces!: NamespaceResourcesType[];
  @Field(() => Boolean) namespacesTruncated!: boolean;
  @Field(() => [ControlPlaneResourcesType]) controlPlane!: ControlPlaneResourcesType[];
  @Field(() => VizPrometheusResourcesType, { nullable: true })
  vizPrometheus!: VizPrometheusResourcesType | null;
}

@ObjectType('ClusterProxyMemory')
export class ClusterProxyMemoryType {
  @Field(() => ID) clusterId!: string;
  @Field() clusterName!: string;
  @Field(() => Float) memoryMaxBytes!: number;
  @Field(() => Float) memoryBytes!: number;
  @Field(() => Int) oomKilled!: number;
}

@ObjectType('FleetResources')
export class FleetResourcesType {
  @Field(() => Int, { description: 'Clusters whose last report carried resource figures' })
  clustersReporting!: number;
  @Field(() => Int) measuredProxies!: number;
  @Field(() => Float) proxyCpuCores!: number;
  @Field(() => Float) proxyMemoryBytes!: number;
  @Field(() => Float, { nullable: true }) controlPlaneMemoryBytes!: number | null;
  @Field(() => Int) proxiesNearLimit!: number;
  @Field(() => Int) proxiesOomKilled!: number;
  @Field(() => [ClusterProxyMemoryType], { description: 'Up to 5, largest proxy first' })
  worstClusters!: ClusterProxyMemoryType[];
}
