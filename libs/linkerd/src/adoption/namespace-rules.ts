// Which namespaces mesh adoption may touch. Pure: the API decides from the cluster's latest report.
import { DEFAULT_CONTROL_PLANE_NAMESPACE, SYSTEM_NAMESPACES } from '../constants';

/**
 * Namespaces the Linkerd extensions install into by default. Health reports leave extension
 * namespaces out (they carry `linkerd.io/extension`, which the agent filters on), so a report
 * alone cannot tell an extension namespace from a missing one; the default names give the clearer
 * refusal for the common case.
 */
export const DEFAULT_EXTENSION_NAMESPACES = [
  'linkerd-viz',
  'linkerd-jaeger',
  'linkerd-multicluster',
  'linkerd-smi',
  'linkerd-failover',
] as const;

export interface AdoptionNamespaceFacts {
  /** The control plane's namespace (report.linkerd.controlPlaneNamespace). */
  controlPlaneNamespace?: string | null;
  /** Namespaces whose labels say they belong to a Linkerd extension, when known. */
  extensionNamespaces?: readonly string[];
  /** Application namespaces the cluster has (the report's mTLS namespaces). */
  knownNamespaces: readonly string[];
  /** The report listed only some namespaces: an absent name may still exist. */
  namespacesTruncated?: boolean;
}

export type RefusedNamespaceReason =
  'SYSTEM_NAMESPACE' | 'CONTROL_PLANE_NAMESPACE' | 'EXTENSION_NAMESPACE' | 'UNKNOWN_NAMESPACE';

/** Why a namespace may not be meshed or unmeshed by adoption, or null when it may. */
export function refusedAdoptionNamespace(
  name: string,
  facts: AdoptionNamespaceFacts,
): RefusedNamespaceReason | null {
  if ((SYSTEM_NAMESPACES as readonly string[]).includes(name)) return 'SYSTEM_NAMESPACE';
  if (name === (facts.controlPlaneNamespace || DEFAULT_CONTROL_PLANE_NAMESPACE))
    return 'CONTROL_PLANE_NAMESPACE';
  if (facts.extensionNamespaces?.includes(name)) return 'EXTENSION_NAMESPACE';
  if (facts.knownNamespaces.includes(name)) return null;
  if ((DEFAULT_EXTENSION_NAMESPACES as readonly string[]).includes(name)) return 'EXTENSION_NAMESPACE';
  return facts.namespacesTruncated ? null : 'UNKNOWN_NAMESPACE';
}
