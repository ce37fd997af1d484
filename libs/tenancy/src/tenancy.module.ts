import { Module } from '@nestjs/common';
import { ApiKeysRepository } from './api-keys.repository';
import { ApiKeysService } from './api-keys.service';
import { MembersRepository } from './members.repository';
import { MembersService } from './members.service';
import { OidcGroupSync } from './oidc-group-sync';
import { OrganizationsRepository } from './organizations.repository';
import { OrganizationsService } from './organizations.service';
import { TenancyResolver } from './tenancy.resolver';

@Module({
  providers: [
    OrganizationsRepository,
    OrganizationsService,
    ApiKeysRepository,
    ApiKeysService,
    MembersRepository,
    MembersService,
    OidcGroupSync,
    TenancyResolver,
  ],
  exports: [OrganizationsService, ApiKeysService],
})
export class TenancyModule {}

/** The slice the operator CLI needs, without GraphQL. */
@Module({ providers: [OrganizationsRepository, OrganizationsService], exports: [OrganizationsService] })
export class OrganizationsModule {}
