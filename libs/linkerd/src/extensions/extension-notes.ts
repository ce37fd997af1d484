// What Meshfleet says about an extension it finds: whether it manages it, and for jaeger (deprecated
// in Linkerd 2.19, no longer in current CLIs) the migration to the proxy's own OTLP tracing.
import type { InstalledExtension } from '@meshfleet/agent-protocol';
import { isLinkerdExtension } from '../catalog/extensions/extension.types';

/** Reports stored before prometheusUrl and links lack them. */
export type StoredExtension = Pick<InstalledExtension, 'name' | 'namespace' | 'version'> &
  Partial<Pick<InstalledExtension, 'prometheusUrl' | 'links'>>;

export interface ExtensionStatus extends InstalledExtension {
  /** viz and multicluster: installed, upgraded and removed as operations. */
  managed: boolean;
  note: string | null;
}

export const JAEGER_MIGRATION =
  'linkerd-jaeger is deprecated since Linkerd 2.19 and receives no updates: Meshfleet does not manage it. ' +
  "Migrate to the proxy's OTLP tracing: set proxy.tracing.enabled, proxy.tracing.collector.endpoint (OTLP, :4317) " +
  'and proxy.tracing.collector.meshIdentity (the collector must be meshed), restart the meshed pods, then delete ' +
  'the linkerd-jaeger namespace';

export function extensionStatus(e: StoredExtension): ExtensionStatus {
  const managed = isLinkerdExtension(e.name);
  const note =
    e.name === 'jaeger'
      ? JAEGER_MIGRATION
      : managed
        ? null
        : `a third-party extension: Meshfleet reports it but does not manage it`;
  return { ...e, prometheusUrl: e.prometheusUrl ?? null, links: e.links ?? null, managed, note };
}
