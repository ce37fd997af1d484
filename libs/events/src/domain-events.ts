// Domain events go into a transactional outbox (DomainEvent table) in the same transaction as the
// state change they describe, so no event is lost when Redis or a process is. Alerts and webhooks
// consume them.

/**
 * What alert.firing and alert.resolved carry (a snapshot of the alert at the transition). A firing
 * alert whose severity rises (e.g. a certificate crossing 7 then 1 days) fires again with the new one.
 */
export interface AlertEventPayload {
  alertId: string;
  kind: string;
  severity: string;
  subject: string;
  summary: string;
  clusterName: string | null;
  firstFiredAt: string;
  resolvedAt: string | null;
  /** On alert.firing: null when it starts firing, the lower severity when it escalates. */
  previousSeverity: string | null;
  /**
   * DRIFT_DETECTED on a GITOPS cluster: the tool and its Application / HelmRelease as the agent
   * read it (kind, namespace, name, sync/health or Ready status, or why it could not be read).
   */
  gitops?: { tool: string | null; source: Record<string, unknown> | null };
}

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
  'rollout.started': { rolloutId: string; name: string; targetVersion: string; clusters: number };
  'rollout.wave_started': { rolloutId: string; name: string; wave: number; clusters: number };
  'rollout.wave_completed': {
    rolloutId: string;
    name: string;
    wave: number;
    done: number;
    failed: number;
    skipped: number;
  };
  'rollout.paused': { rolloutId: string; name: string; reason: string };
  'rollout.resumed': { rolloutId: string; name: string };
  'rollout.succeeded': { rolloutId: string; name: string; targetVersion: string };
  'rollout.failed': { rolloutId: string; name: string; reason: string };
  'rollout.aborted': { rolloutId: string; name: string };
  'rollout.rolled_back': { rolloutId: string; name: string; clusters: number };
  'alert.firing': AlertEventPayload;
  'alert.resolved': AlertEventPayload;
}

export type DomainEventType = keyof DomainEventPayloads;

/** A domain event to record, its payload typed by its type. */
export type NewDomainEvent = {
  [T in DomainEventType]: {
    organizationId: string;
    type: T;
    clusterId: string | null;
    payload: DomainEventPayloads[T];
  };
}[DomainEventType];
