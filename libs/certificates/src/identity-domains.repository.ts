import { Injectable } from '@nestjs/common';
import { ConflictError, isUuid, NotFoundError } from '@meshfleet/core';
import {
  Db,
  IdentityDomain,
  IssuerCertificate,
  isUniqueViolation,
  Prisma,
  PrismaService,
} from '@meshfleet/db';

@Injectable()
export class IdentityDomainsRepository {
  constructor(private readonly prisma: PrismaService) {}

  transaction<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(fn);
  }

  async create(db: Db, data: Prisma.IdentityDomainUncheckedCreateInput): Promise<IdentityDomain> {
    try {
      return await db.identityDomain.create({ data });
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

  recordIssuer(db: Db, data: Prisma.IssuerCertificateUncheckedCreateInput): Promise<IssuerCertificate> {
    return db.issuerCertificate.create({ data });
  }

  issuersOf(organizationId: string, identityDomainId: string): Promise<IssuerCertificate[]> {
    return this.prisma.issuerCertificate.findMany({
      where: { organizationId, identityDomainId },
      orderBy: { createdAt: 'desc' },
      take: 100,
    });
  }
}
