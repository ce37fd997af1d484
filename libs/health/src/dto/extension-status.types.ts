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

  @Field(() => String, {
    nullable: true,
    description:
      "viz: the external Prometheus its metrics-api queries (the namespace's viz.linkerd.io/external-prometheus); null: the bundled one",
  })
  prometheusUrl!: string | null;

  @Field(() => [String], {
    nullable: true,
    description: 'multicluster: its Link objects (namespace/name); null when the agent did not list them',
  })
  links!: string[] | null;

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
