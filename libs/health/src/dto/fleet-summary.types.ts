import { FleetResourcesType } from '../resources/resource-usage.types';
import { Field, Float, ID, Int, ObjectType } from '@nestjs/graphql';
import { FleetDriftType } from './drift.types';

@ObjectType('HealthCounts')
export class HealthCountsType {
  @Field(() => Int) total!: number;
  @Field(() => Int) healthy!: number;
  @Field(() => Int) degraded!: number;
  @Field(() => Int) unhealthy!: number;
  @Field(() => Int, { description: 'No data, stale data or agent offline' }) unknown!: number;
  @Field(() => Int, { description: 'Connected, current report, no Linkerd control plane' })
  notInstalled!: number;
}

@ObjectType('ProviderHealth')
export class ProviderHealthType extends HealthCountsType {
  @Field() provider!: string;
}

@ObjectType('RegionCount')
export class RegionCountType {
  @Field(() => String, { nullable: true }) region!: string | null;
  @Field(() => Int) clusters!: number;
}

@ObjectType('VersionClusters')
export class VersionClustersType {
  @Field() version!: string;
  @Field(() => Int) clusters!: number;
  @Field(() => Int, { description: 'Clusters whose proxies differ from this control plane' })
  proxiesLagging!: number;
}

@ObjectType('ClusterCoverage')
export class ClusterCoverageType {
  @Field(() => ID) clusterId!: string;
  @Field() clusterName!: string;
  @Field(() => Float, { nullable: true }) podCoverage!: number | null;
  @Field(() => Float, {
    nullable: true,
    description: "The lower of the cluster's request and connection coverage (those with traffic)",
  })
  trafficCoverage!: number | null;
}

@ObjectType('ExpiringCertificate')
export class ExpiringCertificateType {
  @Field(() => ID) clusterId!: string;
  @Field() clusterName!: string;
  @Field({ description: 'trust-anchor | issuer | webhook' }) role!: string;
  @Field() name!: string;
  @Field() notAfter!: Date;
  @Field(() => Float) expiresInDays!: number;
}

@ObjectType('TrustAnchorGroup', {
  description: 'Clusters sharing a trust anchor (what multicluster links need)',
})
export class TrustAnchorGroupType {
  @Field() sha256Fingerprint!: string;
  @Field() subject!: string;
  @Field(() => Int, { description: 'How many clusters share this anchor' }) clusterCount!: number;
  @Field(() => [String], {
    description:
      'Names of the clusters sharing it, alphabetical: all of them up to 100, else a sample of 100 (clusterCount counts all)',
  })
  clusters!: string[];
}

@ObjectType('VizPrometheusSizingWarning', {
  description:
    "A cluster running viz's bundled Prometheus beyond its documented sizing: ~5 MB per meshed pod with 6 h retention",
})
export class VizPrometheusSizingWarningType {
  @Field(() => ID) clusterId!: string;
  @Field() clusterName!: string;
  @Field(() => Int) meshedPods!: number;
  @Field(() => Float, { description: 'meshed pods × 5 MiB' }) sizingBytes!: number;
  @Field(() => Float, { nullable: true, description: 'Working set of its prometheus containers' })
  memoryBytes!: number | null;
  @Field(() => Float, { nullable: true, description: 'Memory limit of its prometheus container' })
  memoryLimitBytes!: number | null;
  @Field(() => String, { nullable: true, description: '--storage.tsdb.retention.time' }) retention!:
    string | null;
  @Field(() => [String], {
    description: 'MEMORY_ABOVE_SIZING (> 1.5 × sizing), LIMIT_BELOW_SIZING, RETENTION_ABOVE_SIZING (> 6h)',
  })
  reasons!: string[];
  @Field() message!: string;
}

@ObjectType('FleetSummary')
export class FleetSummaryType {
  @Field(() => HealthCountsType) health!: HealthCountsType;
  @Field(() => [ProviderHealthType]) byProvider!: ProviderHealthType[];
  @Field(() => [RegionCountType]) byRegion!: RegionCountType[];
  @Field(() => Int) agentsOffline!: number;
  @Field(() => Int) pendingEnrollment!: number;
  @Field(() => [VersionClustersType], { description: 'Linkerd control-plane versions, most common first' })
  versions!: VersionClustersType[];
  @Field(() => String, { nullable: true, description: 'Newest release in the catalog' }) newestRelease!:
    string | null;
  @Field(() => Int, { description: 'Clusters running a control plane older than the newest release' })
  clustersBehindNewest!: number;
  @Field(() => Int) clustersWithoutLinkerd!: number;
  @Field(() => Float, { nullable: true, description: 'Meshed / running pods across the fleet' })
  podCoverage!: number | null;
  @Field(() => Float, {
    nullable: true,
    description:
      "Traffic over mTLS across the fleet: each cluster's headline trafficCoverage (the lower of its " +
      'request and connection coverage), weighted by its pods',
  })
  trafficCoverage!: number | null;
  @Field(() => [ClusterCoverageType]) worstCoverage!: ClusterCoverageType[];
  @Field(() => [ExpiringCertificateType], { description: 'Soonest first' })
  expiringCertificates!: ExpiringCertificateType[];
  @Field(() => [TrustAnchorGroupType], {
    description:
      'Clusters per trust anchor, most shared first, at most 100 anchors (trustAnchorGroupCount counts them all): a cluster whose bundle holds two anchors (a rotation) counts in both',
  })
  trustAnchorGroups!: TrustAnchorGroupType[];
  @Field(() => Int, {
    description: 'How many distinct trust anchors the clusters hold (trustAnchorGroups lists the first 100)',
  })
  trustAnchorGroupCount!: number;
  @Field(() => FleetResourcesType, { description: 'Proxy and control-plane resource usage, fleet totals' })
  resources!: FleetResourcesType;
  @Field(() => FleetDriftType, {
    description: 'Drift from the releases Meshfleet applied (see Cluster.drift)',
  })
  drift!: FleetDriftType;
  @Field(() => [VizPrometheusSizingWarningType], {
    description:
      "Clusters whose bundled viz Prometheus runs beyond its documented sizing (largest overrun first, at most 50); use an external Prometheus (installExtension's prometheusUrl) or raise its limit",
  })
  vizPrometheusWarnings!: VizPrometheusSizingWarningType[];
}
