import { Injectable } from '@nestjs/common';
import {
  ExtensionBundleResponse,
  IssuerCsrResponse,
  ReleaseBundlesResponse,
} from '@meshfleet/agent-protocol';
import { FailedPreconditionError, NotFoundError } from '@meshfleet/core';
import { AgentPrincipal } from '@meshfleet/auth';
import { AttemptStatus } from '@meshfleet/db';
import { IdentityDomainsService } from '@meshfleet/certificates';
import { CatalogService, Variant } from './catalog/catalog.service';
import { OPERATION_KINDS, OperationParams } from './operation-kinds';
import { OperationsRepository } from './operations.repository';

@Injectable()
export class AgentLifecycleService {
  constructor(
    private readonly repo: OperationsRepository,
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

  async extensionBundle(
    agent: AgentPrincipal,
    version: string,
    extension: ExtensionBundleResponse['extension'],
  ): Promise<ExtensionBundleResponse> {
    const { release, bundle } = await this.catalog.extensionBundle(agent.organizationId, version, extension);
    return {
      version: release.version,
      extension,
      namespace: bundle.namespace,
      simulated: release.simulated,
      yaml: bundle.yaml,
      digest: bundle.digest,
    };
  }

  /**
   * Signs the issuer CSR an agent generated for one of its own running lifecycle tasks, with the
   * trust anchor of the operation's identity domain. The issuer key never leaves the cluster.
   */
  async signIssuer(agent: AgentPrincipal, taskId: string, csrPem: string): Promise<IssuerCsrResponse> {
    const task = await this.repo.agentAttempt(agent.organizationId, agent.clusterId, taskId);
    if (!task) throw new NotFoundError('Task', taskId);
    if (!OPERATION_KINDS[task.operation.kind].signsIssuer)
      throw new FailedPreconditionError(`A ${task.kind} task does not sign issuers`);
    if (task.status !== AttemptStatus.DISPATCHED && task.status !== AttemptStatus.RUNNING)
      throw new FailedPreconditionError(`Task ${taskId} is ${task.status}`);
    const identity = (task.operation.params as unknown as OperationParams).identity;
    if (!identity?.identityDomainId)
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
