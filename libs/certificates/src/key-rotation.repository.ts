import { Injectable } from '@nestjs/common';
import { Prisma, PrismaService } from '@meshfleet/db';
import type { Sealed } from './envelope';

const json = (s: Sealed) => s as unknown as Prisma.InputJsonValue;

/** A stored envelope-encrypted secret as read for re-wrapping (not yet checked to be Sealed). */
export interface StoredSecret {
  id: string;
  organizationId: string;
  value: unknown;
}

export type WebhookSecretField = 'secretEnc' | 'previousSecretEnc';

/**
 * The envelope-encrypted columns key rotation re-wraps, across every organization (the
 * key-encryption keys are the deployment's, not a tenant's). Each swap is conditional on the row
 * still holding what was read, and scoped to the organization the row was read with.
 */
@Injectable()
export class KeyRotationRepository {
  constructor(private readonly prisma: PrismaService) {}

  async trustAnchorKeys(): Promise<StoredSecret[]> {
    const rows = await this.prisma.identityDomain.findMany({
      select: { id: true, organizationId: true, anchorKeyEnc: true },
    });
    return rows.map((r) => ({ id: r.id, organizationId: r.organizationId, value: r.anchorKeyEnc }));
  }

  /** True when the row still held `from` and now holds `to`. */
  async swapTrustAnchorKey(organizationId: string, id: string, from: Sealed, to: Sealed): Promise<boolean> {
    const r = await this.prisma.identityDomain.updateMany({
      where: { id, organizationId, anchorKeyEnc: { equals: json(from) } },
      data: { anchorKeyEnc: json(to) },
    });
    return r.count === 1;
  }

  async webhookSecrets(): Promise<{ field: WebhookSecretField; secret: StoredSecret }[]> {
    const rows = await this.prisma.webhookEndpoint.findMany({
      select: { id: true, organizationId: true, secretEnc: true, previousSecretEnc: true },
    });
    return rows.flatMap((e) =>
      (['secretEnc', 'previousSecretEnc'] as const).map((field) => ({
        field,
        secret: { id: e.id, organizationId: e.organizationId, value: e[field] },
      })),
    );
  }

  /** True when the endpoint's field still held `from` and now holds `to`. */
  async swapWebhookSecret(
    organizationId: string,
    id: string,
    field: WebhookSecretField,
    from: Sealed,
    to: Sealed,
  ): Promise<boolean> {
    const r = await this.prisma.webhookEndpoint.updateMany({
      where: { id, organizationId, [field]: { equals: json(from) } },
      data: { [field]: json(to) },
    });
    return r.count === 1;
  }

  /** Which key ids the stored secrets reference, with counts. */
  async keysInUse(): Promise<Record<string, number>> {
    const rows = await this.prisma.$queryRaw<{ kid: string; n: bigint }[]>`
      SELECT kid, count(*) AS n FROM (
        SELECT "anchorKeyEnc"->>'kid' AS kid FROM "IdentityDomain" WHERE "anchorKeyEnc" IS NOT NULL
        UNION ALL SELECT "secretEnc"->>'kid' FROM "WebhookEndpoint"
        UNION ALL SELECT "previousSecretEnc"->>'kid' FROM "WebhookEndpoint" WHERE "previousSecretEnc" IS NOT NULL
      ) k GROUP BY kid ORDER BY kid`;
    return Object.fromEntries(rows.map((r) => [r.kid, Number(r.n)]));
  }
}
