import { Inject } from '@nestjs/common';
import { Args, Context, ID, Int, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { ValidationError } from '@meshfleet/core';
import { AppConfig } from '@meshfleet/config';
import { Allow, CurrentPrincipal, Principal } from '@meshfleet/auth';
import { Cluster, ClusterHealth, Role } from '@meshfleet/db';
import { ClusterFilter, ClustersService, ClusterType } from '@meshfleet/clusters';
import { reportFreshness } from '@meshfleet/linkerd';
import { FleetSummaryService } from './fleet-summary.service';
import { FleetSummaryType } from './dto/fleet-summary.types';
import { HealthRepository } from './health.repository';
import {
  agentView,
  certificatesView,
  healthView,
  linkerdView,
  mtlsView,
  sampleView,
  workloadsView,
} from './health.view';
import {
  AgentStatusType,
  CertificateType,
  ClusterHealthType,
  ClusterWorkloadType,
  HealthSampleType,
  LinkerdStatusType,
  MtlsStatusType,
} from './dto/health.types';

/** RFC 1123 label, as Kubernetes requires of namespace names. */
const NAMESPACE_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

function checkNamespaceArg(namespace: string | null | undefined): void {
  if (namespace != null && !NAMESPACE_NAME.test(namespace))
    throw new ValidationError('namespace must be a Kubernetes namespace name (RFC 1123 label)', 'namespace');
}

type Ctx = { healthCache?: Map<string, Promise<ClusterHealth | null>> };

@Resolver(() => ClusterType)
export class ClusterHealthResolver {
  constructor(
    private readonly repo: HealthRepository,
    private readonly clusters: ClustersService,
    private readonly fleet: FleetSummaryService,
    @Inject(AppConfig) private readonly config: AppConfig,
  ) {}

  /** One read per cluster per request, however many health fields the query asks for. */
  private latest(ctx: Ctx, cluster: ClusterType): Promise<ClusterHealth | null> {
    ctx.healthCache ??= new Map();
    let p = ctx.healthCache.get(cluster.id);
    if (!p) {
      p = this.repo.latest((cluster as unknown as Cluster).organizationId, cluster.id);
      ctx.healthCache.set(cluster.id, p);
    }
    return p;
  }

  @ResolveField(() => ClusterHealthType, {
    description: '`linkerd check` results; UNKNOWN when stale or offline',
  })
  async health(
    @Parent() cluster: ClusterType,
    @Context() ctx: Ctx,
    @Args('namespace', {
      type: () => String,
      nullable: true,
      description:
        'Like `linkerd check --proxy -n <ns>`: `categories`, `notRun` and `checkJson` show the two --proxy categories ' +
        'for this namespace only. Derived from the last report’s cluster-wide run, not re-run: a failed --proxy ' +
        'check stays failed when it names an object in the namespace (with its cluster-wide message) and passes ' +
        'otherwise; "data plane proxies are ready" fails when the report counted no meshed pod there; "data plane ' +
        'namespace exists" is not shown. status, reasons and the counts stay the cluster’s',
    })
    namespace?: string | null,
  ): Promise<ClusterHealthType> {
    checkNamespaceArg(namespace);
    return healthView(
      cluster as unknown as Cluster,
      await this.latest(ctx, cluster),
      reportFreshness(this.config.reportIntervalSeconds),
      namespace,
    );
  }

  @ResolveField(() => MtlsStatusType, { nullable: true })
  async mtls(@Parent() cluster: ClusterType, @Context() ctx: Ctx): Promise<MtlsStatusType | null> {
    return mtlsView(await this.latest(ctx, cluster));
  }

  @ResolveField(() => [ClusterWorkloadType], {
    description:
      'Workloads and their running pods (names for collectProxyMetrics), from the last report; empty before one. ' +
      'Infrastructure namespaces (kube-system, the control plane) are not listed',
  })
  async workloads(
    @Parent() cluster: ClusterType,
    @Context() ctx: Ctx,
    @Args('namespace', { type: () => String, nullable: true }) namespace?: string | null,
  ): Promise<ClusterWorkloadType[]> {
    return workloadsView(await this.latest(ctx, cluster), namespace);
  }

  @ResolveField(() => [CertificateType], { description: 'Soonest expiry first' })
  async certificates(@Parent() cluster: ClusterType, @Context() ctx: Ctx): Promise<CertificateType[]> {
    return certificatesView(await this.latest(ctx, cluster), new Date());
  }

  @ResolveField(() => LinkerdStatusType, { nullable: true })
  async linkerd(@Parent() cluster: ClusterType, @Context() ctx: Ctx): Promise<LinkerdStatusType | null> {
    return linkerdView(await this.latest(ctx, cluster));
  }

  @ResolveField(() => AgentStatusType)
  agent(@Parent() cluster: ClusterType): AgentStatusType {
    return agentView(cluster as unknown as Cluster);
  }

  @Query(() => FleetSummaryType, {
    description: 'Is the mesh fleet OK? Health, versions, coverage, certificates',
  })
  @Allow(Role.VIEWER)
  fleetSummary(
    @CurrentPrincipal() p: Principal,
    @Args('filter', { type: () => ClusterFilter, nullable: true }) filter: ClusterFilter | null,
    @Args('expiringWithinDays', { type: () => Int, nullable: true, defaultValue: 30 })
    expiringWithinDays: number,
  ): Promise<FleetSummaryType> {
    return this.fleet.summary(p.organizationId, filter ?? {}, expiringWithinDays);
  }

  @Query(() => [HealthSampleType], {
    description:
      'Health time series of one cluster (oldest first); with `namespace`, each sample also carries that namespace’s pod coverage',
  })
  @Allow(Role.VIEWER)
  async healthHistory(
    @CurrentPrincipal() p: Principal,
    @Args('clusterId', { type: () => ID }) clusterId: string,
    @Args('from', { type: () => Date, nullable: true }) from: Date | null,
    @Args('to', { type: () => Date, nullable: true }) to: Date | null,
    @Args('limit', { type: () => Int, nullable: true }) limit: number | null,
    @Args('namespace', {
      type: () => String,
      nullable: true,
      description: 'Fills each sample’s `namespace` with this namespace’s meshed/total pods',
    })
    namespace: string | null,
  ): Promise<HealthSampleType[]> {
    await this.clusters.get(p.organizationId, clusterId);
    const end = to ?? new Date();
    const start = from ?? new Date(end.getTime() - 24 * 3600_000);
    if (start >= end) throw new ValidationError('from must be before to', 'from');
    const take = limit ?? 1000;
    if (take < 1 || take > 10_000) throw new ValidationError('limit must be between 1 and 10000', 'limit');
    if (namespace != null && !NAMESPACE_NAME.test(namespace))
      throw new ValidationError(
        'namespace must be a Kubernetes namespace name (RFC 1123 label)',
        'namespace',
      );
    const samples = await this.repo.history(p.organizationId, clusterId, start, end, take);
    return samples.map((s) => sampleView(s, namespace));
  }
}
