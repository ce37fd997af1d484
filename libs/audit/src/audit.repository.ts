import { Injectable } from '@nestjs/common';
import { newestFirstPage, Page } from '@meshfleet/core';
import { ActorType, AuditEvent, Db, Prisma, PrismaService } from '@meshfleet/db';

export interface AuditEntry {
  organizationId: string;
  actorType: ActorType;
  actorId: string | null;
  actorName: string | null;
  action: string;
  targetType?: string | null;
  targetId?: string | null;
  metadata?: Record<string, unknown>;
  ip?: string | null;
  userAgent?: string | null;
  requestId?: string | null;
}

export interface AuditFilter {
  action?: string | null;
  targetType?: string | null;
  targetId?: string | null;
  actorId?: string | null;
  since?: Date | null;
  until?: Date | null;
}

@Injectable()
export class AuditRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Pass the transaction client so the audit row commits or rolls back with the change. */
  async record(db: Db, entry: AuditEntry): Promise<void> {
    await db.auditEvent.create({
      data: { ...entry, metadata: (entry.metadata ?? {}) as Prisma.InputJsonValue },
    });
  }

  async recordMany(db: Db, entries: AuditEntry[]): Promise<void> {
    if (!entries.length) return;
    await db.auditEvent.createMany({
      data: entries.map((e) => ({ ...e, metadata: (e.metadata ?? {}) as Prisma.InputJsonValue })),
    });
  }

  async list(
    organizationId: string,
    filter: AuditFilter,
    first: number,
    after: string | null,
  ): Promise<Page<AuditEvent>> {
    const where: Prisma.AuditEventWhereInput = {
      organizationId,
      ...(filter.action ? { action: filter.action } : {}),
      ...(filter.targetType ? { targetType: filter.targetType } : {}),
      ...(filter.targetId ? { targetId: filter.targetId } : {}),
      ...(filter.actorId ? { actorId: filter.actorId } : {}),
      ...(filter.since || filter.until
        ? {
            createdAt: {
              ...(filter.since ? { gte: filter.since } : {}),
              ...(filter.until ? { lt: filter.until } : {}),
            },
          }
        : {}),
    };
    return newestFirstPage({
      where,
      first,
      after,
      timeField: 'createdAt',
      time: (e) => e.createdAt,
      findMany: (a) => this.prisma.auditEvent.findMany(a),
      count: (a) => this.prisma.auditEvent.count(a),
    });
  }
}
