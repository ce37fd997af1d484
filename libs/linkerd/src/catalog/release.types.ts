// Shapes shared by the simulated catalog, operator imports and the upgrade-path policy.
import type { LinkerdChannel } from '../version/linkerd-version';

export type ReleaseVariant = 'default' | 'ha';

/** Kubernetes minors a release supports, as "1.31"; max null when nobody published one. */
export interface KubernetesRange {
  kubernetesMin: string;
  kubernetesMax: string | null;
}

export interface CatalogRelease extends KubernetesRange {
  version: string;
  /** Linkerd 2.X major as X. */
  major: number;
  channel: LinkerdChannel;
  simulated: boolean;
}

export interface InventoryItem {
  apiVersion: string;
  kind: string;
  /** null for cluster-scoped objects (and namespaced ones the bundle leaves to the applier). */
  namespace: string | null;
  name: string;
}

export interface ReleaseBundle {
  yaml: string;
  /** sha256 hex of `yaml` (already normalized). */
  digest: string;
  inventory: InventoryItem[];
}

/** What the catalog stores per release and variant. */
export interface ReleaseBundles {
  release: CatalogRelease;
  variant: ReleaseVariant;
  /** `linkerdVersion` from the bundle's linkerd-config. */
  linkerdVersion: string;
  crds: ReleaseBundle;
  controlPlane: ReleaseBundle;
  /** Placeholder names the applier must supply (see IDENTITY_PLACEHOLDERS). */
  placeholders: string[];
}
