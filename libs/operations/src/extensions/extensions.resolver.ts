// GraphQL mutations of Linkerd extensions: thin, the checks are in extension-requests.ts.
import { Args, Mutation, Resolver } from '@nestjs/graphql';
import { Actor, Allow, CurrentActor } from '@meshfleet/auth';
import { Role } from '@meshfleet/db';
import { objectInventory } from '@meshfleet/linkerd';
import { OperationType } from '../dto/operation.types';
import { OperationsService } from '../operations.service';
import { toOperationType } from '../operations.resolver';
import { CatalogService } from '../catalog/catalog.service';
import { ExtensionInput } from './extension.input';
import { ImportLinkerdExtensionInput, LinkerdExtensionBundleType } from './import-extension.input';

@Resolver()
export class ExtensionsResolver {
  constructor(
    private readonly ops: OperationsService,
    private readonly catalog: CatalogService,
  ) {}

  @Mutation(() => LinkerdExtensionBundleType, {
    description:
      'Imports `linkerd viz install` / `linkerd multicluster install` output for a release your organization imported; serving certificates and caBundles are dropped (the agent issues them in the cluster)',
  })
  @Allow(Role.ADMIN)
  async importLinkerdExtension(
    @CurrentActor() actor: Actor,
    @Args('input') input: ImportLinkerdExtensionInput,
  ): Promise<LinkerdExtensionBundleType> {
    const version = input.version.trim();
    const b = await this.catalog.importExtension(actor, {
      ...input,
      version,
      replace: input.replace === true,
    });
    return {
      version,
      extension: b.extension,
      namespace: b.namespace,
      digest: b.digest,
      objects: objectInventory(b.yaml).length,
    };
  }

  @Mutation(() => OperationType, {
    description:
      "Installs viz or multicluster of the control plane's release (or `version`, same major) into its namespace; steps precheck, extension, prune, rollout, postcheck",
  })
  @Allow(Role.EDITOR)
  async installExtension(
    @CurrentActor() actor: Actor,
    @Args('input') input: ExtensionInput,
  ): Promise<OperationType> {
    return toOperationType(await this.ops.extension(actor, input.clusterId, input, 'install'));
  }

  @Mutation(() => OperationType, {
    description:
      'Applies the extension of another release and deletes the objects labelled for it that the new render no longer has (as `linkerd viz prune`)',
  })
  @Allow(Role.EDITOR)
  async upgradeExtension(
    @CurrentActor() actor: Actor,
    @Args('input') input: ExtensionInput,
  ): Promise<OperationType> {
    return toOperationType(await this.ops.extension(actor, input.clusterId, input, 'upgrade'));
  }

  @Mutation(() => OperationType, {
    description:
      'Removes what `linkerd <extension> uninstall` removes, including Server, HTTPRoute and AuthorizationPolicy objects labelled for it in every namespace; multicluster is refused while Links exist',
  })
  @Allow(Role.EDITOR)
  async uninstallExtension(
    @CurrentActor() actor: Actor,
    @Args('input') input: ExtensionInput,
  ): Promise<OperationType> {
    return toOperationType(await this.ops.extension(actor, input.clusterId, input, 'uninstall'));
  }
}
