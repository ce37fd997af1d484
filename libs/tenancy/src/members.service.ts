import { Inject, Injectable, Optional } from '@nestjs/common';
import { LiveUpdates } from '@meshfleet/redis';
import { ValidationError } from '@meshfleet/core';
import { Actor } from '@meshfleet/auth';
import { AppConfig } from '@meshfleet/config';
import { Role } from '@meshfleet/db';
import { AuditService } from '@meshfleet/audit';
import { CREDENTIAL_REVOKED, type CredentialRevoked } from './credential-revoked';
import { MemberRow, MembersRepository } from './members.repository';

export interface AddMemberData {
  subject: string;
  issuer?: string | null;
  email?: string | null;
  role: Role;
}

@Injectable()
export class MembersService {
  constructor(
    private readonly repo: MembersRepository,
    private readonly audit: AuditService,
    @Inject(AppConfig) private readonly config: AppConfig,
    @Optional() private readonly live?: LiveUpdates,
  ) {}

  list(organizationId: string): Promise<MemberRow[]> {
    return this.repo.list(organizationId);
  }

  async add(actor: Actor, input: AddMemberData): Promise<MemberRow> {
    const subject = input.subject.trim();
    if (!subject || subject.length > 255)
      throw new ValidationError('subject must be 1 to 255 characters', 'subject');
    const issuer = input.issuer?.trim() || this.config.oidc?.issuer;
    if (!issuer) throw new ValidationError('issuer is required when OIDC is not configured', 'issuer');
    const email = input.email?.trim() || null;
    if (email && !/^[^@\s]+@[^@\s]+$/.test(email))
      throw new ValidationError('email is not an email address', 'email');
    return this.repo.transaction(async (db) => {
      const m = await this.repo.add(db, actor.organizationId, { issuer, subject, email }, input.role);
      await this.audit.recordActor(
        db,
        actor,
        'member.add',
        { type: 'Member', id: m.id },
        { subject, role: input.role },
      );
      return m;
    });
  }

  async updateRole(actor: Actor, id: string, role: Role): Promise<MemberRow> {
    return this.repo.transaction(async (db) => {
      const before = await this.repo.get(db, actor.organizationId, id);
      const m = await this.repo.updateRole(db, actor.organizationId, id, role);
      await this.audit.recordActor(
        db,
        actor,
        'member.update-role',
        { type: 'Member', id },
        { from: before.role, to: role },
      );
      return m;
    });
  }

  async remove(actor: Actor, id: string): Promise<MemberRow> {
    const removed = await this.repo.transaction(async (db) => {
      const m = await this.repo.get(db, actor.organizationId, id);
      await this.repo.remove(db, actor.organizationId, id);
      await this.audit.recordActor(
        db,
        actor,
        'member.remove',
        { type: 'Member', id },
        { subject: m.user.subject },
      );
      return m;
    });
    // After the commit: the user's live connections in this organization close on every replica.
    const msg: CredentialRevoked = {
      kind: 'USER',
      actorId: removed.user.id,
      organizationId: actor.organizationId,
    };
    await this.live?.publish(CREDENTIAL_REVOKED, { ...msg });
    return removed;
  }
}
