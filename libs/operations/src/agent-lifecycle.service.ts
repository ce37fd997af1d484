import { Injectable } from '@nestjs/common';
import { IssuerCsrResponse, ReleaseBundlesResponse } from '@meshfleet/agent-protocol';
import { FailedPreconditionError, isUuid, NotFoundError } from '@meshfleet/core';
import { AgentPrincipal } from '@meshfleet/auth';
import { AgentTaskStatus, PrismaService } from '@meshfleet/db';
import { IdentityDomainsService } from '@meshfleet/certificates';
import { CatalogService, Variant } from './catalog/catalog.service';
import type { OperationParams } from './operations.service';

const SIGNING_KINDS = new Set(['LINKERD_INSTALL', 'LINKERD_UPGRADE', 'ROTATE_ISSUER']);

@Injectable()
export class AgentLifecycleService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly catalog: CatalogService,
    private readonly domains: IdentityDomainsService,
  ) {}

  async bundles(agent: AgentPrincipal, version: string, variant: Variant): Promise<ReleaseBundlesResponse> {
    const { release, bundle } = await this.catalog.bundle(agent.organizationId, version, variant);
    return {
      version: release.version,
      variant,
      simulated: release.simulated,
      crds: { yaml: bundle.crdsYaml, digest: bundle.crdsDigest },
      controlPlane: { yaml: bundle.controlPlaneYaml, digest: bundle.controlPlaneDigest },
    };
  }

  /**
   * Signs the issuer CSR an agent generated for one of its own running lifecycle tasks, with the
   * trust anchor of the operation's identity domain. The issuer key never leaves the cluster.
   */
  async signIssuer(agent: AgentPrincipal, taskId: string, csrPem: string): Promise<IssuerCsrResponse> {
    const task = isUuid(taskId)
      ? await this.prisma.agentTask.findFirst({ where: { id: taskId, clusterId: agent.clusterId } })
      : null;
    if (!task) throw new NotFoundError('Task', taskId);
    if (!SIGNING_KINDS.has(task.kind))
      throw new FailedPreconditionError(`A ${task.kind} task does not sign issuers`);
    if (task.status !== AgentTaskStatus.DISPATCHED && task.status !== AgentTaskStatus.RUNNING)
      throw new FailedPreconditionError(`Task ${taskId} is ${task.status}`);
    const op = await this.prisma.operation.findUnique({ where: { agentTaskId: task.id } });
    const identity = (op?.params as unknown as OperationParams | undefined)?.identity;
    if (!op || !identity?.identityDomainId)
      throw new FailedPreconditionError('This cluster has no Meshfleet-managed identity domain');
    const issued = await this.domains.signIssuer(
      agent.organizationId,
      identity.identityDomainId,
      agent.clusterId,
      csrPem,
    );
    const domain = await this.domains.get(agent.organizationId, identity.identityDomainId);
    return {
      issuerCertPem: issued.certPem,
      trustAnchorsPem: domain.anchorCertPem!,
      notAfter: issued.notAfter.toISOString(),
    };
  }
}
