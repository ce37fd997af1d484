import { NodeInterface } from '@meshfleet/graphql';
import { Field, ID, InputType, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { IdentityMode } from '@meshfleet/db';

registerEnumType(IdentityMode, {
  name: 'IdentityMode',
  description:
    'MANAGED: Meshfleet holds the trust anchor and signs issuers. EXTERNAL: e.g. cert-manager; monitor only',
});

@ObjectType('TrustAnchor', {
  description: 'The public trust anchor certificate (the private key is never exposed)',
})
export class TrustAnchorType {
  @Field()
  pem!: string;

  @Field()
  subject!: string;

  @Field()
  notBefore!: Date;

  @Field()
  notAfter!: Date;

  @Field()
  sha256Fingerprint!: string;
}

@ObjectType('IssuerCertificate')
export class IssuerCertificateType {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  clusterId!: string;

  @Field()
  serialNumber!: string;

  @Field()
  notBefore!: Date;

  @Field()
  notAfter!: Date;
}

@ObjectType('IdentityDomain', {
  description: 'A mesh trust domain: clusters in it share one trust anchor',
  implements: () => [NodeInterface],
})
export class IdentityDomainType {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;

  @Field()
  trustDomain!: string;

  @Field(() => IdentityMode)
  mode!: IdentityMode;

  @Field(() => TrustAnchorType, { nullable: true })
  trustAnchor!: TrustAnchorType | null;

  @Field(() => String, {
    nullable: true,
    description:
      'MANAGED: the id of the encryption key (MESHFLEET_ENCRYPTION_KEYS) that seals the trust anchor key; null for EXTERNAL',
  })
  encryptionKeyId!: string | null;

  @Field({
    description:
      'MANAGED: whether this API can open the trust anchor key with its configured encryption keys, i.e. sign issuers (installLinkerd, rotateIssuer); false after the key was removed or changed. Always false for EXTERNAL',
  })
  canSignIssuers!: boolean;

  @Field()
  createdAt!: Date;
}

@InputType()
export class CreateIdentityDomainInput {
  @Field()
  name!: string;

  @Field(() => String, { nullable: true, description: 'Default cluster.local' })
  trustDomain?: string | null;

  @Field(() => IdentityMode, { nullable: true, description: 'Default MANAGED' })
  mode?: IdentityMode | null;

  @Field(() => Int, { nullable: true, description: 'Trust anchor validity; default from configuration' })
  anchorValidityDays?: number | null;

  @Field(() => String, {
    nullable: true,
    description: 'EXTERNAL mode: the trust bundle (PEM) to monitor against',
  })
  externalTrustAnchorsPem?: string | null;
}
