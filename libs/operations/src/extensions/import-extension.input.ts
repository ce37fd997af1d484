import { Field, InputType, Int, ObjectType } from '@nestjs/graphql';

@InputType()
export class ImportLinkerdExtensionInput {
  @Field({ description: 'The release the render belongs to (imported with importLinkerdRelease)' })
  version!: string;

  @Field({ description: 'viz or multicluster' })
  extension!: string;

  @Field({
    description: 'Output of `linkerd viz install` / `linkerd multicluster install` (or their helm template)',
  })
  yaml!: string;

  @Field(() => Boolean, { nullable: true, description: 'Replace stored manifests that differ (audited)' })
  replace?: boolean | null;
}

@ObjectType('LinkerdExtensionBundle')
export class LinkerdExtensionBundleType {
  @Field()
  version!: string;

  @Field()
  extension!: string;

  @Field()
  namespace!: string;

  @Field({ description: 'sha256 of the stored (canonical) manifests' })
  digest!: string;

  @Field(() => Int)
  objects!: number;
}
