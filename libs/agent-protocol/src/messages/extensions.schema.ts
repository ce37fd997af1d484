// Extension tasks (issue 18): install, upgrade and uninstall of viz and multicluster. Like the
// core's, the bundle is fetched by release and extension and checked against the digest the task
// names; tap's and the tap injector's serving certificates are issued in the cluster.
import { z } from 'zod';
import { shortString } from './common.schema';

const digest = z.string().regex(/^[0-9a-f]{64}$/);
const namespaceName = z
  .string()
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);

export const EXTENSION_NAMES = ['viz', 'multicluster'] as const;
export const ExtensionNameSchema = z.enum(EXTENSION_NAMES);
export type ExtensionName = z.infer<typeof ExtensionNameSchema>;

export const ExtensionRefSchema = z.object({ version: shortString, digest });
export type ExtensionRef = z.infer<typeof ExtensionRefSchema>;

/** An http(s) URL without credentials: where viz's metrics-api finds an external Prometheus. */
export const PrometheusUrlSchema = z
  .string()
  .max(2048)
  .regex(/^https?:\/\/[^\s/?#@]+(?:[/?#][^\s@]*)?$/);

const base = {
  operationId: shortString,
  controlPlaneNamespace: namespaceName.default('linkerd'),
  extension: ExtensionNameSchema,
};

/**
 * INSTALL_EXTENSION / UPGRADE_EXTENSION: apply the bundle into its namespace (labelled
 * `linkerd.io/extension=<name>`), then delete objects labelled for the extension that the bundle no
 * longer has (`linkerd viz prune`), and wait for its Deployments and APIServices.
 */
export const ApplyExtensionParamsSchema = z.object({
  ...base,
  release: ExtensionRefSchema,
  /** How long the extension's workloads may take to become Ready. */
  rolloutTimeoutSeconds: z.int().min(10).max(3600).default(300),
  /** viz: namespaces (default-deny) that get the `linkerd viz allow-scrapes` policies. */
  allowScrapesNamespaces: z.array(namespaceName).max(100).default([]),
  /**
   * viz: an external Prometheus (the chart's `prometheusUrl` with `prometheus.enabled: false`):
   * the bundled Prometheus is left out and the metrics-api queries this URL. Null: the bundled one.
   */
  prometheusUrl: PrometheusUrlSchema.nullable().default(null),
});
export type ApplyExtensionParams = z.infer<typeof ApplyExtensionParamsSchema>;

/**
 * UNINSTALL_EXTENSION: what `linkerd <ext> uninstall` removes — every object labelled for the
 * extension (cluster-scoped, RBAC in any namespace, its namespace) plus the Server, HTTPRoute and
 * AuthorizationPolicy objects labelled for it in every namespace. multicluster refuses while
 * `Link`s exist.
 */
export const UninstallExtensionParamsSchema = z.object(base);
export type UninstallExtensionParams = z.infer<typeof UninstallExtensionParamsSchema>;

/** GET /agent/v1/releases/:version/extensions/:extension; an unknown one is 404. */
export const ExtensionBundlePathSchema = z.object({
  version: z.string(),
  extension: z.enum(EXTENSION_NAMES, { error: 'extension must be viz or multicluster' }),
});

export const ExtensionBundleResponseSchema = z.object({
  version: shortString,
  extension: ExtensionNameSchema,
  namespace: namespaceName,
  simulated: z.boolean(),
  yaml: z.string(),
  digest,
});
export type ExtensionBundleResponse = z.infer<typeof ExtensionBundleResponseSchema>;

/** An extension found in the cluster: a namespace labelled `linkerd.io/extension=<name>` (report, protocol 2+). */
export const InstalledExtensionSchema = z.object({
  /** Any extension name, ours or third-party (jaeger, a vendor's). */
  name: shortString,
  namespace: namespaceName,
  /** The release its Deployments carry (`app.kubernetes.io/version`, else their image tag); null when none says. */
  version: shortString.nullable(),
  /** viz: the namespace's `viz.linkerd.io/external-prometheus`; null: the bundled Prometheus (or not viz). */
  prometheusUrl: z.string().max(2048).nullable().default(null),
  /** multicluster: the `Link` objects (namespace/name); null when not listed (other extensions, older agents). */
  links: z.array(shortString).max(50).nullable().default(null),
});
export type InstalledExtension = z.infer<typeof InstalledExtensionSchema>;
