import { Args, ID, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import * as x509 from '@peculiar/x509';
import { createHash } from 'node:crypto';
import { Actor, Allow, CurrentActor, CurrentPrincipal, Principal } from '@meshfleet/auth';
import { AppConfig } from '@meshfleet/config';
import { IdentityDomain, IdentityMode, Role } from '@meshfleet/db';
import { Inject } from '@nestjs/common';
import { canOpen, type Sealed } from './envelope';
import { registerNodeLoader } from '@meshfleet/graphql';
import { IdentityDomainsService } from './identity-domains.service';
import {
  CreateIdentityDomainInput,
  IdentityDomainType,
  IssuerCertificateType,
  TrustAnchorType,
} from './dto/identity-domain.types';

function toType(d: IdentityDomain, keyring: AppConfig['encryption']): IdentityDomainType {
  const sealed = (d.anchorKeyEnc as unknown as Sealed | null) ?? null;
  let trustAnchor: TrustAnchorType | null = null;
  if (d.anchorCertPem) {
    const cert = new x509.X509Certificate(d.anchorCertPem);
    trustAnchor = {
      pem: d.anchorCertPem,
      subject: cert.subject,
      notBefore: cert.notBefore,
      notAfter: cert.notAfter,
      sha256Fingerprint:
        d.anchorFingerprint ?? createHash('sha256').update(Buffer.from(cert.rawData)).digest('hex'),
    };
  }
  return {
    id: d.id,
    name: d.name,
    trustDomain: d.trustDomain,
    mode: d.mode,
    trustAnchor,
    encryptionKeyId: sealed?.kid ?? null,
    canSignIssuers: d.mode === IdentityMode.MANAGED && canOpen(keyring, sealed),
    createdAt: d.createdAt,
  };
}

@Resolver(() => IdentityDomainType)
export class IdentityDomainsResolver {
  constructor(
    private readonly domains: IdentityDomainsService,
    @Inject(AppConfig) private readonly config: AppConfig,
  ) {
    registerNodeLoader('IdentityDomain', async (c, id) =>
      toType(await this.domains.get(c.organizationId, id), this.config.encryption),
    );
  }

  @Query(() => [IdentityDomainType])
  @Allow(Role.VIEWER)
  async identityDomains(@CurrentPrincipal() p: Principal): Promise<IdentityDomainType[]> {
    return (await this.domains.list(p.organizationId)).map((d) => toType(d, this.config.encryption));
  }

  @Query(() => IdentityDomainType)
  @Allow(Role.VIEWER)
  async identityDomain(
    @CurrentPrincipal() p: Principal,
    @Args('id', { type: () => ID }) id: string,
  ): Promise<IdentityDomainType> {
    return toType(await this.domains.get(p.organizationId, id), this.config.encryption);
  }

  @Mutation(() => IdentityDomainType, {
    description: 'Creates a trust domain; MANAGED generates an ECDSA P-256 trust anchor',
  })
  @Allow(Role.ADMIN)
  async createIdentityDomain(
    @CurrentActor() actor: Actor,
    @Args('input') input: CreateIdentityDomainInput,
  ): Promise<IdentityDomainType> {
    return toType(await this.domains.create(actor, input), this.config.encryption);
  }

  @ResolveField(() => [IssuerCertificateType], {
    description: 'Issuer certificates signed for clusters, newest first',
  })
  async issuers(
    @Parent() d: IdentityDomainType,
    @CurrentPrincipal() p: Principal,
  ): Promise<IssuerCertificateType[]> {
    return this.domains.issuers(p.organizationId, d.id);
  }
}
