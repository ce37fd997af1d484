import { Inject, Injectable } from '@nestjs/common';
import { EnrollRequest, EnrollResponse } from '@meshfleet/agent-protocol';
import { ForbiddenError, hashSecret, issueSecret, UnauthenticatedError } from '@meshfleet/core';
import { AppConfig } from '@meshfleet/config';
import { AuditService } from '@meshfleet/audit';
import { AgentCredentialCache } from '@meshfleet/auth';
import { ClusterStatus, PrismaService } from '@meshfleet/db';
import { recordDomainEvent } from '@meshfleet/events';
import { PresenceService } from './presence.service';

export interface RequestOrigin {
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
}

/**
 * Enrollment trades a single-use bootstrap token for a per-cluster credential. Enrolling again
 * (a redeployed agent with a fresh token) keeps the cluster and replaces the old credential.
 */
@Injectable()
export class EnrollmentService {
  constructor(
    private readonly prisma: PrismaService,
    private readonly audit: AuditService,
    private readonly presence: PresenceService,
    private readonly credentials: AgentCredentialCache,
    @Inject(AppConfig) private readonly config: AppConfig,
  ) {}

  async enroll(req: EnrollRequest, origin: RequestOrigin): Promise<EnrollResponse> {
    const now = new Date();
    const credential = issueSecret('mfa');
    const result = await this.prisma.$transaction(async (db) => {
      const token = await db.bootstrapToken.findUnique({
        where: { tokenHash: hashSecret(req.bootstrapToken) },
        include: { cluster: true },
      });
      if (!token) throw new UnauthenticatedError('Unknown bootstrap token');
      if (token.revokedAt)
        throw new UnauthenticatedError('This bootstrap token was revoked; use the newest one');
      if (token.usedAt)
        throw new UnauthenticatedError(
          'This bootstrap token was already used; get a new one with rotateBootstrapToken',
        );
      if (token.expiresAt <= now)
        throw new UnauthenticatedError(
          'This bootstrap token has expired; get a new one with rotateBootstrapToken',
        );
      const cluster = token.cluster;
      if (cluster.status === ClusterStatus.DEREGISTERED)
        throw new ForbiddenError('The cluster is deregistered');
      // Single use even under concurrent enrollments: only one conditional update can win.
      const claimed = await db.bootstrapToken.updateMany({
        where: { id: token.id, usedAt: null },
        data: { usedAt: now },
      });
      if (claimed.count !== 1) throw new UnauthenticatedError('This bootstrap token was already used');

      const reenrolled = cluster.enrolledAt !== null;
      await db.agentCredential.updateMany({
        where: { clusterId: cluster.id, revokedAt: null },
        data: { revokedAt: now },
      });
      await db.agentCredential.create({
        data: {
          organizationId: cluster.organizationId,
          clusterId: cluster.id,
          prefix: credential.prefix,
          credentialHash: credential.hash,
        },
      });
      await db.cluster.update({
        where: { id: cluster.id },
        data: {
          status: ClusterStatus.CONNECTED,
          kubernetesVersion: req.cluster.kubernetesVersion,
          nodeCount: req.cluster.nodeCount,
          agentVersion: req.agentVersion,
          region: cluster.region ?? req.cluster.region,
          enrolledAt: now,
          lastSeenAt: now,
        },
      });
      await this.audit.record(db, {
        organizationId: cluster.organizationId,
        actorType: 'AGENT',
        actorId: cluster.id,
        actorName: `agent:${cluster.name}`,
        action: reenrolled ? 'agent.re-enroll' : 'agent.enroll',
        targetType: 'Cluster',
        targetId: cluster.id,
        metadata: {
          agentVersion: req.agentVersion,
          kubernetesVersion: req.cluster.kubernetesVersion,
          detectedProvider: req.cluster.provider,
          registeredProvider: cluster.provider,
          nodeCount: req.cluster.nodeCount,
        },
        ...origin,
      });
      await recordDomainEvent(db, cluster.organizationId, 'cluster.enrolled', cluster.id, {
        clusterName: cluster.name,
        reenrolled,
      });
      if (cluster.status !== ClusterStatus.CONNECTED) {
        await recordDomainEvent(db, cluster.organizationId, 'cluster.online', cluster.id, {
          clusterName: cluster.name,
          previousStatus: cluster.status,
        });
      }
      return { clusterId: cluster.id, organizationId: cluster.organizationId };
    });
    await this.credentials.invalidateCluster(result.clusterId);
    await this.presence.touch(result.clusterId, now.getTime());
    return {
      ...result,
      credential: credential.secret,
      heartbeatIntervalSeconds: this.config.heartbeatIntervalSeconds,
      reportIntervalSeconds: this.config.reportIntervalSeconds,
      taskPollTimeoutSeconds: this.config.taskPollTimeoutSeconds,
    };
  }
}
