import { Injectable } from '@nestjs/common';
import { decodeCursor, encodeCursor, Page } from '@meshfleet/core';
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

type CursorPos = { t: string; id: string };
const isPos = (v: unknown): v is CursorPos =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as CursorPos).t === 'string' &&
  typeof (v as CursorPos).id === 'string';

@Injectable()
export class AuditRepository {
  constructor(private readonly prisma: PrismaService) {}

  /** Pass the transaction client so the audit row commits or rolls back with the change. */
  async record(db: Db, entry: AuditEntry): Promise<void> {
    await db.auditEvent.create({
      data: { ...entry, metadata: (entry.metadata ?? {}) as Prisma.InputJsonValue },
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
    const pos = after ? decodeCursor(after, isPos) : null;
    const keyset: Prisma.AuditEventWhereInput | undefined = pos
      ? {
          OR: [{ createdAt: { lt: new Date(pos.t) } }, { createdAt: new Date(pos.t), id: { lt: pos.id } }],
        }
      : undefined;
    const [rows, totalCount] = await Promise.all([
      this.prisma.auditEvent.findMany({
        where: keyset ? { AND: [where, keyset] } : where,
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        take: first + 1,
      }),
      this.prisma.auditEvent.count({ where }),
    ]);
    const items = rows.slice(0, first);
    return {
      items,
      cursors: items.map((e) => encodeCursor({ t: e.createdAt.toISOString(), id: e.id })),
      hasNextPage: rows.length > first,
      totalCount,
    };
  }
}
