import { Module } from '@nestjs/common';
import { IdentityDomainsRepository } from './identity-domains.repository';
import { IdentityDomainsResolver } from './identity-domains.resolver';
import { IdentityDomainsService } from './identity-domains.service';

@Module({
  providers: [IdentityDomainsRepository, IdentityDomainsService, IdentityDomainsResolver],
  exports: [IdentityDomainsService],
})
export class CertificatesModule {}
