import { Field, ObjectType } from '@nestjs/graphql';

@ObjectType('LinkerdExtensionStatus', {
  description: 'A namespace labelled `linkerd.io/extension=<name>` in the latest report',
})
export class LinkerdExtensionStatusType {
  @Field()
  name!: string;

  @Field()
  namespace!: string;

  @Field(() => String, { nullable: true })
  version!: string | null;

  @Field({
    description:
      'viz and multicluster: managed with installExtension / upgradeExtension / uninstallExtension',
  })
  managed!: boolean;

  @Field(() => String, {
    nullable: true,
    description: 'What to do about it (jaeger: the migration to OTLP tracing)',
  })
  note!: string | null;
}
