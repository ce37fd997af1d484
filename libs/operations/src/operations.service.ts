import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { HealthReport } from '@meshfleet/agent-protocol';
import { checkUpgradePath } from '@meshfleet/linkerd';
import {
  ConflictError,
  DomainError,
  FailedPreconditionError,
  NotFoundError,
  Page,
  ValidationError,
} from '@meshfleet/core';
import { AppConfig } from '@meshfleet/config';
import { Actor } from '@meshfleet/auth';
import { AuditService } from '@meshfleet/audit';
import {
  Cluster,
  ClusterMode,
  ClusterStatus,
  IdentityMode,
  Operation,
  OperationKind,
  OperationStatus,
} from '@meshfleet/db';
import { ClustersService } from '@meshfleet/clusters';
import { IdentityDomainsService } from '@meshfleet/certificates';
import { HealthRepository } from '@meshfleet/health';
import { recordDomainEvent, recordDomainEvents } from '@meshfleet/events';
import { CatalogService, Variant } from './catalog/catalog.service';
import { OperationParams } from './operation-kinds';
import { assertMeshfleetApplies } from './gitops-guard';
import { meshAdoptionParams, MeshNamespacesRequest } from './mesh-adoption';
import { assertReconcilable } from './reconcile-drift';
import {
  checkAllowScrapes,
  checkExtensionPresence,
  checkExtensionVersion,
  checkNoExtensions,
  checkNoLinks,
  checkPrometheusUrl,
  controlPlaneVersion,
  extensionName,
  extensionWarnings,
  type ExtensionAction,
} from './extensions/extension-requests';
import { OperationFilter, OperationsRepository, OperationWithSteps } from './operations.repository';
import { OperationsQueue } from './operations.queue';
import { OPERATION_UPDATED, OperationsOrchestrator } from './operations.orchestrator';
import { LiveUpdates } from '@meshfleet/redis';

export type { OperationParams } from './operation-kinds';

type BundleOf = (version: string, variant: Variant) => ReturnType<CatalogService['bundle']>;

/** A MONITOR cluster's agent holds read-only RBAC: nothing that changes the cluster is sent to it. */
export function assertManaged(cluster: Pick<Cluster, 'name' | 'mode'>): void {
  if (cluster.mode === ClusterMode.MONITOR)
    throw new FailedPreconditionError(
      `Cluster ${cluster.name} is in MONITOR mode: its agent may only read. Switch it to MANAGED (setClusterMode) and apply the returned manifest to run lifecycle operations`,
      { reason: 'CLUSTER_MONITOR_ONLY' },
    );
}

@Injectable()
export class OperationsService {
  private readonly log = new Logger(OperationsService.name);

  constructor(
    private readonly repo: OperationsRepository,
    private readonly queue: OperationsQueue,
    private readonly orchestrator: OperationsOrchestrator,
    private readonly clusters: ClustersService,
    private readonly catalog: CatalogService,
    private readonly domains: IdentityDomainsService,
    private readonly health: HealthRepository,
    private readonly audit: AuditService,
    private readonly live: LiveUpdates,
    @Inject(AppConfig) private readonly config: AppConfig,
  ) {}

  get(organizationId: string, id: string): Promise<OperationWithSteps> {
    return this.repo.get(organizationId, id);
  }

  list(
    organizationId: string,
    filter: OperationFilter,
    first: number,
    after: string | null,
  ): Promise<Page<OperationWithSteps>> {
    return this.repo.list(organizationId, filter, first, after);
  }

  /** The cluster of a lifecycle operation: MANAGED and connected. */
  private async connectedCluster(
    actor: Actor,
    clusterId: string,
    /** What the operation does, for the GITOPS refusal; null: allowed on GITOPS clusters. */
    gitopsRefused: string | null,
  ): Promise<{ cluster: Cluster; report: HealthReport | null }> {
    const cluster = await this.clusters.get(actor.organizationId, clusterId);
    assertManaged(cluster);
    if (gitopsRefused) assertMeshfleetApplies(cluster, gitopsRefused);
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
    input: {
      version: string;
      highAvailability?: boolean | null;
      identityDomainId: string;
      gatewayApiCrds?: boolean | null;
    },
  ): Promise<OperationWithSteps> {
    const { cluster, report } = await this.connectedCluster(actor, clusterId, 'install Linkerd');
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
    this.domains.assertCanSign(domain);
    return this.create(actor, cluster, OperationKind.INSTALL, {
      release: {
        version: release.version,
        variant,
        crdsDigest: bundle.crdsDigest,
        controlPlaneDigest: bundle.controlPlaneDigest,
      },
      identity: { mode: domain.mode, trustDomain: domain.trustDomain, identityDomainId: domain.id },
      ...(input.gatewayApiCrds ? { gatewayApiCrds: true } : {}),
    });
  }

  async upgrade(
    actor: Actor,
    clusterId: string,
    input: { version: string; restartDataPlane?: boolean | null; allowDowngrade?: boolean | null },
  ): Promise<OperationWithSteps> {
    const { cluster, report } = await this.connectedCluster(actor, clusterId, 'upgrade Linkerd');
    const params = await this.upgradeParams(actor, cluster, report, input, (version, variant) =>
      this.release(actor, version, variant),
    );
    return this.create(actor, cluster, OperationKind.UPGRADE, params);
  }

  /**
   * Upgrades many clusters at once (a rollout wave): the same checks as `upgrade`, but a handful
   * of round trips for the whole batch instead of a dozen per cluster. Each cluster gets its
   * operation or the domain error `upgrade` would have thrown (a busy cluster: ConflictError).
   */
  async upgradeMany(
    actor: Actor,
    clusterIds: string[],
    input: { version: string; restartDataPlane?: boolean | null },
  ): Promise<Map<string, Operation | DomainError>> {
    const releases = new Map<Variant, ReturnType<BundleOf>>();
    const bundleOf: BundleOf = (version, variant) => {
      if (!releases.has(variant)) releases.set(variant, this.release(actor, version, variant));
      return releases.get(variant)!;
    };
    return this.admitMany(actor, OperationKind.UPGRADE, clusterIds, 'upgrade Linkerd', (cluster, report) =>
      this.upgradeParams(actor, cluster, report, input, bundleOf),
    );
  }

  /**
   * Mesh adoption on many clusters (a rollout wave): the checks of `meshNamespaces` against each
   * cluster's latest report, then one batch of operations, as `upgradeMany` does.
   */
  async meshMany(
    actor: Actor,
    clusterIds: string[],
    input: MeshNamespacesRequest,
    kind: typeof OperationKind.MESH_NAMESPACES | typeof OperationKind.UNMESH_NAMESPACES,
  ): Promise<Map<string, Operation | DomainError>> {
    return this.admitMany(actor, kind, clusterIds, 'change namespace injection', (cluster, report) =>
      meshAdoptionParams(cluster.name, report, input),
    );
  }

  /**
   * The per-cluster admission of a wave: each cluster must be MANAGED and connected, then `paramsOf`
   * checks it against its latest report. A cluster that fails gets the domain error in the result
   * instead of an operation; the others are created at once.
   */
  private async admitMany(
    actor: Actor,
    kind: OperationKind,
    clusterIds: string[],
    /** What the operations do, for the GITOPS refusal. */
    gitopsRefused: string,
    paramsOf: (cluster: Cluster, report: HealthReport | null) => OperationParams | Promise<OperationParams>,
  ): Promise<Map<string, Operation | DomainError>> {
    const out = new Map<string, Operation | DomainError>();
    const planned: { cluster: Cluster; params: OperationParams }[] = [];
    for (const { cluster, report } of await this.repo.clustersWithReports(actor.organizationId, clusterIds)) {
      try {
        assertManaged(cluster);
        assertMeshfleetApplies(cluster, gitopsRefused);
        if (cluster.status !== ClusterStatus.CONNECTED)
          throw new FailedPreconditionError(
            `Cluster ${cluster.name} is ${cluster.status}: its agent must be connected`,
            { reason: 'CLUSTER_NOT_CONNECTED' },
          );
        const r = (report as unknown as HealthReport | null) ?? null;
        planned.push({ cluster, params: await paramsOf(cluster, r) });
      } catch (e) {
        if (!(e instanceof DomainError)) throw e;
        out.set(cluster.id, e);
      }
    }
    return this.createMany(actor, kind, clusterIds, planned, out);
  }

  /**
   * Creates the planned operations at once (locked, audited) and dispatches them in the same
   * transaction, so a wave's agents are woken as it commits.
   */
  private async createMany(
    actor: Actor,
    kind: OperationKind,
    clusterIds: string[],
    planned: { cluster: Cluster; params: OperationParams }[],
    out: Map<string, Operation | DomainError>,
  ): Promise<Map<string, Operation | DomainError>> {
    const found = new Set(planned.map((p) => p.cluster.id));
    for (const id of clusterIds)
      if (!out.has(id) && !found.has(id)) out.set(id, new NotFoundError('Cluster', id));
    const deadlineAt = new Date(Date.now() + this.config.operationTimeoutSeconds * 1000);
    const rows = planned.map(({ cluster, params }) => ({
      id: randomUUID(),
      organizationId: actor.organizationId,
      clusterId: cluster.id,
      kind,
      params,
      requestedBy: actor.actorName,
      deadlineAt,
    }));
    const byCluster = new Map(planned.map((p) => [p.cluster.id, p]));
    const attempts = await this.orchestrator.firstAttempts(
      rows.map((r) => ({ ...r, params: r.params as unknown as Operation['params'] })),
    );
    const created = await this.repo.transaction(async (db) => {
      const ops = await this.repo.createManyLocked(db, rows);
      const dispatchedAt = new Date();
      const of = (op: Operation) => byCluster.get(op.clusterId)!;
      await this.audit.recordActorMany(
        db,
        actor,
        `operation.${kind.toLowerCase()}`,
        ops.map((op) => ({
          target: { type: 'Cluster', id: op.clusterId },
          metadata: { operationId: op.id, ...of(op).params },
        })),
      );
      await recordDomainEvents(
        db,
        actor.organizationId,
        'operation.queued',
        ops.map((op) => ({
          clusterId: op.clusterId,
          payload: { operationId: op.id, kind: op.kind, clusterName: of(op).cluster.name },
        })),
      );
      // Operations that lost their cluster's lock were removed above: their attempts are dropped.
      const ids = new Set(ops.map((op) => op.id));
      const won = await this.repo.dispatchIn(
        db,
        attempts.filter((a) => ids.has(a.operationId)),
        dispatchedAt,
      );
      return ops.map((op) =>
        won.has(op.id) ? { ...op, status: OperationStatus.DISPATCHED, dispatchedAt } : op,
      );
    });
    for (const op of created) out.set(op.clusterId, op);
    for (const row of rows)
      if (!out.has(row.clusterId))
        out.set(row.clusterId, new ConflictError('Another operation is active on this cluster'));
    // One whose task could not be made is left to its dispatch job (the reconciler re-queues it
    // if this worker dies first).
    const queued = created.filter((op) => op.status === OperationStatus.QUEUED);
    if (queued.length) await this.queue.dispatchMany(queued.map((op) => op.id));
    try {
      await this.orchestrator.afterDispatch(created.filter((op) => op.status === OperationStatus.DISPATCHED));
    } catch (e) {
      // The tasks are stored: an agent that was not woken takes its task at its next poll.
      this.log.warn(`wake-ups failed: ${e instanceof Error ? e.message : 'error'}`);
    }
    return out;
  }

  /** The checks of an upgrade and the parameters of its operation. */
  private async upgradeParams(
    actor: Actor,
    cluster: Cluster,
    report: HealthReport | null,
    input: { version: string; restartDataPlane?: boolean | null; allowDowngrade?: boolean | null },
    bundleOf: BundleOf,
  ): Promise<OperationParams> {
    if (!report?.linkerd.installed || !report.linkerd.version)
      throw new FailedPreconditionError(`Linkerd is not installed on ${cluster.name}; use installLinkerd`, {
        reason: 'NOT_INSTALLED',
      });
    const variant: Variant = report.linkerd.ha ? 'ha' : 'default';
    const { release, bundle } = await bundleOf(input.version, variant);
    const path = checkUpgradePath({
      from: report.linkerd.version,
      to: release.version,
      clusterKubernetesVersion: cluster.kubernetesVersion ?? report.kubernetesVersion ?? '',
      target: { kubernetesMin: release.kubernetesMin, kubernetesMax: release.kubernetesMax },
      allowDowngrade: input.allowDowngrade ?? false,
      oldestProxyVersion: report.linkerd.skew.oldestProxy,
    });
    if (!path.allowed) throw new FailedPreconditionError(path.reason, { reason: path.code });
    return {
      release: {
        version: release.version,
        variant,
        crdsDigest: bundle.crdsDigest,
        controlPlaneDigest: bundle.controlPlaneDigest,
      },
      identity: await this.identityOf(actor, cluster),
      restartDataPlane: input.restartDataPlane ?? false,
      allowDowngrade: input.allowDowngrade ?? false,
      fromVersion: report.linkerd.version,
      extensions: await this.extensionsToUpgrade(actor, cluster, report, release.version),
    };
  }

  /** The installed extensions this upgrade takes along, each in the target release's bundle. */
  private async extensionsToUpgrade(
    actor: Actor,
    cluster: Cluster,
    report: HealthReport,
    version: string,
  ): Promise<NonNullable<OperationParams['extensions']>> {
    const out: NonNullable<OperationParams['extensions']> = [];
    for (const e of report.extensions ?? []) {
      if (e.name !== 'viz' && e.name !== 'multicluster') continue;
      try {
        const { bundle } = await this.catalog.extensionBundle(actor.organizationId, version, e.name);
        // The external Prometheus viz runs with stays: the new bundle is applied without its own.
        out.push({
          extension: e.name,
          release: { version, digest: bundle.digest },
          prometheusUrl: e.name === 'viz' ? (e.prometheusUrl ?? null) : null,
        });
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
        throw new FailedPreconditionError(
          `${cluster.name} runs ${e.name}, and the catalog has no ${e.name} bundle for ${version}: ` +
            'Linkerd upgrades extensions right after the control plane, so import it first',
          { reason: 'EXTENSION_NOT_IN_CATALOG', extension: e.name },
        );
      }
    }
    return out;
  }

  async uninstall(actor: Actor, clusterId: string, force: boolean): Promise<OperationWithSteps> {
    const { cluster, report } = await this.connectedCluster(actor, clusterId, 'uninstall Linkerd');
    if (report && !report.linkerd.installed)
      throw new FailedPreconditionError(`Linkerd is not installed on ${cluster.name}`, {
        reason: 'NOT_INSTALLED',
      });
    checkNoExtensions(cluster.name, report);
    return this.create(actor, cluster, OperationKind.UNINSTALL, { force });
  }

  async rotateIssuer(actor: Actor, clusterId: string): Promise<OperationWithSteps> {
    // The exported values read the issuer from a kubernetes.io/tls Secret; the agent's rotation
    // writes linkerd.io/tls keys, so it is refused until it can write that format.
    const { cluster } = await this.connectedCluster(actor, clusterId, 'rotate the identity issuer');
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

  async restartDataPlane(actor: Actor, clusterId: string, namespaces: string[]): Promise<OperationWithSteps> {
    // Restarts roll workloads (Argo CD and Flux exports ignore restartedAt); no Linkerd object changes.
    const { cluster } = await this.connectedCluster(actor, clusterId, null);
    return this.create(actor, cluster, OperationKind.RESTART_DATA_PLANE, { namespaces });
  }

  /** RECONCILE_DRIFT: re-apply what Meshfleet last applied, once the latest report shows drift. */
  async reconcileDrift(actor: Actor, clusterId: string): Promise<OperationWithSteps> {
    const { cluster, report } = await this.connectedCluster(actor, clusterId, 'reconcile drift');
    assertReconcilable(cluster.name, report);
    return this.create(actor, cluster, OperationKind.RECONCILE_DRIFT, {});
  }

  /**
   * MESH_NAMESPACES / UNMESH_NAMESPACES: checked against the cluster's latest report (namespaces
   * it has, not system or Linkerd's own, Linkerd installed) before anything is written.
   */
  async meshNamespaces(
    actor: Actor,
    clusterId: string,
    input: MeshNamespacesRequest,
    kind:
      | typeof OperationKind.MESH_NAMESPACES
      | typeof OperationKind.UNMESH_NAMESPACES = OperationKind.MESH_NAMESPACES,
  ): Promise<OperationWithSteps> {
    const { cluster, report } = await this.connectedCluster(actor, clusterId, 'change namespace injection');
    return this.create(actor, cluster, kind, meshAdoptionParams(cluster.name, report, input));
  }

  /**
   * INSTALL_EXTENSION / UPGRADE_EXTENSION / UNINSTALL_EXTENSION, checked against the latest
   * report (Linkerd installed, the extension there or not, the release's major) before anything
   * is written. The release defaults to the control plane's.
   */
  async extension(
    actor: Actor,
    clusterId: string,
    input: {
      extension: string;
      version?: string | null;
      allowScrapesNamespaces?: string[] | null;
      prometheusUrl?: string | null;
    },
    action: ExtensionAction,
  ): Promise<OperationWithSteps> {
    const extension = extensionName(input.extension);
    const { cluster, report } = await this.connectedCluster(
      actor,
      clusterId,
      `${action} the ${extension} extension`,
    );
    const cp = controlPlaneVersion(cluster.name, report);
    const version = input.version?.trim() || cp;
    if (action !== 'uninstall') checkExtensionVersion(cp, version);
    const allowScrapes = checkAllowScrapes(report, extension, input.allowScrapesNamespaces ?? []);
    const prometheusUrl = checkPrometheusUrl(report, extension, action, input.prometheusUrl);
    checkExtensionPresence(cluster.name, report, extension, action);
    if (action === 'uninstall') {
      checkNoLinks(cluster.name, report, extension);
      return this.create(actor, cluster, OperationKind.UNINSTALL_EXTENSION, { extension });
    }
    let bundle;
    try {
      ({ bundle } = await this.catalog.extensionBundle(actor.organizationId, version, extension));
    } catch (e) {
      if (e instanceof NotFoundError)
        throw new ValidationError(`the catalog has no ${extension} bundle for ${version}`, 'version', {
          reason: 'NOT_IN_CATALOG',
        });
      throw e;
    }
    const kind = action === 'install' ? OperationKind.INSTALL_EXTENSION : OperationKind.UPGRADE_EXTENSION;
    const warnings = extensionWarnings(report, extension, {
      prometheusUrl,
      allowScrapesNamespaces: allowScrapes,
    });
    return this.create(actor, cluster, kind, {
      extension,
      extensionRelease: { version, digest: bundle.digest },
      ...(allowScrapes.length ? { allowScrapesNamespaces: allowScrapes } : {}),
      ...(extension === 'viz' ? { prometheusUrl } : {}),
      ...(warnings.length ? { warnings } : {}),
      fromVersion:
        action === 'upgrade' ? (report?.extensions.find((e) => e.name === extension)?.version ?? null) : null,
    });
  }

  async cancel(actor: Actor, id: string): Promise<OperationWithSteps> {
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
    await this.repo.outsideTransaction((db) =>
      this.audit.recordActor(db, actor, 'operation.cancel', { type: 'Operation', id }, { kind: op.kind }),
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
  ): Promise<OperationWithSteps> {
    const op = await this.repo.transaction(async (db) => {
      const created = await this.repo.createLocked(db, {
        organizationId: actor.organizationId,
        clusterId: cluster.id,
        kind,
        params,
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
    return { ...op, steps: [] };
  }
}
