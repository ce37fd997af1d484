import { Injectable } from '@nestjs/common';
import { Db, isUniqueViolation, Organization, PrismaService, Role } from '@meshfleet/db';
import { ConflictError, IssuedSecret, NotFoundError } from '@meshfleet/core';

@Injectable()
export class OrganizationsRepository {
  constructor(private readonly prisma: PrismaService) {}

  async createWithAdminKey(name: string, key: IssuedSecret, keyName: string): Promise<Organization> {
    try {
      return await this.prisma.organization.create({
        data: {
          name,
          apiKeys: { create: { name: keyName, prefix: key.prefix, keyHash: key.hash, role: Role.ADMIN } },
        },
      });
    } catch (e) {
      if (isUniqueViolation(e))
        throw new ConflictError(`Organization "${name}" already exists`, { field: 'name' });
      throw e;
    }
  }

  list(): Promise<Organization[]> {
    return this.prisma.organization.findMany({ orderBy: { name: 'asc' } });
  }

  byName(name: string): Promise<Organization | null> {
    return this.prisma.organization.findUnique({ where: { name } });
  }

  async get(id: string): Promise<Organization> {
    const org = await this.prisma.organization.findUnique({ where: { id } });
    if (!org) throw new NotFoundError('Organization', id);
    return org;
  }

  /** Idempotent: the organization and its admin key exist afterwards, whatever existed before. */
  async ensureWithKey(db: Db, name: string, keyHash: string, prefix: string): Promise<Organization> {
    const org = await db.organization.upsert({ where: { name }, create: { name }, update: {} });
    const existing = await db.apiKey.findUnique({ where: { keyHash } });
    if (existing && existing.organizationId !== org.id) {
      throw new ConflictError('The bootstrap admin key already belongs to another organization');
    }
    if (!existing) {
      await db.apiKey.create({
        data: { organizationId: org.id, name: 'bootstrap-admin', prefix, keyHash, role: Role.ADMIN },
      });
    } else if (existing.revokedAt || existing.role !== Role.ADMIN) {
      await db.apiKey.update({ where: { id: existing.id }, data: { revokedAt: null, role: Role.ADMIN } });
    }
    return org;
  }

  transaction<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(fn);
  }
}
