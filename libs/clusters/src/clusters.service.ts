import { Inject, Injectable } from '@nestjs/common';
import {
  assertDns1123Label,
  assertLabels,
  ConflictError,
  issueSecret,
  Page,
  parseLabelSelector,
  ValidationError,
} from '@meshfleet/core';
import { AppConfig } from '@meshfleet/config';
import { Actor, AgentCredentialCache } from '@meshfleet/auth';
import { AuditService } from '@meshfleet/audit';
import {
  CloudProvider,
  Cluster,
  ClusterMode,
  ClusterStatus,
  Db,
  GitopsTool,
  ManagementMode,
  ManagementModeSource,
} from '@meshfleet/db';
import { assertAgentReachable, renderAgentHelmCommand, renderAgentManifest } from './agent-manifest';
import { ClusterListFilter, ClustersRepository } from './clusters.repository';

export interface RegisterClusterData {
  name: string;
  provider: CloudProvider;
  region?: string | null;
  labels?: Record<string, unknown> | null;
  /** Default MANAGED: Meshfleet's purpose is running Linkerd's lifecycle (README, "Agent modes"). */
  mode?: ClusterMode | null;
}

export interface ClusterListQuery {
  provider?: CloudProvider | null;
  region?: string | null;
  status?: ClusterStatus | null;
  labelSelector?: string | null;
  search?: string | null;
  includeDeregistered?: boolean | null;
}

export interface Enrollment {
  cluster: Cluster;
  bootstrapToken: { token: string; expiresAt: Date };
  agentManifest: string;
  helmCommand: string;
}

const REGION = /^[a-z0-9]([-a-z0-9.]{0,62})$/i;

function validRegion(region: string | null | undefined): string | null {
  if (region === null || region === undefined || region === '') return null;
  if (!REGION.test(region))
    throw new ValidationError(
      `region "${region}" is invalid: letters, digits, "-" and "." only, at most 63`,
      'region',
    );
  return region;
}

function validLabels(labels: Record<string, unknown> | null | undefined): Record<string, string> {
  if (!labels) return {};
  for (const [k, v] of Object.entries(labels)) {
    if (typeof v !== 'string')
      throw new ValidationError(`labels value for "${k}" must be a string`, 'labels');
  }
  const out = labels as Record<string, string>;
  assertLabels(out, 'labels');
  return out;
}

@Injectable()
export class ClustersService {
  constructor(
    private readonly repo: ClustersRepository,
    private readonly audit: AuditService,
    @Inject(AppConfig) private readonly config: AppConfig,
    private readonly credentials: AgentCredentialCache,
  ) {}

  async register(actor: Actor, input: RegisterClusterData): Promise<Enrollment> {
    assertDns1123Label(input.name, 'name');
    const region = validRegion(input.region);
    const labels = validLabels(input.labels);
    assertAgentReachable(this.config.publicUrl, this.config.publicUrlAllowLocal);
    const mode = input.mode ?? ClusterMode.MANAGED;
    return this.repo.transaction(async (db) => {
      const cluster = await this.repo.create(db, actor.organizationId, {
        name: input.name,
        provider: input.provider,
        region,
        labels,
        mode,
      });
      const enrollment = await this.issueBootstrapToken(db, cluster);
      await this.audit.recordActor(
        db,
        actor,
        'cluster.register',
        { type: 'Cluster', id: cluster.id },
        {
          name: cluster.name,
          provider: cluster.provider,
          region,
          labels,
          mode,
        },
      );
      return enrollment;
    });
  }

  get(organizationId: string, id: string): Promise<Cluster> {
    return this.repo.transaction((db) => this.repo.get(db, organizationId, id));
  }

  list(
    organizationId: string,
    query: ClusterListQuery,
    first: number,
    after: string | null,
  ): Promise<Page<Cluster>> {
    return this.repo.list(organizationId, this.listFilter(query), first, after);
  }

  /** Validates a user's cluster filter (label selector syntax included) into the repository's form. */
  listFilter(query: ClusterListQuery): ClusterListFilter {
    return {
      provider: query.provider ?? null,
      region: query.region ?? null,
      status: query.status ?? null,
      search: query.search?.trim() || null,
      labelSelector: query.labelSelector ? parseLabelSelector(query.labelSelector) : [],
      includeDeregistered: query.includeDeregistered ?? false,
    };
  }

  async update(
    actor: Actor,
    id: string,
    input: { region?: string | null; labels?: Record<string, unknown> | null },
  ): Promise<Cluster> {
    const data: { region?: string | null; labels?: Record<string, string> } = {};
    if (input.region !== undefined) data.region = validRegion(input.region);
    if (input.labels !== undefined) data.labels = validLabels(input.labels);
    return this.repo.transaction(async (db) => {
      const before = await this.repo.get(db, actor.organizationId, id);
      this.assertActive(before);
      const updated = await this.repo.update(db, actor.organizationId, id, data);
      await this.audit.recordActor(
        db,
        actor,
        'cluster.update',
        { type: 'Cluster', id },
        {
          before: { region: before.region, labels: before.labels },
          after: { region: updated.region, labels: updated.labels },
        },
      );
      return updated;
    });
  }

  /** Removes the cluster from management: its agent's credentials stop working at once. */
  async deregister(actor: Actor, id: string): Promise<Cluster> {
    const cluster = await this.repo.transaction(async (db) => {
      const cluster = await this.repo.get(db, actor.organizationId, id);
      if (cluster.status === ClusterStatus.DEREGISTERED) return cluster;
      const now = new Date();
      const revoked = await this.repo.revokeAgentCredentials(db, actor.organizationId, id, now);
      await this.repo.revokeOpenBootstrapTokens(db, actor.organizationId, id, now);
      const updated = await this.repo.update(db, actor.organizationId, id, {
        status: ClusterStatus.DEREGISTERED,
        deregisteredAt: now,
      });
      await this.audit.recordActor(
        db,
        actor,
        'cluster.deregister',
        { type: 'Cluster', id },
        {
          name: cluster.name,
          revokedCredentials: revoked,
        },
      );
      return updated;
    });
    await this.credentials.invalidateCluster(cluster.id);
    return cluster;
  }

  /** A fresh bootstrap token (and manifest) for a new or redeployed agent; older unused ones stop working. */
  async rotateBootstrapToken(actor: Actor, id: string): Promise<Enrollment> {
    assertAgentReachable(this.config.publicUrl, this.config.publicUrlAllowLocal);
    return this.repo.transaction(async (db) => {
      const cluster = await this.repo.get(db, actor.organizationId, id);
      this.assertActive(cluster);
      await this.repo.revokeOpenBootstrapTokens(db, actor.organizationId, id, new Date());
      const enrollment = await this.issueBootstrapToken(db, cluster);
      await this.audit.recordActor(
        db,
        actor,
        'cluster.rotate-bootstrap-token',
        { type: 'Cluster', id },
        {
          expiresAt: enrollment.bootstrapToken.expiresAt.toISOString(),
        },
      );
      return enrollment;
    });
  }

  /**
   * Changes what the agent may do. Meshfleet applies the new mode at once (a MONITOR cluster gets
   * no lifecycle operation from now on); the agent's RBAC changes only when the returned manifest
   * (a fresh bootstrap token: the agent re-enrolls) is applied in the cluster.
   */
  async setMode(actor: Actor, id: string, mode: ClusterMode): Promise<Enrollment> {
    return this.repo.transaction(async (db) => {
      const before = await this.repo.get(db, actor.organizationId, id);
      this.assertActive(before);
      const cluster =
        before.mode === mode ? before : await this.repo.update(db, actor.organizationId, id, { mode });
      await this.repo.revokeOpenBootstrapTokens(db, actor.organizationId, id, new Date());
      const enrollment = await this.issueBootstrapToken(db, cluster);
      await this.audit.recordActor(
        db,
        actor,
        'cluster.set-mode',
        { type: 'Cluster', id },
        { before: before.mode, after: mode },
      );
      return enrollment;
    });
  }

  /** The user's choice of who applies Linkerd; detection from reports never overrides it. */
  async setManagementMode(
    actor: Actor,
    id: string,
    mode: ManagementMode,
    tool: GitopsTool | null,
  ): Promise<Cluster> {
    if (mode === ManagementMode.GITOPS && !tool)
      throw new ValidationError('tool is required with GITOPS (ARGOCD or FLUX)', 'tool');
    if (mode === ManagementMode.MESHFLEET && tool)
      throw new ValidationError('tool is only taken with GITOPS', 'tool');
    return this.repo.transaction(async (db) => {
      const before = await this.repo.get(db, actor.organizationId, id);
      this.assertActive(before);
      const updated = await this.repo.update(db, actor.organizationId, id, {
        managementMode: mode,
        gitopsTool: tool,
        managementModeSource: ManagementModeSource.USER,
      });
      await this.audit.recordActor(
        db,
        actor,
        'cluster.set-management-mode',
        { type: 'Cluster', id },
        { before: { mode: before.managementMode, tool: before.gitopsTool }, after: { mode, tool } },
      );
      return updated;
    });
  }

  private assertActive(cluster: Cluster): void {
    if (cluster.status === ClusterStatus.DEREGISTERED) {
      throw new ConflictError(`Cluster ${cluster.name} is deregistered`, { status: cluster.status });
    }
  }

  private async issueBootstrapToken(db: Db, cluster: Cluster): Promise<Enrollment> {
    const secret = issueSecret('mfb');
    const expiresAt = new Date(Date.now() + this.config.bootstrapTokenTtlSeconds * 1000);
    await this.repo.createBootstrapToken(db, cluster.organizationId, cluster.id, secret.hash, expiresAt);
    const manifestInput = {
      clusterId: cluster.id,
      clusterName: cluster.name,
      apiUrl: this.config.publicUrl,
      bootstrapToken: secret.secret,
      image: this.config.agentImage,
      mode: cluster.mode,
    };
    const agentManifest = renderAgentManifest(manifestInput);
    const helmCommand = renderAgentHelmCommand({ ...manifestInput, chart: this.config.agentHelmChart });
    return { cluster, bootstrapToken: { token: secret.secret, expiresAt }, agentManifest, helmCommand };
  }
}
