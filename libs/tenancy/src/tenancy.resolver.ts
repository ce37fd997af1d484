import { Args, ID, Mutation, Query, Resolver } from '@nestjs/graphql';
import { Actor, Allow, CurrentActor, CurrentPrincipal, Principal } from '@meshfleet/auth';
import { Role } from '@meshfleet/db';
import { ApiKeysService } from './api-keys.service';
import { MembersService } from './members.service';
import { MemberRow } from './members.repository';
import { OrganizationsService } from './organizations.service';
import {
  AddMemberInput,
  ApiKeyType,
  CreateApiKeyInput,
  CreatedApiKey,
  MemberType,
  ViewerType,
} from './dto/tenancy.types';

const toMember = (m: MemberRow): MemberType => ({
  id: m.id,
  issuer: m.user.issuer,
  subject: m.user.subject,
  email: m.user.email,
  role: m.role,
  viaOidcGroups: m.viaOidcGroups,
  createdAt: m.createdAt,
});

@Resolver()
export class TenancyResolver {
  constructor(
    private readonly orgs: OrganizationsService,
    private readonly keys: ApiKeysService,
    private readonly people: MembersService,
  ) {}

  @Query(() => ViewerType, { description: 'Who you are: organization and role' })
  @Allow(Role.VIEWER)
  async viewer(@CurrentPrincipal() p: Principal): Promise<ViewerType> {
    const organization = await this.orgs.get(p.organizationId);
    return { organization, role: p.role, kind: p.kind, actorId: p.actorId, actorName: p.actorName };
  }

  @Query(() => [ApiKeyType])
  @Allow(Role.ADMIN)
  apiKeys(@CurrentPrincipal() p: Principal): Promise<ApiKeyType[]> {
    return this.keys.list(p.organizationId);
  }

  @Mutation(() => CreatedApiKey, { description: 'Creates an API key; the secret is returned only here' })
  @Allow(Role.ADMIN)
  createApiKey(
    @CurrentActor() actor: Actor,
    @Args('input') input: CreateApiKeyInput,
  ): Promise<CreatedApiKey> {
    return this.keys.create(actor, input.name, input.role);
  }

  @Mutation(() => ApiKeyType)
  @Allow(Role.ADMIN)
  revokeApiKey(
    @CurrentActor() actor: Actor,
    @Args('id', { type: () => ID }) id: string,
  ): Promise<ApiKeyType> {
    return this.keys.revoke(actor, id);
  }

  @Query(() => [MemberType])
  @Allow(Role.VIEWER)
  async members(@CurrentPrincipal() p: Principal): Promise<MemberType[]> {
    return (await this.people.list(p.organizationId)).map(toMember);
  }

  @Mutation(() => MemberType)
  @Allow(Role.ADMIN)
  async addMember(@CurrentActor() actor: Actor, @Args('input') input: AddMemberInput): Promise<MemberType> {
    return toMember(await this.people.add(actor, input));
  }

  @Mutation(() => MemberType)
  @Allow(Role.ADMIN)
  async updateMemberRole(
    @CurrentActor() actor: Actor,
    @Args('id', { type: () => ID }) id: string,
    @Args('role', { type: () => Role }) role: Role,
  ): Promise<MemberType> {
    return toMember(await this.people.updateRole(actor, id, role));
  }

  @Mutation(() => MemberType)
  @Allow(Role.ADMIN)
  async removeMember(
    @CurrentActor() actor: Actor,
    @Args('id', { type: () => ID }) id: string,
  ): Promise<MemberType> {
    return toMember(await this.people.remove(actor, id));
  }
}
