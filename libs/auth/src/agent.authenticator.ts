import { Injectable } from '@nestjs/common';
import { ForbiddenError, hashSecret, UnauthenticatedError } from '@meshfleet/core';
import { ClusterStatus, PrismaService } from '@meshfleet/db';

/** The agent behind a request: everything it may touch is scoped to this cluster. */
export interface AgentPrincipal {
  organizationId: string;
  clusterId: string;
  clusterName: string;
  credentialId: string;
}

@Injectable()
export class AgentAuthenticator {
  constructor(private readonly prisma: PrismaService) {}

  /** 401 for an unknown credential, 403 for a revoked one or a deregistered cluster. */
  async authenticate(secret: string): Promise<AgentPrincipal> {
    const cred = await this.prisma.agentCredential.findUnique({
      where: { credentialHash: hashSecret(secret) },
      include: { cluster: { select: { name: true, status: true } } },
    });
    if (!cred) throw new UnauthenticatedError('Unknown agent credential');
    if (cred.cluster.status === ClusterStatus.DEREGISTERED)
      throw new ForbiddenError('The cluster is deregistered');
    if (cred.revokedAt) throw new ForbiddenError('This agent credential has been revoked');
    return {
      organizationId: cred.organizationId,
      clusterId: cred.clusterId,
      clusterName: cred.cluster.name,
      credentialId: cred.id,
    };
  }
}
