import { Injectable } from '@nestjs/common';
import { AgentCredential, ApiKey, ClusterStatus, Membership, PrismaService, User } from '@meshfleet/db';

export type CredentialWithCluster = AgentCredential & { cluster: { name: string; status: ClusterStatus } };

/**
 * What authentication reads: API keys, agent credentials, OIDC users and their memberships. A
 * secret's hash is looked up before any organization is known (the row names it); writes after
 * that are scoped to the organization the row belongs to.
 */
@Injectable()
export class PrincipalsRepository {
  constructor(private readonly prisma: PrismaService) {}

  apiKeyByHash(keyHash: string): Promise<ApiKey | null> {
    return this.prisma.apiKey.findUnique({ where: { keyHash } });
  }

  async touchApiKey(organizationId: string, id: string, at: Date): Promise<void> {
    await this.prisma.apiKey.updateMany({ where: { id, organizationId }, data: { lastUsedAt: at } });
  }

  agentCredentialsByHash(hashes: string[]): Promise<CredentialWithCluster[]> {
    return this.prisma.agentCredential.findMany({
      where: { credentialHash: { in: hashes } },
      include: { cluster: { select: { name: true, status: true } } },
    });
  }

  /** The OIDC user behind (issuer, subject), created on first sign-in; profile fields follow the token. */
  upsertOidcUser(
    issuer: string,
    subject: string,
    profile: { email: string | null; displayName: string | null },
    at: Date,
  ): Promise<User> {
    return this.prisma.user.upsert({
      where: { issuer_subject: { issuer, subject } },
      create: { issuer, subject, ...profile, lastLoginAt: at },
      update: profile,
    });
  }

  membershipsOf(userId: string): Promise<Membership[]> {
    return this.prisma.membership.findMany({ where: { userId }, orderBy: { createdAt: 'asc' } });
  }
}
