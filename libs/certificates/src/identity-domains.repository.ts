import { Injectable } from '@nestjs/common';
import { ConflictError, isUuid, NotFoundError } from '@meshfleet/core';
import {
  Db,
  IdentityDomain,
  IdentityMode,
  IssuerCertificate,
  isUniqueViolation,
  Prisma,
  PrismaService,
  translatePrismaError,
} from '@meshfleet/db';
import type { Sealed } from './envelope';

/** Trust-anchor material of a new domain: managed (with the sealed key) or external (public only). */
export interface AnchorMaterial {
  anchorCertPem?: string;
  anchorKeyEnc?: Sealed;
  anchorNotAfter?: Date;
  anchorFingerprint?: string;
}

export interface NewIdentityDomain extends AnchorMaterial {
  name: string;
  trustDomain: string;
  mode: IdentityMode;
}

export interface NewIssuerCertificate {
  identityDomainId: string;
  clusterId: string;
  serialNumber: string;
  certPem: string;
  notBefore: Date;
  notAfter: Date;
}

@Injectable()
export class IdentityDomainsRepository {
  constructor(private readonly prisma: PrismaService) {}

  transaction<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(fn);
  }

  async create(db: Db, organizationId: string, data: NewIdentityDomain): Promise<IdentityDomain> {
    const { anchorKeyEnc, ...rest } = data;
    try {
      return await db.identityDomain.create({
        data: {
          organizationId,
          ...rest,
          ...(anchorKeyEnc ? { anchorKeyEnc: anchorKeyEnc as unknown as Prisma.InputJsonValue } : {}),
        },
      });
    } catch (e) {
      if (isUniqueViolation(e))
        throw new ConflictError(`An identity domain named "${data.name}" already exists`, { field: 'name' });
      throw e;
    }
  }

  list(organizationId: string): Promise<IdentityDomain[]> {
    return this.prisma.identityDomain.findMany({ where: { organizationId }, orderBy: { name: 'asc' } });
  }

  async get(organizationId: string, id: string): Promise<IdentityDomain> {
    const d = isUuid(id)
      ? await this.prisma.identityDomain.findFirst({ where: { id, organizationId } })
      : null;
    if (!d) throw new NotFoundError('Identity domain', id);
    return d;
  }

  async recordIssuer(db: Db, organizationId: string, data: NewIssuerCertificate): Promise<IssuerCertificate> {
    const { identityDomainId, ...rest } = data;
    try {
      return await db.issuerCertificate.create({
        data: {
          organizationId,
          ...rest,
          // Only a domain of this organization signs for it.
          identityDomain: { connect: { id: identityDomainId, organizationId } },
        },
      });
    } catch (e) {
      translatePrismaError(e, 'Identity domain');
    }
  }

  issuersOf(organizationId: string, identityDomainId: string): Promise<IssuerCertificate[]> {
    return this.prisma.issuerCertificate.findMany({
      where: { organizationId, identityDomainId },
      orderBy: { createdAt: 'desc' },
      take: 100,
    });
  }
}
