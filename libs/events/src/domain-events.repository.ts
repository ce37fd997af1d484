// Writes to the DomainEvent outbox. Callers pass their transaction client, so an event commits
// or rolls back with the state change it describes.
import { Db, Prisma } from '@meshfleet/db';
import { DomainEventPayloads, DomainEventType, NewDomainEvent } from './domain-events';

export async function recordDomainEvent<T extends DomainEventType>(
  db: Db,
  organizationId: string,
  type: T,
  clusterId: string | null,
  payload: DomainEventPayloads[T],
): Promise<void> {
  await db.domainEvent.create({
    data: { organizationId, type, clusterId, payload: payload as unknown as Prisma.InputJsonValue },
  });
}

/** Events of any types and organizations in one statement. */
export async function recordDomainEventBatch(db: Db, events: NewDomainEvent[]): Promise<void> {
  if (!events.length) return;
  await db.domainEvent.createMany({
    data: events.map((e) => ({
      organizationId: e.organizationId,
      type: e.type,
      clusterId: e.clusterId,
      payload: e.payload as unknown as Prisma.InputJsonValue,
    })),
  });
}

/** Many events of one type in one statement (a batch of operations, say). */
export async function recordDomainEvents<T extends DomainEventType>(
  db: Db,
  organizationId: string,
  type: T,
  events: { clusterId: string | null; payload: DomainEventPayloads[T] }[],
): Promise<void> {
  await recordDomainEventBatch(
    db,
    events.map(
      (e) => ({ organizationId, type, clusterId: e.clusterId, payload: e.payload }) as NewDomainEvent,
    ),
  );
}
