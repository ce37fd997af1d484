// Mesh lifecycle tasks (install, upgrade, uninstall, issuer rotation, data-plane restart).
// The API sends references and public material only: bundles are fetched by version and variant
// and checked against their digests; the issuer key is generated in the cluster and only its CSR
// leaves it (see IssuerCsrRequest).
import { z } from 'zod';
import { longString, shortString } from './common.schema';

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
});
export const LinkerdUninstallParamsSchema = z.object({ ...operation, force: z.boolean().default(false) });
export const RotateIssuerParamsSchema = z.object({ ...operation, identity: IdentityParamsSchema });
export const RestartDataPlaneParamsSchema = z.object({
  ...operation,
  /** Empty: every namespace with meshed workloads, one at a time. */
  namespaces: z.array(namespaceName).max(1000).default([]),
});

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
