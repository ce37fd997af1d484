import { Injectable } from '@nestjs/common';
import {
  BootstrapToken,
  CloudProvider,
  Cluster,
  ClusterStatus,
  Db,
  PrismaService,
  translatePrismaError,
} from '@meshfleet/db';

export type TokenWithCluster = BootstrapToken & { cluster: Cluster };

/** What an enrolling agent reports about its cluster and itself. */
export interface EnrolledFacts {
  /** Registered as OTHER: what the nodes say, when they name a cloud. */
  provider?: CloudProvider;
  detectedProvider: CloudProvider;
  kubernetesVersion: string;
  nodeCount: number;
  agentVersion: string;
  region: string | null;
  at: Date;
}

/**
 * Enrollment's writes: the bootstrap token it spends, the credential it issues and the cluster it
 * connects, all in the caller's transaction. The token is found by its hash (that is how the
 * organization becomes known); every write after that is scoped to the token's organization.
 */
@Injectable()
export class EnrollmentRepository {
  constructor(private readonly prisma: PrismaService) {}

  transaction<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(fn);
  }

  tokenByHash(db: Db, tokenHash: string): Promise<TokenWithCluster | null> {
    return db.bootstrapToken.findUnique({ where: { tokenHash }, include: { cluster: true } });
  }

  /** Single use even under concurrent enrollments: only one conditional update can win. */
  async spendToken(db: Db, organizationId: string, tokenId: string, at: Date): Promise<boolean> {
    const claimed = await db.bootstrapToken.updateMany({
      where: { id: tokenId, organizationId, usedAt: null },
      data: { usedAt: at },
    });
    return claimed.count === 1;
  }

  /** Revokes the cluster's live credentials and stores the new one (its hash). */
  async replaceCredential(
    db: Db,
    organizationId: string,
    clusterId: string,
    credential: { prefix: string; hash: string },
    at: Date,
  ): Promise<void> {
    await db.agentCredential.updateMany({
      where: { organizationId, clusterId, revokedAt: null },
      data: { revokedAt: at },
    });
    try {
      await db.agentCredential.create({
        data: {
          organization: { connect: { id: organizationId } },
          // Only a cluster of this organization gets the credential.
          cluster: { connect: { id: clusterId, organizationId } },
          prefix: credential.prefix,
          credentialHash: credential.hash,
        },
      });
    } catch (e) {
      translatePrismaError(e, 'Cluster');
    }
  }

  /** The cluster is CONNECTED with the facts its agent reported; false when it is not there. */
  /**
   * Report sequences are per enrollment: a new agent (or one whose clock ran ahead) starts over,
   * so a stored sequence from before can never hold the cluster's health still. Re-enrolling is
   * the way out of a frozen snapshot.
   */
  async resetReportSequence(db: Db, organizationId: string, clusterId: string): Promise<void> {
    await db.clusterHealth.updateMany({ where: { clusterId, organizationId }, data: { sequence: 0 } });
  }

  async markEnrolled(db: Db, organizationId: string, clusterId: string, f: EnrolledFacts): Promise<boolean> {
    const r = await db.cluster.updateMany({
      where: { id: clusterId, organizationId },
      data: {
        status: ClusterStatus.CONNECTED,
        ...(f.provider ? { provider: f.provider } : {}),
        detectedProvider: f.detectedProvider,
        kubernetesVersion: f.kubernetesVersion,
        nodeCount: f.nodeCount,
        agentVersion: f.agentVersion,
        region: f.region,
        enrolledAt: f.at,
        lastSeenAt: f.at,
      },
    });
    return r.count === 1;
  }
}
