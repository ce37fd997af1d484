import { Field, ID, InputType } from '@nestjs/graphql';

@InputType({ description: 'A Linkerd extension on one cluster' })
export class ExtensionInput {
  @Field(() => ID)
  clusterId!: string;

  @Field({ description: 'viz or multicluster' })
  extension!: string;

  @Field(() => String, {
    nullable: true,
    description: "Release of the extension; omitted: the control plane's release (install, upgrade)",
  })
  version?: string | null;

  @Field(() => [String], {
    nullable: true,
    description:
      'viz: namespaces whose default inbound policy is deny get the `linkerd viz allow-scrapes` policies (Prometheus may scrape the proxies)',
  })
  allowScrapesNamespaces?: string[] | null;

  @Field(() => String, {
    nullable: true,
    description:
      'viz: an external Prometheus (http/https URL) the metrics-api queries; the bundled Prometheus is left out. ' +
      'Upgrade: omitted keeps the current one, "" goes back to the bundled Prometheus',
  })
  prometheusUrl?: string | null;
}
