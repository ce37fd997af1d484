import { Module } from '@nestjs/common';
import { IdentityDomainsRepository } from './identity-domains.repository';
import { IdentityDomainsResolver } from './identity-domains.resolver';
import { IdentityDomainsService } from './identity-domains.service';
import { KeyRotationRepository } from './key-rotation.repository';
import { KeyRotationService } from './key-rotation.service';

@Module({
  providers: [
    IdentityDomainsRepository,
    IdentityDomainsService,
    IdentityDomainsResolver,
    KeyRotationRepository,
    KeyRotationService,
  ],
  exports: [IdentityDomainsService, KeyRotationService],
})
export class CertificatesModule {}
