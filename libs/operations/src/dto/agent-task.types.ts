import { Field, ID, ObjectType } from '@nestjs/graphql';
import { GraphQLJSONObject } from '@meshfleet/graphql';

@ObjectType('AgentTaskEvent')
export class AgentTaskEventType {
  @Field()
  step!: string;

  @Field()
  status!: string;

  @Field()
  message!: string;

  @Field()
  at!: Date;
}

@ObjectType('AgentTask', { description: 'Work carried out by a cluster agent (diagnostics)' })
export class AgentTaskType {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  clusterId!: string;

  @Field()
  kind!: string;

  @Field(() => GraphQLJSONObject)
  params!: Record<string, unknown>;

  @Field({ description: 'QUEUED | DISPATCHED | RUNNING | SUCCEEDED | FAILED | EXPIRED' })
  status!: string;

  @Field(() => String, { nullable: true })
  requestedBy!: string | null;

  @Field()
  createdAt!: Date;

  @Field()
  deadlineAt!: Date;

  @Field(() => Date, { nullable: true })
  dispatchedAt!: Date | null;

  @Field(() => Date, { nullable: true })
  finishedAt!: Date | null;

  @Field(() => [AgentTaskEventType])
  events!: AgentTaskEventType[];

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'e.g. { kind, metrics, truncated }' })
  output!: Record<string, unknown> | null;

  @Field(() => GraphQLJSONObject, { nullable: true })
  error!: Record<string, unknown> | null;
}
