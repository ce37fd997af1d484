import { Injectable } from '@nestjs/common';
import { NotFoundError } from '@meshfleet/core';
import { ApiKey, Db, PrismaService, Role } from '@meshfleet/db';

@Injectable()
export class ApiKeysRepository {
  constructor(private readonly prisma: PrismaService) {}

  create(
    db: Db,
    organizationId: string,
    data: { name: string; role: Role; prefix: string; keyHash: string; createdBy: string },
  ): Promise<ApiKey> {
    return db.apiKey.create({ data: { organizationId, ...data } });
  }

  list(organizationId: string): Promise<ApiKey[]> {
    return this.prisma.apiKey.findMany({
      where: { organizationId },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    });
  }

  async get(db: Db, organizationId: string, id: string): Promise<ApiKey> {
    const key = await db.apiKey.findFirst({ where: { id, organizationId } });
    if (!key) throw new NotFoundError('API key', id);
    return key;
  }

  revoke(db: Db, organizationId: string, id: string, at: Date): Promise<ApiKey> {
    return db.apiKey.update({ where: { id, organizationId }, data: { revokedAt: at } });
  }

  transaction<T>(fn: (db: Db) => Promise<T>): Promise<T> {
    return this.prisma.$transaction(fn);
  }
}
