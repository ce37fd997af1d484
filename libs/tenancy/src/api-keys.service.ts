import { Injectable, Optional } from '@nestjs/common';
import { LiveUpdates } from '@meshfleet/redis';
import { issueSecret, ValidationError } from '@meshfleet/core';
import { Actor } from '@meshfleet/auth';
import { ApiKey, Role } from '@meshfleet/db';
import { AuditService } from '@meshfleet/audit';
import { ApiKeysRepository } from './api-keys.repository';
import { CREDENTIAL_REVOKED, type CredentialRevoked } from './credential-revoked';

@Injectable()
export class ApiKeysService {
  constructor(
    private readonly repo: ApiKeysRepository,
    private readonly audit: AuditService,
    @Optional() private readonly live?: LiveUpdates,
  ) {}

  async create(actor: Actor, name: string, role: Role): Promise<{ apiKey: ApiKey; secret: string }> {
    const trimmed = name.trim();
    if (trimmed.length < 1 || trimmed.length > 100)
      throw new ValidationError('name must be 1 to 100 characters', 'name');
    const key = issueSecret('mfk');
    const apiKey = await this.repo.transaction(async (db) => {
      const created = await this.repo.create(db, actor.organizationId, {
        name: trimmed,
        role,
        prefix: key.prefix,
        keyHash: key.hash,
        createdBy: actor.actorName,
      });
      await this.audit.recordActor(
        db,
        actor,
        'api-key.create',
        { type: 'ApiKey', id: created.id },
        { name: trimmed, role },
      );
      return created;
    });
    return { apiKey, secret: key.secret };
  }

  list(organizationId: string): Promise<ApiKey[]> {
    return this.repo.list(organizationId);
  }

  /** Idempotent: revoking a revoked key returns it unchanged. */
  async revoke(actor: Actor, id: string): Promise<ApiKey> {
    const revoked = await this.repo.transaction(async (db) => {
      const key = await this.repo.get(db, actor.organizationId, id);
      if (key.revokedAt) return key;
      const done = await this.repo.revoke(db, actor.organizationId, id, new Date());
      await this.audit.recordActor(db, actor, 'api-key.revoke', { type: 'ApiKey', id }, { name: key.name });
      return done;
    });
    // After the commit: live connections opened with the key close on every replica.
    const msg: CredentialRevoked = { kind: 'API_KEY', actorId: id, organizationId: actor.organizationId };
    await this.live?.publish(CREDENTIAL_REVOKED, { ...msg });
    return revoked;
  }
}
