// Mesh lifecycle tasks (install, upgrade, uninstall, issuer rotation, data-plane restart, mesh
// adoption).
// The API sends references and public material only: bundles are fetched by version and variant
// and checked against their digests; the issuer key is generated in the cluster and only its CSR
// leaves it (see IssuerCsrRequest).
import { z } from 'zod';
import { longString, shortString } from './common.schema';
import { ExtensionNameSchema, ExtensionRefSchema, PrometheusUrlSchema } from './extensions.schema';

const digest = z.string().regex(/^[0-9a-f]{64}$/);
const pem = z
  .string()
  .max(64 * 1024)
  .regex(/-----BEGIN CERTIFICATE-----/);
const namespaceName = z
  .string()
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);

export const ReleaseRefSchema = z.object({
  version: shortString,
  variant: z.enum(['default', 'ha']),
  crdsDigest: digest,
  controlPlaneDigest: digest,
});
export type ReleaseRef = z.infer<typeof ReleaseRefSchema>;

/** MANAGED: the agent asks the API to sign its issuer CSR. EXTERNAL: identity is not touched. */
export const IdentityParamsSchema = z.object({
  mode: z.enum(['MANAGED', 'EXTERNAL']),
  trustDomain: shortString,
  /** The public trust bundle to install (all anchors, new and old during an anchor rotation). */
  trustAnchorsPem: pem.optional(),
});

const operation = { operationId: shortString, controlPlaneNamespace: namespaceName.default('linkerd') };

export const LinkerdInstallParamsSchema = z.object({
  ...operation,
  release: ReleaseRefSchema,
  identity: IdentityParamsSchema,
  /** Install the Gateway API CRDs the release needs when the cluster lacks them (before Linkerd's). */
  gatewayApiCrds: z.boolean().default(false),
});
export const LinkerdUpgradeParamsSchema = z.object({
  ...operation,
  release: ReleaseRefSchema,
  identity: IdentityParamsSchema,
  restartDataPlane: z.boolean().default(false),
  /** An older release than the running one (a rollout's rollback); refused otherwise. */
  allowDowngrade: z.boolean().default(false),
  /** Installed extensions, upgraded after the control plane and before the data plane (Linkerd's order). */
  extensions: z
    .array(
      z.object({
        extension: ExtensionNameSchema,
        release: ExtensionRefSchema,
        /** viz: the external Prometheus it was installed with, kept across the upgrade. */
        prometheusUrl: PrometheusUrlSchema.nullable().default(null),
      }),
    )
    .max(8)
    .default([]),
});
export const LinkerdUninstallParamsSchema = z.object({ ...operation, force: z.boolean().default(false) });
export const RotateIssuerParamsSchema = z.object({ ...operation, identity: IdentityParamsSchema });
export const RestartDataPlaneParamsSchema = z.object({
  ...operation,
  /** Empty: every namespace with meshed workloads, one at a time. */
  namespaces: z.array(namespaceName).max(1000).default([]),
});

/**
 * RECONCILE_DRIFT: re-apply, with Meshfleet's field manager and force, the control-plane objects
 * the agent last applied (its drift detection's desired state), then wait for the rollout.
 */
export const ReconcileDriftParamsSchema = z.object({ ...operation });

/** A workload a mesh-adoption task may annotate and restart. */
export const MeshWorkloadRefSchema = z.object({
  namespace: namespaceName,
  kind: z.enum(['Deployment', 'StatefulSet', 'DaemonSet']),
  name: z
    .string()
    .max(253)
    .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/),
  /** Set as `config.linkerd.io/opaque-ports` on its pod template (server-speaks-first ports the plan flagged). */
  opaquePorts: z.array(z.int().min(1).max(65535)).max(64).default([]),
});
export type MeshWorkloadRef = z.infer<typeof MeshWorkloadRefSchema>;

/**
 * MESH_NAMESPACES: set `linkerd.io/inject: enabled` (on the namespace, or on the listed workloads'
 * pod templates), then restart the workloads in batches of `batchSize`, each batch Ready with an
 * identity-reporting proxy before the next. UNMESH_NAMESPACES is its inverse (annotation removed
 * or `disabled`, same batches). On a failed batch the agent stops; with `rollbackOnFailure` it
 * undoes that batch (annotation back, restart) before failing.
 */
export const MeshNamespacesParamsSchema = z.object({
  ...operation,
  namespaces: z.array(namespaceName).min(1).max(100),
  /** Empty: every Deployment, StatefulSet and DaemonSet of the namespaces (annotated on the namespace). */
  workloads: z.array(MeshWorkloadRefSchema).max(1000).default([]),
  batchSize: z.int().min(1).max(100).default(1),
  rollbackOnFailure: z.boolean().default(true),
  /** How long one batch may take to become Ready and meshed. */
  batchTimeoutSeconds: z.int().min(10).max(3600).default(300),
});
export type MeshNamespacesParams = z.infer<typeof MeshNamespacesParamsSchema>;

/** Steps the agent reports, in order, as TaskEvent.step. */
export const LIFECYCLE_STEPS = [
  'precheck',
  'gateway-api-crds',
  'crds',
  'crds-established',
  'issuer',
  'identity',
  'control-plane',
  'rollout',
  'data-plane-restart',
  'uninstall',
  // Drift reconcile: the desired objects re-applied.
  'reconcile',
  // Mesh adoption: 'annotate', then one 'batch' step per batch (its message names the batch and
  // its workloads), 'rollback' when a failed batch is undone.
  'annotate',
  'batch',
  'rollback',
  // Extensions: 'extension' applies the bundle, 'prune' removes what it no longer has.
  'extension',
  'prune',
  'postcheck',
] as const;
export type LifecycleStep = (typeof LIFECYCLE_STEPS)[number];

export const LifecycleOutputSchema = z.object({
  kind: z.literal('LIFECYCLE'),
  controlPlaneVersion: shortString.nullable(),
  postcheck: z.object({ errors: z.int().min(0), warnings: z.int().min(0), summary: longString }),
});

const VARIANT = 'variant must be default or ha';
/** GET /agent/v1/releases/:version/:variant; an unknown version is 404. */
export const ReleaseBundlesPathSchema = z.object({
  version: z.string(),
  variant: z.enum(['default', 'ha'], { error: VARIANT }),
});

export const ReleaseBundlesResponseSchema = z.object({
  version: shortString,
  variant: z.enum(['default', 'ha']),
  simulated: z.boolean(),
  crds: z.object({ yaml: z.string(), digest }),
  controlPlane: z.object({ yaml: z.string(), digest }),
});
export type ReleaseBundlesResponse = z.infer<typeof ReleaseBundlesResponseSchema>;

/** POST /agent/v1/tasks/:id/issuer-csr */
export const IssuerCsrRequestSchema = z.object({
  csrPem: z
    .string()
    .max(16 * 1024)
    .regex(/-----BEGIN CERTIFICATE REQUEST-----/),
});
export const IssuerCsrResponseSchema = z.object({
  issuerCertPem: pem,
  trustAnchorsPem: pem,
  notAfter: z.string(),
});
export type IssuerCsrResponse = z.infer<typeof IssuerCsrResponseSchema>;
