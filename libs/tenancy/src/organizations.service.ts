import { Injectable } from '@nestjs/common';
import { assertDns1123Label, hashSecret, issueSecret } from '@meshfleet/core';
import { Organization } from '@meshfleet/db';
import { AuditService } from '@meshfleet/audit';
import { OrganizationsRepository } from './organizations.repository';

@Injectable()
export class OrganizationsService {
  constructor(
    private readonly repo: OrganizationsRepository,
    private readonly audit: AuditService,
  ) {}

  /** Operator path (CLI): a new organization and its first admin API key, shown once. */
  async create(name: string): Promise<{ organization: Organization; apiKey: string }> {
    assertDns1123Label(name, 'name');
    const key = issueSecret('mfk');
    const organization = await this.repo.createWithAdminKey(name, key, 'initial-admin');
    return { organization, apiKey: key.secret };
  }

  list(): Promise<Organization[]> {
    return this.repo.list();
  }

  get(id: string): Promise<Organization> {
    return this.repo.get(id);
  }

  /** For docker compose and demos: organization `default` whose admin key is the configured value. */
  async ensureDefault(adminKey: string): Promise<Organization> {
    return this.repo.transaction(async (db) => {
      const org = await this.repo.ensureWithKey(db, 'default', hashSecret(adminKey), adminKey.slice(0, 12));
      await this.audit.record(db, {
        organizationId: org.id,
        actorType: 'SYSTEM',
        actorId: null,
        actorName: 'bootstrap',
        action: 'organization.ensure-default',
        targetType: 'Organization',
        targetId: org.id,
      });
      return org;
    });
  }
}
