import type { TaskKind } from '@meshfleet/agent-protocol';
import { IdentityMode, OperationKind } from '@meshfleet/db';
import type { Variant } from './catalog/catalog.service';

/** What an operation was asked to do (Operation.params). */
export interface OperationParams {
  release?: { version: string; variant: Variant; crdsDigest: string; controlPlaneDigest: string };
  identity?: { mode: IdentityMode; trustDomain: string; identityDomainId: string | null };
  restartDataPlane?: boolean;
  allowDowngrade?: boolean;
  /** Install: add the Gateway API CRDs the release needs where the cluster lacks them. */
  gatewayApiCrds?: boolean;
  force?: boolean;
  namespaces?: string[];
  fromVersion?: string | null;
  /** Mesh adoption (MESH_NAMESPACES / UNMESH_NAMESPACES); `namespaces` above are its namespaces. */
  workloads?: Array<{
    namespace: string;
    kind: 'Deployment' | 'StatefulSet' | 'DaemonSet';
    name: string;
    opaquePorts?: number[];
  }>;
  batchSize?: number;
  rollbackOnFailure?: boolean;
  batchTimeoutSeconds?: number;
  /** Extensions (INSTALL_EXTENSION / UPGRADE_EXTENSION / UNINSTALL_EXTENSION). */
  extension?: 'viz' | 'multicluster';
  extensionRelease?: { version: string; digest: string };
  allowScrapesNamespaces?: string[];
  /** viz: the external Prometheus (null: the bundled one). */
  prometheusUrl?: string | null;
  /** What the request warned about when it was made (default inbound policies blocking scrapes). */
  warnings?: Array<{ code: string; message: string; namespaces: string[] }>;
  /** UPGRADE: the installed extensions to upgrade after the control plane. */
  extensions?: Array<{
    extension: 'viz' | 'multicluster';
    release: { version: string; digest: string };
    prometheusUrl?: string | null;
  }>;
  /** Diagnostics: the pod to ask. */
  namespace?: string;
  pod?: string;
}

/** An operation as its kind's hooks see it. */
export interface KindInput {
  id: string;
  params: OperationParams;
  /** The trust anchors of the operation's identity domain, when it has a managed one. */
  trustAnchorsPem?: string;
}

/**
 * One kind of operation. Adding a kind is an entry here, its task schema in agent-protocol and
 * a task handler in the agent: the gateway, the repository and the orchestrator are kind-blind.
 */
export interface OperationKindSpec {
  /** The task kind its attempts carry to the agent. */
  task: TaskKind;
  /**
   * Lifecycle operations hold their cluster's lock, go through the dispatch queue, are retried
   * and leased, record domain events, stream updates and are what the operations API lists.
   * The others (diagnostics) are none of that: one attempt, queued for the agent at once.
   */
  lifecycle: boolean;
  /** The params of its task envelope. */
  taskParams(op: KindInput): Record<string, unknown>;
  /** Its agent may have an issuer CSR signed while an attempt is open. */
  signsIssuer: boolean;
  /** The identity domain its cluster is in once it succeeded; undefined leaves it as it is. */
  identityAfter?(params: OperationParams): string | null | undefined;
}

/** What every lifecycle task carries, plus `extra`. */
function lifecycleParams(op: KindInput, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const { release, identity } = op.params;
  return {
    operationId: op.id,
    controlPlaneNamespace: 'linkerd',
    ...(release ? { release } : {}),
    ...(identity
      ? {
          identity: {
            mode: identity.mode,
            trustDomain: identity.trustDomain,
            ...(op.trustAnchorsPem ? { trustAnchorsPem: op.trustAnchorsPem } : {}),
          },
        }
      : {}),
    ...extra,
  };
}

function meshParams(p: OperationParams): Record<string, unknown> {
  return {
    namespaces: p.namespaces ?? [],
    workloads: p.workloads ?? [],
    batchSize: p.batchSize ?? 1,
    rollbackOnFailure: p.rollbackOnFailure ?? true,
    ...(p.batchTimeoutSeconds ? { batchTimeoutSeconds: p.batchTimeoutSeconds } : {}),
  };
}

function extensionParams(op: KindInput): Record<string, unknown> {
  return {
    operationId: op.id,
    controlPlaneNamespace: 'linkerd',
    extension: op.params.extension,
    release: op.params.extensionRelease,
    allowScrapesNamespaces: op.params.allowScrapesNamespaces ?? [],
    prometheusUrl: op.params.prometheusUrl ?? null,
  };
}

export const OPERATION_KINDS: Record<OperationKind, OperationKindSpec> = {
  INSTALL: {
    task: 'LINKERD_INSTALL',
    lifecycle: true,
    signsIssuer: true,
    taskParams: (op) => lifecycleParams(op, { gatewayApiCrds: op.params.gatewayApiCrds ?? false }),
    identityAfter: (p) => (p.identity ? p.identity.identityDomainId : undefined),
  },
  UPGRADE: {
    task: 'LINKERD_UPGRADE',
    lifecycle: true,
    signsIssuer: true,
    taskParams: (op) =>
      lifecycleParams(op, {
        restartDataPlane: op.params.restartDataPlane ?? false,
        allowDowngrade: op.params.allowDowngrade ?? false,
        extensions: op.params.extensions ?? [],
      }),
  },
  UNINSTALL: {
    task: 'LINKERD_UNINSTALL',
    lifecycle: true,
    signsIssuer: false,
    taskParams: (op) => lifecycleParams(op, { force: op.params.force ?? false }),
    identityAfter: () => null,
  },
  ROTATE_ISSUER: {
    task: 'ROTATE_ISSUER',
    lifecycle: true,
    signsIssuer: true,
    taskParams: (op) => lifecycleParams(op),
  },
  RESTART_DATA_PLANE: {
    task: 'RESTART_DATA_PLANE',
    lifecycle: true,
    signsIssuer: false,
    taskParams: (op) => lifecycleParams(op, { namespaces: op.params.namespaces ?? [] }),
  },
  MESH_NAMESPACES: {
    task: 'MESH_NAMESPACES',
    lifecycle: true,
    signsIssuer: false,
    taskParams: (op) => lifecycleParams(op, meshParams(op.params)),
  },
  UNMESH_NAMESPACES: {
    task: 'UNMESH_NAMESPACES',
    lifecycle: true,
    signsIssuer: false,
    taskParams: (op) => lifecycleParams(op, meshParams(op.params)),
  },
  RECONCILE_DRIFT: {
    task: 'RECONCILE_DRIFT',
    lifecycle: true,
    signsIssuer: false,
    taskParams: (op) => lifecycleParams(op),
  },
  INSTALL_EXTENSION: {
    task: 'INSTALL_EXTENSION',
    lifecycle: true,
    signsIssuer: false,
    taskParams: (op) => extensionParams(op),
  },
  UPGRADE_EXTENSION: {
    task: 'UPGRADE_EXTENSION',
    lifecycle: true,
    signsIssuer: false,
    taskParams: (op) => extensionParams(op),
  },
  UNINSTALL_EXTENSION: {
    task: 'UNINSTALL_EXTENSION',
    lifecycle: true,
    signsIssuer: false,
    taskParams: (op) => ({
      operationId: op.id,
      controlPlaneNamespace: 'linkerd',
      extension: op.params.extension,
    }),
  },
  COLLECT_PROXY_METRICS: {
    task: 'COLLECT_PROXY_METRICS',
    lifecycle: false,
    signsIssuer: false,
    taskParams: (op) => ({ namespace: op.params.namespace, pod: op.params.pod }),
  },
};

/** The kinds the operations API shows. */
export const LIFECYCLE_KINDS = (Object.keys(OPERATION_KINDS) as OperationKind[]).filter(
  (k) => OPERATION_KINDS[k].lifecycle,
);

export const isLifecycle = (kind: OperationKind): boolean => OPERATION_KINDS[kind].lifecycle;
