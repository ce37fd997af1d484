// The checks of an extension request against the cluster's latest report: which extension,
// which release, whether Linkerd (and the extension) is there. Pure: every refusal is a
// DomainError with a reason, thrown before anything is written.
import type { HealthReport, InstalledExtension } from '@meshfleet/agent-protocol';
import { FailedPreconditionError, ValidationError } from '@meshfleet/core';
import {
  isLinkerdExtension,
  LINKERD_EXTENSIONS,
  parseLinkerdVersion,
  prometheusUrlProblem,
  scrapePolicyWarnings,
  type LinkerdExtension,
  type ScrapeWarning,
} from '@meshfleet/linkerd';

export type ExtensionAction = 'install' | 'upgrade' | 'uninstall';

export function extensionName(name: string): LinkerdExtension {
  const n = name.trim();
  if (isLinkerdExtension(n)) return n;
  const jaeger =
    n === 'jaeger'
      ? ': Linkerd deprecated jaeger in 2.19; point the proxy at an OTLP collector (proxy.tracing) instead'
      : '';
  throw new ValidationError(
    `"${name}" is not an extension Meshfleet manages (${LINKERD_EXTENSIONS.join(', ')})${jaeger}`,
    'extension',
    { reason: 'UNKNOWN_EXTENSION' },
  );
}

export function installedExtension(report: HealthReport | null, name: string): InstalledExtension | null {
  return report?.extensions?.find((e) => e.name === name) ?? null;
}

/** The control plane's version, or a refusal when Linkerd is not installed. */
export function controlPlaneVersion(clusterName: string, report: HealthReport | null): string {
  if (!report?.linkerd.installed || !report.linkerd.version)
    throw new FailedPreconditionError(
      `Linkerd is not installed on ${clusterName}: extensions go on top of a control plane (installLinkerd first)`,
      { reason: 'NOT_INSTALLED' },
    );
  return report.linkerd.version;
}

/** An extension must come from the control plane's major (Linkerd ships both with one CLI). */
export function checkExtensionVersion(controlPlane: string, requested: string): void {
  const cp = parseLinkerdVersion(controlPlane);
  const ext = parseLinkerdVersion(requested);
  if (!ext || ext.major === null)
    throw new ValidationError(`"${requested}" is not a Linkerd release name`, 'version', {
      reason: 'BAD_VERSION',
    });
  if (cp?.major != null && cp.major !== ext.major)
    throw new FailedPreconditionError(
      `the extension release ${requested} is Linkerd 2.${ext.major}, but the control plane runs ${controlPlane} (2.${cp.major}): ` +
        "install the extension of the control plane's release, or upgrade the control plane first",
      { reason: 'EXTENSION_VERSION_MISMATCH' },
    );
}

/** Whether the extension's presence suits the action. */
export function checkExtensionPresence(
  clusterName: string,
  report: HealthReport | null,
  extension: LinkerdExtension,
  action: ExtensionAction,
): void {
  const found = installedExtension(report, extension);
  if (action === 'install' && found)
    throw new FailedPreconditionError(
      `${extension} is already installed on ${clusterName} (namespace ${found.namespace}${found.version ? `, ${found.version}` : ''}); use upgradeExtension`,
      { reason: 'EXTENSION_INSTALLED' },
    );
  if (action !== 'install' && !found)
    throw new FailedPreconditionError(`${extension} is not installed on ${clusterName}`, {
      reason: 'EXTENSION_NOT_INSTALLED',
    });
}

/** Core uninstall refuses while any extension namespace exists, as `linkerd uninstall` does. */
export function checkNoExtensions(clusterName: string, report: HealthReport | null): void {
  const found = report?.extensions ?? [];
  if (found.length)
    throw new FailedPreconditionError(
      `${clusterName} still runs Linkerd extensions (${found.map((e) => `${e.name} in ${e.namespace}`).join(', ')}): uninstall them first (uninstallExtension)`,
      { reason: 'EXTENSIONS_INSTALLED', extensions: found.map((e) => e.name) },
    );
}

/** allow-scrapes is viz's, for namespaces the latest report lists (at most 100). */
export function checkAllowScrapes(
  report: HealthReport | null,
  extension: LinkerdExtension,
  namespaces: readonly string[],
): string[] {
  if (namespaces.length === 0) return [];
  if (extension !== 'viz')
    throw new ValidationError('allowScrapesNamespaces is for viz only', 'allowScrapesNamespaces', {
      reason: 'VIZ_ONLY',
    });
  if (namespaces.length > 100)
    throw new ValidationError(
      'allowScrapesNamespaces lists at most 100 namespaces',
      'allowScrapesNamespaces',
      {
        reason: 'OUT_OF_RANGE',
      },
    );
  const known = new Set(report?.mtls.namespaces.map((n) => n.name) ?? []);
  const unknown = namespaces.filter((n) => !known.has(n));
  if (unknown.length)
    throw new ValidationError(
      `allowScrapesNamespaces: ${unknown.join(', ')} not in the cluster's latest report`,
      'allowScrapesNamespaces',
      { reason: 'UNKNOWN_NAMESPACE', namespaces: unknown },
    );
  return [...new Set(namespaces)];
}

/**
 * The external Prometheus of a viz install or upgrade. Omitted (null): install uses the bundled
 * one, upgrade keeps what the latest report shows; "": back to the bundled one.
 */
export function checkPrometheusUrl(
  report: HealthReport | null,
  extension: LinkerdExtension,
  action: ExtensionAction,
  input: string | null | undefined,
): string | null {
  const given = input === null || input === undefined ? null : input.trim();
  if (given !== null && extension !== 'viz')
    throw new ValidationError('prometheusUrl is for viz only', 'prometheusUrl', { reason: 'VIZ_ONLY' });
  if (given !== null && action === 'uninstall')
    throw new ValidationError('prometheusUrl is for installExtension and upgradeExtension', 'prometheusUrl', {
      reason: 'NOT_FOR_UNINSTALL',
    });
  if (extension !== 'viz' || action === 'uninstall') return null;
  if (given === null)
    return action === 'upgrade' ? (installedExtension(report, 'viz')?.prometheusUrl ?? null) : null;
  if (given === '') return null;
  const problem = prometheusUrlProblem(given);
  if (problem)
    throw new ValidationError(`prometheusUrl ${problem}`, 'prometheusUrl', { reason: 'BAD_PROMETHEUS_URL' });
  return given;
}

/** multicluster uninstall refuses while the report lists Links, as `linkerd multicluster uninstall` does. */
export function checkNoLinks(
  clusterName: string,
  report: HealthReport | null,
  extension: LinkerdExtension,
): void {
  if (extension !== 'multicluster') return;
  const links = installedExtension(report, 'multicluster')?.links ?? [];
  if (links.length)
    throw new FailedPreconditionError(
      `${clusterName} has multicluster Links (${links.join(', ')}): unlink them first (linkerd multicluster unlink), then uninstall`,
      { reason: 'LINKS_EXIST', links },
    );
}

/** What a viz install or upgrade warns about: default inbound policies that block the scrapes. */
export function extensionWarnings(
  report: HealthReport | null,
  extension: LinkerdExtension,
  o: { prometheusUrl: string | null; allowScrapesNamespaces: readonly string[] },
): ScrapeWarning[] {
  return extension === 'viz' ? scrapePolicyWarnings(report?.adoption ?? null, o) : [];
}
