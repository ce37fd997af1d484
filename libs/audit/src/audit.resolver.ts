import { Args, Int, Query, Resolver } from '@nestjs/graphql';
import { pageSize } from '@meshfleet/core';
import { Allow, CurrentPrincipal, Principal } from '@meshfleet/auth';
import { Role } from '@meshfleet/db';
import { toConnection } from '@meshfleet/graphql';
import { AuditRepository } from './audit.repository';
import { AuditEventConnection, AuditEventFilter, AuditEventType } from './dto/audit-event.type';

@Resolver(() => AuditEventType)
export class AuditResolver {
  constructor(private readonly repo: AuditRepository) {}

  @Query(() => AuditEventConnection, { description: 'The audit trail of your organization, newest first' })
  @Allow(Role.VIEWER)
  async auditEvents(
    @CurrentPrincipal() principal: Principal,
    @Args('filter', { type: () => AuditEventFilter, nullable: true }) filter: AuditEventFilter | null,
    @Args('first', { type: () => Int, nullable: true }) first: number | null,
    @Args('after', { type: () => String, nullable: true }) after: string | null,
  ): Promise<AuditEventConnection> {
    const page = await this.repo.list(principal.organizationId, filter ?? {}, pageSize(first), after);
    return toConnection(page, (e) => ({ ...e, metadata: (e.metadata ?? {}) as Record<string, unknown> }));
  }
}
