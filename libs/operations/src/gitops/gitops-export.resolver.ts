import { Args, ID, Query, Resolver } from '@nestjs/graphql';
import { Allow, CurrentPrincipal, Principal } from '@meshfleet/auth';
import { Role } from '@meshfleet/db';
import { GitopsExport, GitopsFormatEnum, GitopsSelectorInput } from '../dto/gitops-export.types';
import { GitopsExportService } from './gitops-export.service';

@Resolver(() => GitopsExport)
export class GitopsExportResolver {
  constructor(private readonly service: GitopsExportService) {}

  @Query(() => GitopsExport, {
    description:
      "Linkerd of one cluster (clusterId) or several (selector) as a Git-ready tree for Argo CD or Flux: Meshfleet's values (trust domain, public anchor bundle, issuer from the in-cluster Secret, HA), Linkerd's order, the ignores Linkerd needs. No private key is ever included",
  })
  @Allow(Role.VIEWER)
  async gitopsExport(
    @CurrentPrincipal() p: Principal,
    @Args('format', { type: () => GitopsFormatEnum }) format: GitopsFormatEnum,
    @Args('clusterId', { type: () => ID, nullable: true }) clusterId: string | null,
    @Args('selector', { type: () => GitopsSelectorInput, nullable: true })
    selector: GitopsSelectorInput | null,
  ): Promise<GitopsExport> {
    const r = await this.service.export(p.organizationId, { clusterId, selector, format });
    return { ...r, format: r.format as GitopsFormatEnum };
  }
}
