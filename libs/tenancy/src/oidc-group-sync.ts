import { Inject, Injectable, Logger, OnModuleInit, Optional } from '@nestjs/common';
import { Actor, OidcLogin, OidcLoginHook, OidcLoginHooks } from '@meshfleet/auth';
import { AuditService } from '@meshfleet/audit';
import { AppConfig, MappedRole } from '@meshfleet/config';
import { ConflictError } from '@meshfleet/core';
import { Db, Role } from '@meshfleet/db';
import { LiveUpdates } from '@meshfleet/redis';
import { CREDENTIAL_REVOKED, type CredentialRevoked } from './credential-revoked';
import { MembersRepository } from './members.repository';
import { OrganizationsRepository } from './organizations.repository';

const RANK: Record<MappedRole, number> = { VIEWER: 1, EDITOR: 2, ADMIN: 3 };
/** A user's requests within this long after a sync with the same outcome skip the database. */
const RECHECK_MS = 60_000;

type Change = 'none' | 'added' | 'updated' | 'removed';

/** The groups in a claim: a list of strings, or one string; `a.b` reads a nested claim (Keycloak). */
export function groupsOf(claims: Record<string, unknown>, claim: string): string[] {
  let v: unknown = claims[claim];
  if (v === undefined && claim.includes('.'))
    v = claim
      .split('.')
      .reduce<unknown>(
        (o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined),
        claims,
      );
  if (typeof v === 'string') return [v];
  return Array.isArray(v) ? v.filter((g): g is string => typeof g === 'string') : [];
}

/** The highest role any of the groups maps to, or null. */
export function mappedRole(groups: string[], roles: Map<string, MappedRole>): MappedRole | null {
  let best: MappedRole | null = null;
  for (const g of groups) {
    const r = roles.get(g);
    if (r && (!best || RANK[r] > RANK[best])) best = r;
  }
  return best;
}

/**
 * MESHFLEET_OIDC_GROUP_ROLES: at each sign-in the user's membership in the configured
 * organization follows the token's groups — created when a mapped group appears, its role updated,
 * removed when no mapped group is left — and each change is audited as the user's own. A
 * membership an admin made (addMember, or a role set with updateMemberRole) is never touched.
 */
@Injectable()
export class OidcGroupSync implements OidcLoginHook, OnModuleInit {
  private readonly log = new Logger(OidcGroupSync.name);
  private readonly recent = new Map<string, { outcome: string; at: number }>();
  private warnedMissingOrg = false;

  constructor(
    @Inject(AppConfig) private readonly config: AppConfig,
    private readonly hooks: OidcLoginHooks,
    private readonly members: MembersRepository,
    private readonly orgs: OrganizationsRepository,
    private readonly audit: AuditService,
    @Optional() private readonly live?: LiveUpdates,
  ) {}

  onModuleInit(): void {
    if (this.config.oidc?.groupRoles) this.hooks.register(this);
  }

  async onLogin(login: OidcLogin): Promise<void> {
    const mapping = this.config.oidc?.groupRoles;
    if (!mapping) return;
    const groups = groupsOf(login.claims, mapping.claim).filter((g) => mapping.roles.has(g));
    const role = mappedRole(groups, mapping.roles);
    const outcome = role ?? '-';
    const seen = this.recent.get(login.userId);
    if (seen && seen.outcome === outcome && Date.now() - seen.at < RECHECK_MS) return;

    const org = await this.orgs.byName(mapping.organization);
    if (!org) {
      if (!this.warnedMissingOrg)
        this.log.warn(`MESHFLEET_OIDC_GROUP_ORGANIZATION names no organization: "${mapping.organization}"`);
      this.warnedMissingOrg = true;
      return;
    }
    let change: Change;
    try {
      change = await this.members.transaction((db) => this.apply(db, org.id, login, role, groups));
    } catch (e) {
      // A concurrent first request of the same user created it: that one audited it.
      if (!(e instanceof ConflictError)) throw e;
      change = 'none';
    }
    this.recent.set(login.userId, { outcome, at: Date.now() });
    if (this.recent.size > 10_000) this.recent.delete(this.recent.keys().next().value!);
    if (change === 'removed') {
      const msg: CredentialRevoked = { kind: 'USER', actorId: login.userId, organizationId: org.id };
      await this.live?.publish(CREDENTIAL_REVOKED, { ...msg });
    }
  }

  private async apply(
    db: Db,
    organizationId: string,
    login: OidcLogin,
    role: MappedRole | null,
    groups: string[],
  ): Promise<Change> {
    const current = await this.members.forUser(db, organizationId, login.userId);
    const actor: Actor = {
      organizationId,
      role: (role ?? current?.role ?? Role.VIEWER) as Role,
      kind: 'USER',
      actorId: login.userId,
      actorName: login.actorName,
      ip: null,
      userAgent: null,
      requestId: null,
    };
    const via = { subject: login.subject, via: 'oidc-groups', groups };
    if (!current) {
      if (!role) return 'none';
      const m = await this.members.addForUser(db, organizationId, login.userId, role as Role);
      await this.audit.recordActor(db, actor, 'member.add', { type: 'Member', id: m.id }, { ...via, role });
      return 'added';
    }
    if (!current.viaOidcGroups) return 'none';
    if (!role) {
      await this.members.remove(db, organizationId, current.id);
      await this.audit.recordActor(
        db,
        actor,
        'member.remove',
        { type: 'Member', id: current.id },
        { ...via, reason: 'no mapped group in the token' },
      );
      return 'removed';
    }
    if (current.role === role) return 'none';
    await this.members.setGroupRole(db, organizationId, current.id, role as Role);
    await this.audit.recordActor(
      db,
      actor,
      'member.update-role',
      { type: 'Member', id: current.id },
      { ...via, from: current.role, to: role },
    );
    return 'updated';
  }
}
