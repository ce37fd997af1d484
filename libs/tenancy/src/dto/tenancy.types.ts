import { Field, ID, InputType, ObjectType, registerEnumType } from '@nestjs/graphql';
import { Role } from '@meshfleet/db';

registerEnumType(Role, {
  name: 'Role',
  description: 'VIEWER reads; EDITOR also operates clusters; ADMIN also manages API keys and members',
});

@ObjectType('Organization')
export class OrganizationType {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;

  @Field()
  createdAt!: Date;
}

@ObjectType('Viewer', { description: 'The caller: organization, role and identity' })
export class ViewerType {
  @Field(() => OrganizationType)
  organization!: OrganizationType;

  @Field(() => Role)
  role!: Role;

  @Field({ description: 'USER or API_KEY' })
  kind!: string;

  @Field()
  actorId!: string;

  @Field()
  actorName!: string;
}

@ObjectType('ApiKey', { description: 'An API key; the secret itself is only shown when created' })
export class ApiKeyType {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;

  @Field({ description: 'Visible, non-secret start of the key, to recognise it' })
  prefix!: string;

  @Field(() => Role)
  role!: Role;

  @Field(() => String, { nullable: true })
  createdBy!: string | null;

  @Field()
  createdAt!: Date;

  @Field(() => Date, { nullable: true })
  lastUsedAt!: Date | null;

  @Field(() => Date, { nullable: true })
  revokedAt!: Date | null;
}

@ObjectType()
export class CreatedApiKey {
  @Field(() => ApiKeyType)
  apiKey!: ApiKeyType;

  @Field({ description: 'The key itself. Shown only in this response: store it now.' })
  secret!: string;
}

@InputType()
export class CreateApiKeyInput {
  @Field()
  name!: string;

  @Field(() => Role)
  role!: Role;
}

@ObjectType('Member')
export class MemberType {
  @Field(() => ID)
  id!: string;

  @Field()
  issuer!: string;

  @Field()
  subject!: string;

  @Field(() => String, { nullable: true })
  email!: string | null;

  @Field(() => Role)
  role!: Role;

  @Field({
    description:
      'True when the membership follows the OIDC group claim (MESHFLEET_OIDC_GROUP_ROLES) at each sign-in; updateMemberRole makes it an admin-made one',
  })
  viaOidcGroups!: boolean;

  @Field()
  createdAt!: Date;
}

@InputType()
export class AddMemberInput {
  @Field({ description: 'OIDC subject (sub claim) of the user' })
  subject!: string;

  @Field(() => String, { nullable: true, description: 'OIDC issuer; defaults to the configured one' })
  issuer?: string | null;

  @Field(() => String, { nullable: true })
  email?: string | null;

  @Field(() => Role)
  role!: Role;
}
