import { Inject, Injectable } from '@nestjs/common';
import { assertDns1123Label, FailedPreconditionError, ValidationError } from '@meshfleet/core';
import { AppConfig } from '@meshfleet/config';
import { Actor } from '@meshfleet/auth';
import { AuditService } from '@meshfleet/audit';
import { IdentityDomain, IdentityMode, IssuerCertificate } from '@meshfleet/db';
import * as x509 from '@peculiar/x509';
import { canOpen, open, seal, Sealed } from './envelope';
import { createTrustAnchor, signIssuerCsr } from '@meshfleet/pki';
import { AnchorMaterial, IdentityDomainsRepository } from './identity-domains.repository';

const TRUST_DOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export interface CreateIdentityDomainData {
  name: string;
  trustDomain?: string | null;
  mode?: IdentityMode | null;
  anchorValidityDays?: number | null;
  /** EXTERNAL mode: the public trust bundle to monitor against (optional). */
  externalTrustAnchorsPem?: string | null;
}

@Injectable()
export class IdentityDomainsService {
  constructor(
    private readonly repo: IdentityDomainsRepository,
    private readonly audit: AuditService,
    @Inject(AppConfig) private readonly config: AppConfig,
  ) {}

  async create(actor: Actor, input: CreateIdentityDomainData): Promise<IdentityDomain> {
    assertDns1123Label(input.name, 'name');
    const trustDomain = input.trustDomain?.trim() || 'cluster.local';
    if (trustDomain.length > 253 || !TRUST_DOMAIN.test(trustDomain))
      throw new ValidationError(`trustDomain "${trustDomain}" is not a DNS name`, 'trustDomain');
    const mode = input.mode ?? IdentityMode.MANAGED;
    const days = input.anchorValidityDays ?? this.config.trustAnchorValidityDays;
    if (!Number.isInteger(days) || days < 1 || days > 36500)
      throw new ValidationError('anchorValidityDays must be between 1 and 36500', 'anchorValidityDays');

    let material: AnchorMaterial = {};
    if (mode === IdentityMode.MANAGED) {
      if (!this.config.encryption)
        throw new FailedPreconditionError(
          'MESHFLEET_ENCRYPTION_KEYS is not configured, so trust anchor keys cannot be stored',
        );
      const anchor = await createTrustAnchor(trustDomain, days);
      material = {
        anchorCertPem: anchor.certPem,
        anchorKeyEnc: seal(this.config.encryption, anchor.keyPem),
        anchorNotAfter: anchor.notAfter,
        anchorFingerprint: anchor.sha256Fingerprint,
      };
    } else if (input.externalTrustAnchorsPem) {
      let first: x509.X509Certificate;
      try {
        first = new x509.X509Certificate(input.externalTrustAnchorsPem);
      } catch {
        throw new ValidationError(
          'externalTrustAnchorsPem is not a PEM certificate',
          'externalTrustAnchorsPem',
        );
      }
      material = {
        anchorCertPem: input.externalTrustAnchorsPem.trim() + '\n',
        anchorNotAfter: first.notAfter,
      };
    }
    return this.repo.transaction(async (db) => {
      const domain = await this.repo.create(db, actor.organizationId, {
        name: input.name,
        trustDomain,
        mode,
        ...material,
      });
      await this.audit.recordActor(
        db,
        actor,
        'identity-domain.create',
        { type: 'IdentityDomain', id: domain.id },
        {
          name: domain.name,
          trustDomain,
          mode,
          anchorNotAfter: domain.anchorNotAfter?.toISOString() ?? null,
        },
      );
      return domain;
    });
  }

  list(organizationId: string): Promise<IdentityDomain[]> {
    return this.repo.list(organizationId);
  }

  get(organizationId: string, id: string): Promise<IdentityDomain> {
    return this.repo.get(organizationId, id);
  }

  issuers(organizationId: string, id: string): Promise<IssuerCertificate[]> {
    return this.repo.issuersOf(organizationId, id);
  }

  /**
   * A MANAGED domain whose trust anchor key this process cannot open (its encryption key was
   * removed from, or changed in, MESHFLEET_ENCRYPTION_KEYS) cannot sign issuers: refuse work that
   * would need it up front, with the reason, instead of failing in the cluster later.
   */
  assertCanSign(domain: IdentityDomain): void {
    if (domain.mode !== IdentityMode.MANAGED || !domain.anchorKeyEnc) return;
    const sealed = domain.anchorKeyEnc as unknown as Sealed;
    if (!this.config.encryption)
      throw new FailedPreconditionError(
        `Identity domain ${domain.name} needs MESHFLEET_ENCRYPTION_KEYS (key ${sealed.kid}) to sign issuers`,
        { reason: 'ENCRYPTION_KEY_MISSING', kid: sealed.kid },
      );
    if (!canOpen(this.config.encryption, sealed)) open(this.config.encryption, sealed); // throws the precise reason
  }

  /** Signs a cluster's issuer CSR with the domain's anchor; only the certificate is stored. */
  async signIssuer(
    organizationId: string,
    domainId: string,
    clusterId: string,
    csrPem: string,
  ): Promise<IssuerCertificate> {
    const domain = await this.repo.get(organizationId, domainId);
    if (domain.mode !== IdentityMode.MANAGED || !domain.anchorCertPem || !domain.anchorKeyEnc)
      throw new FailedPreconditionError(
        `Identity domain ${domain.name} is externally managed: Meshfleet does not sign its issuers`,
      );
    if (!this.config.encryption)
      throw new FailedPreconditionError('MESHFLEET_ENCRYPTION_KEYS is not configured');
    const anchorKeyPem = open(this.config.encryption, domain.anchorKeyEnc as unknown as Sealed);
    const issued = await signIssuerCsr({
      csrPem,
      trustDomain: domain.trustDomain,
      anchorCertPem: domain.anchorCertPem,
      anchorKeyPem,
      validityDays: this.config.issuerValidityDays,
    });
    return this.repo.transaction((db) =>
      this.repo.recordIssuer(db, organizationId, {
        identityDomainId: domain.id,
        clusterId,
        serialNumber: issued.serialNumber,
        certPem: issued.certPem,
        notBefore: issued.notBefore,
        notAfter: issued.notAfter,
      }),
    );
  }
}
