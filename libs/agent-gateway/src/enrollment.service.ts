import { Inject, Injectable } from '@nestjs/common';
import { EnrollRequest, EnrollResponse } from '@meshfleet/agent-protocol';
import { ForbiddenError, hashSecret, issueSecret, UnauthenticatedError } from '@meshfleet/core';
import { AppConfig } from '@meshfleet/config';
import { AuditService } from '@meshfleet/audit';
import { AgentCredentialCache } from '@meshfleet/auth';
import { CloudProvider, ClusterStatus } from '@meshfleet/db';
import { recordDomainEvent } from '@meshfleet/events';
import { EnrollmentRepository } from './enrollment.repository';
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
    private readonly repo: EnrollmentRepository,
    private readonly audit: AuditService,
    private readonly presence: PresenceService,
    private readonly credentials: AgentCredentialCache,
    @Inject(AppConfig) private readonly config: AppConfig,
  ) {}

  async enroll(req: EnrollRequest, origin: RequestOrigin): Promise<EnrollResponse> {
    const now = new Date();
    const credential = issueSecret('mfa');
    const result = await this.repo.transaction(async (db) => {
      const token = await this.repo.tokenByHash(db, hashSecret(req.bootstrapToken));
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
      if (!(await this.repo.spendToken(db, token.organizationId, token.id, now)))
        throw new UnauthenticatedError('This bootstrap token was already used');

      const reenrolled = cluster.enrolledAt !== null;
      await this.repo.replaceCredential(db, cluster.organizationId, cluster.id, credential, now);
      await this.repo.resetReportSequence(db, cluster.organizationId, cluster.id);
      const detected = req.cluster.provider as CloudProvider;
      const clouds: CloudProvider[] = [CloudProvider.AKS, CloudProvider.EKS, CloudProvider.GKE];
      const adopt = cluster.provider === CloudProvider.OTHER && clouds.includes(detected);
      await this.repo.markEnrolled(db, cluster.organizationId, cluster.id, {
        ...(adopt ? { provider: detected } : {}),
        detectedProvider: detected,
        kubernetesVersion: req.cluster.kubernetesVersion,
        nodeCount: req.cluster.nodeCount,
        agentVersion: req.agentVersion,
        region: cluster.region ?? req.cluster.region,
        at: now,
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
