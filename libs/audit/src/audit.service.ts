import { Injectable } from '@nestjs/common';
import { Actor } from '@meshfleet/auth';
import { Db } from '@meshfleet/db';
import { AuditEntry, AuditRepository } from './audit.repository';

export interface AuditTarget {
  type: string;
  id: string;
}

@Injectable()
export class AuditService {
  constructor(private readonly repo: AuditRepository) {}

  /** Records what an authenticated caller did, inside the caller's transaction. */
  async recordActor(
    db: Db,
    actor: Actor,
    action: string,
    target: AuditTarget | null,
    metadata: Record<string, unknown> = {},
  ): Promise<void> {
    await this.repo.record(db, {
      organizationId: actor.organizationId,
      actorType: actor.kind,
      actorId: actor.actorId,
      actorName: actor.actorName,
      action,
      targetType: target?.type ?? null,
      targetId: target?.id ?? null,
      metadata,
      ip: actor.ip,
      userAgent: actor.userAgent,
      requestId: actor.requestId,
    });
  }

  /** One caller's action on many targets (a batch), in one statement. */
  async recordActorMany(
    db: Db,
    actor: Actor,
    action: string,
    entries: { target: AuditTarget | null; metadata?: Record<string, unknown> }[],
  ): Promise<void> {
    await this.repo.recordMany(
      db,
      entries.map(({ target, metadata }) => ({
        organizationId: actor.organizationId,
        actorType: actor.kind,
        actorId: actor.actorId,
        actorName: actor.actorName,
        action,
        targetType: target?.type ?? null,
        targetId: target?.id ?? null,
        metadata: metadata ?? {},
        ip: actor.ip,
        userAgent: actor.userAgent,
        requestId: actor.requestId,
      })),
    );
  }

  /** Records what the system or an agent did. */
  async record(db: Db, entry: AuditEntry): Promise<void> {
    await this.repo.record(db, entry);
  }
}
