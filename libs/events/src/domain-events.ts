// Domain events go into a transactional outbox (DomainEvent table) in the same transaction as the
// state change they describe, so no event is lost when Redis or a process is. Alerts and webhooks
// consume them.
import { Db, Prisma } from '@meshfleet/db';

export interface DomainEventPayloads {
  'cluster.online': { clusterName: string; previousStatus: string };
  'cluster.offline': { clusterName: string; lastSeenAt: string | null };
  'cluster.enrolled': { clusterName: string; reenrolled: boolean };
  'cluster.health_changed': { clusterName: string; from: string | null; to: string };
  'operation.queued': { operationId: string; kind: string; clusterName: string };
  'operation.succeeded': { operationId: string; kind: string; clusterName: string };
  'operation.failed': {
    operationId: string;
    kind: string;
    clusterName: string;
    status: string;
    reason: string;
  };
  'operation.cancelled': { operationId: string; kind: string; clusterName: string };
}

export type DomainEventType = keyof DomainEventPayloads;

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
