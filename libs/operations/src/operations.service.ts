import { Inject, Injectable } from '@nestjs/common';
import { HealthReport } from '@meshfleet/agent-protocol';
import { checkUpgradePath } from '@meshfleet/linkerd';
import { FailedPreconditionError, NotFoundError, Page, ValidationError } from '@meshfleet/core';
import { AppConfig } from '@meshfleet/config';
import { Actor } from '@meshfleet/auth';
import { AuditService } from '@meshfleet/audit';
import {
  Cluster,
  ClusterStatus,
  IdentityMode,
  Operation,
  OperationKind,
  OperationStatus,
  Prisma,
  PrismaService,
} from '@meshfleet/db';
import { ClustersService } from '@meshfleet/clusters';
import { IdentityDomainsService } from '@meshfleet/certificates';
import { HealthRepository } from '@meshfleet/health';
import { recordDomainEvent } from '@meshfleet/events';
import { CatalogService, Variant } from './catalog/catalog.service';
import { OperationFilter, OperationsRepository } from './operations.repository';
import { OperationsQueue } from './operations.queue';
import { OPERATION_UPDATED, OperationsOrchestrator } from './operations.orchestrator';
import { LiveUpdates } from '@meshfleet/queue';

export interface OperationParams {
  release?: { version: string; variant: Variant; crdsDigest: string; controlPlaneDigest: string };
  identity?: { mode: IdentityMode; trustDomain: string; identityDomainId: string | null };
  restartDataPlane?: boolean;
  force?: boolean;
  namespaces?: string[];
  fromVersion?: string | null;
}

@Injectable()
export class OperationsService {
  constructor(
    private readonly repo: OperationsRepository,
    private readonly queue: OperationsQueue,
    private readonly orchestrator: OperationsOrchestrator,
    private readonly clusters: ClustersService,
    private readonly catalog: CatalogService,
    private readonly domains: IdentityDomainsService,
    private readonly health: HealthRepository,
    private readonly audit: AuditService,
    private readonly prisma: PrismaService,
    private readonly live: LiveUpdates,
    @Inject(AppConfig) private readonly config: AppConfig,
  ) {}

  get(organizationId: string, id: string): Promise<Operation> {
    return this.repo.get(organizationId, id);
  }

  list(
    organizationId: string,
    filter: OperationFilter,
    first: number,
    after: string | null,
  ): Promise<Page<Operation>> {
    return this.repo.list(organizationId, filter, first, after);
  }

  private async connectedCluster(
    actor: Actor,
    clusterId: string,
  ): Promise<{ cluster: Cluster; report: HealthReport | null }> {
    const cluster = await this.clusters.get(actor.organizationId, clusterId);
    if (cluster.status !== ClusterStatus.CONNECTED)
      throw new FailedPreconditionError(
        `Cluster ${cluster.name} is ${cluster.status}: its agent must be connected`,
        {
          reason: 'CLUSTER_NOT_CONNECTED',
        },
      );
    const latest = await this.health.latest(actor.organizationId, clusterId);
    return { cluster, report: (latest?.report as unknown as HealthReport | undefined) ?? null };
  }

  private async release(actor: Actor, version: string, variant: Variant) {
    try {
      return await this.catalog.bundle(actor.organizationId, version, variant);
    } catch (e) {
      if (e instanceof NotFoundError)
        throw new ValidationError(`Linkerd release ${version} (${variant}) is not in the catalog`, 'version');
      throw e;
    }
  }

  async install(
    actor: Actor,
    clusterId: string,
    input: { version: string; highAvailability?: boolean | null; identityDomainId: string },
  ): Promise<Operation> {
    const { cluster, report } = await this.connectedCluster(actor, clusterId);
    if (report?.linkerd.installed)
      throw new FailedPreconditionError(
        `Linkerd ${report.linkerd.version ?? ''} is already installed on ${cluster.name}; use upgradeLinkerd`,
        {
          reason: 'ALREADY_INSTALLED',
        },
      );
    const variant: Variant = input.highAvailability ? 'ha' : 'default';
    const { release, bundle } = await this.release(actor, input.version, variant);
    const path = checkUpgradePath({
      from: null,
      to: release.version,
      clusterKubernetesVersion: cluster.kubernetesVersion ?? report?.kubernetesVersion ?? '',
      target: { kubernetesMin: release.kubernetesMin, kubernetesMax: release.kubernetesMax },
    });
    if (!path.allowed) throw new FailedPreconditionError(path.reason, { reason: path.code });
    let domain;
    try {
      domain = await this.domains.get(actor.organizationId, input.identityDomainId);
    } catch (e) {
      if (e instanceof NotFoundError)
        throw new ValidationError('identityDomainId does not name an identity domain', 'identityDomainId');
      throw e;
    }
    return this.create(actor, cluster, OperationKind.INSTALL, {
      release: {
        version: release.version,
        variant,
        crdsDigest: bundle.crdsDigest,
        controlPlaneDigest: bundle.controlPlaneDigest,
      },
      identity: { mode: domain.mode, trustDomain: domain.trustDomain, identityDomainId: domain.id },
    });
  }

  async upgrade(
    actor: Actor,
    clusterId: string,
    input: { version: string; restartDataPlane?: boolean | null; allowDowngrade?: boolean | null },
  ): Promise<Operation> {
    const { cluster, report } = await this.connectedCluster(actor, clusterId);
    if (!report?.linkerd.installed || !report.linkerd.version)
      throw new FailedPreconditionError(`Linkerd is not installed on ${cluster.name}; use installLinkerd`, {
        reason: 'NOT_INSTALLED',
      });
    const variant: Variant = report.linkerd.ha ? 'ha' : 'default';
    const { release, bundle } = await this.release(actor, input.version, variant);
    const path = checkUpgradePath({
      from: report.linkerd.version,
      to: release.version,
      clusterKubernetesVersion: cluster.kubernetesVersion ?? report.kubernetesVersion ?? '',
      target: { kubernetesMin: release.kubernetesMin, kubernetesMax: release.kubernetesMax },
      allowDowngrade: input.allowDowngrade ?? false,
      oldestProxyVersion: report.linkerd.skew.oldestProxy,
    });
    if (!path.allowed) throw new FailedPreconditionError(path.reason, { reason: path.code });
    return this.create(actor, cluster, OperationKind.UPGRADE, {
      release: {
        version: release.version,
        variant,
        crdsDigest: bundle.crdsDigest,
        controlPlaneDigest: bundle.controlPlaneDigest,
      },
      identity: await this.identityOf(actor, cluster),
      restartDataPlane: input.restartDataPlane ?? false,
      fromVersion: report.linkerd.version,
    });
  }

  async uninstall(actor: Actor, clusterId: string, force: boolean): Promise<Operation> {
    const { cluster, report } = await this.connectedCluster(actor, clusterId);
    if (report && !report.linkerd.installed)
      throw new FailedPreconditionError(`Linkerd is not installed on ${cluster.name}`, {
        reason: 'NOT_INSTALLED',
      });
    return this.create(actor, cluster, OperationKind.UNINSTALL, { force });
  }

  async rotateIssuer(actor: Actor, clusterId: string): Promise<Operation> {
    const { cluster } = await this.connectedCluster(actor, clusterId);
    const identity = await this.identityOf(actor, cluster);
    if (identity.mode !== IdentityMode.MANAGED)
      throw new FailedPreconditionError(
        `${cluster.name} has no Meshfleet-managed identity domain: its issuer is managed elsewhere`,
        {
          reason: 'IDENTITY_NOT_MANAGED',
        },
      );
    return this.create(actor, cluster, OperationKind.ROTATE_ISSUER, { identity });
  }

  async restartDataPlane(actor: Actor, clusterId: string, namespaces: string[]): Promise<Operation> {
    const { cluster } = await this.connectedCluster(actor, clusterId);
    return this.create(actor, cluster, OperationKind.RESTART_DATA_PLANE, { namespaces });
  }

  async cancel(actor: Actor, id: string): Promise<Operation> {
    const op = await this.repo.get(actor.organizationId, id);
    if (
      op.status !== OperationStatus.QUEUED &&
      op.status !== OperationStatus.DISPATCHED &&
      op.status !== OperationStatus.RUNNING
    )
      throw new FailedPreconditionError(`Operation ${id} is already ${op.status}`, {
        reason: 'ALREADY_FINISHED',
      });
    await this.orchestrator.cancel(op, actor.actorName);
    await this.audit.recordActor(
      this.prisma,
      actor,
      'operation.cancel',
      { type: 'Operation', id },
      { kind: op.kind },
    );
    return this.repo.get(actor.organizationId, id);
  }

  private async identityOf(
    actor: Actor,
    cluster: Cluster,
  ): Promise<NonNullable<OperationParams['identity']>> {
    if (!cluster.identityDomainId)
      return { mode: IdentityMode.EXTERNAL, trustDomain: 'cluster.local', identityDomainId: null };
    const d = await this.domains.get(actor.organizationId, cluster.identityDomainId);
    return { mode: d.mode, trustDomain: d.trustDomain, identityDomainId: d.id };
  }

  private async create(
    actor: Actor,
    cluster: Cluster,
    kind: OperationKind,
    params: OperationParams,
  ): Promise<Operation> {
    const op = await this.repo.transaction(async (db) => {
      const created = await this.repo.createLocked(db, {
        organizationId: actor.organizationId,
        clusterId: cluster.id,
        kind,
        params: params as unknown as Prisma.InputJsonValue,
        requestedBy: actor.actorName,
        deadlineAt: new Date(Date.now() + this.config.operationTimeoutSeconds * 1000),
      });
      await this.audit.recordActor(
        db,
        actor,
        `operation.${kind.toLowerCase()}`,
        { type: 'Cluster', id: cluster.id },
        {
          operationId: created.id,
          ...params,
        },
      );
      await recordDomainEvent(db, actor.organizationId, 'operation.queued', cluster.id, {
        operationId: created.id,
        kind,
        clusterName: cluster.name,
      });
      return created;
    });
    await this.queue.dispatch(op.id);
    await this.live.publish(OPERATION_UPDATED, {
      operationId: op.id,
      clusterId: op.clusterId,
      organizationId: op.organizationId,
    });
    return op;
  }
}
