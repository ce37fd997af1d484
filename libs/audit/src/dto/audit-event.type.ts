import { Field, ID, InputType, ObjectType, registerEnumType } from '@nestjs/graphql';
import { ActorType } from '@meshfleet/db';
import { Connection, GraphQLJSONObject } from '@meshfleet/graphql';

registerEnumType(ActorType, { name: 'ActorType', description: 'Who performed an audited action' });

@ObjectType('AuditEvent', { description: 'Who did what, when, to what, and from where' })
export class AuditEventType {
  @Field(() => ID)
  id!: string;

  @Field({ description: 'Dotted action name, e.g. cluster.register' })
  action!: string;

  @Field(() => ActorType)
  actorType!: ActorType;

  @Field(() => String, { nullable: true })
  actorId!: string | null;

  @Field(() => String, { nullable: true })
  actorName!: string | null;

  @Field(() => String, { nullable: true })
  targetType!: string | null;

  @Field(() => String, { nullable: true })
  targetId!: string | null;

  @Field(() => GraphQLJSONObject)
  metadata!: Record<string, unknown>;

  @Field(() => String, { nullable: true })
  ip!: string | null;

  @Field(() => String, { nullable: true })
  userAgent!: string | null;

  @Field(() => String, { nullable: true })
  requestId!: string | null;

  @Field()
  createdAt!: Date;
}

@ObjectType()
export class AuditEventConnection extends Connection(AuditEventType, 'AuditEvent') {}

@InputType()
export class AuditEventFilter {
  @Field(() => String, { nullable: true })
  action?: string | null;

  @Field(() => String, { nullable: true })
  targetType?: string | null;

  @Field(() => String, { nullable: true })
  targetId?: string | null;

  @Field(() => String, { nullable: true })
  actorId?: string | null;

  @Field(() => Date, { nullable: true })
  since?: Date | null;

  @Field(() => Date, { nullable: true })
  until?: Date | null;
}
