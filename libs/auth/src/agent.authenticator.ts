import { Injectable } from '@nestjs/common';
import { ForbiddenError, hashSecret, UnauthenticatedError } from '@meshfleet/core';
import { ClusterStatus, PrismaService } from '@meshfleet/db';
import { AgentCredentialCache } from './agent-credential.cache';

/** The agent behind a request: everything it may touch is scoped to this cluster. */
export interface AgentPrincipal {
  organizationId: string;
  clusterId: string;
  clusterName: string;
  credentialId: string;
}

@Injectable()
export class AgentAuthenticator {
  constructor(
    private readonly prisma: PrismaService,
    private readonly cache: AgentCredentialCache,
  ) {}

  /** 401 for an unknown credential, 403 for a revoked one or a deregistered cluster. */
  async authenticate(secret: string): Promise<AgentPrincipal> {
    const hash = hashSecret(secret);
    const cached = this.cache.get(hash);
    if (cached) return cached;
    const cred = await this.prisma.agentCredential.findUnique({
      where: { credentialHash: hash },
      include: { cluster: { select: { name: true, status: true } } },
    });
    if (!cred) throw new UnauthenticatedError('Unknown agent credential');
    if (cred.cluster.status === ClusterStatus.DEREGISTERED)
      throw new ForbiddenError('The cluster is deregistered');
    if (cred.revokedAt) throw new ForbiddenError('This agent credential has been revoked');
    const principal = {
      organizationId: cred.organizationId,
      clusterId: cred.clusterId,
      clusterName: cred.cluster.name,
      credentialId: cred.id,
    };
    this.cache.set(hash, principal);
    return principal;
  }
}
