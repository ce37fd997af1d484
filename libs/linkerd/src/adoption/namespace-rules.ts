// Which namespaces mesh adoption may touch. One rule for the plan and the mesh/unmesh mutations:
// system namespaces (the injector's own namespaceSelector leaves kube-system out, and meshing the
// others breaks the cluster's plumbing) and Linkerd's namespaces (the control plane is meshed by
// its install, extensions by theirs) are refused, and so is a namespace the last report does not list.
import type { AdoptionFacts } from '@meshfleet/agent-protocol';
import { DEFAULT_CONTROL_PLANE_NAMESPACE, SYSTEM_NAMESPACES } from '../constants';

export type NamespaceRefusalCode = 'SYSTEM_NAMESPACE' | 'LINKERD_NAMESPACE' | 'UNKNOWN_NAMESPACE';

export interface NamespaceRefusal {
  namespace: string;
  code: NamespaceRefusalCode;
  message: string;
}

/**
 * Why `namespace` may not be meshed or unmeshed, or null when it may. `facts` is the last report's
 * adoption facts (its namespace list and Linkerd's namespaces); `controlPlaneNamespace` is refused
 * even when the report does not label it.
 */
export function meshNamespaceRefusal(
  namespace: string,
  facts: Pick<AdoptionFacts, 'linkerdNamespaces' | 'namespaces' | 'namespacesTruncated'>,
  controlPlaneNamespace: string,
): NamespaceRefusal | null {
  if ((SYSTEM_NAMESPACES as readonly string[]).includes(namespace))
    return {
      namespace,
      code: 'SYSTEM_NAMESPACE',
      message: `${namespace} is a Kubernetes system namespace; its workloads are never meshed`,
    };
  if (namespace === controlPlaneNamespace || facts.linkerdNamespaces.includes(namespace))
    return {
      namespace,
      code: 'LINKERD_NAMESPACE',
      message: `${namespace} belongs to Linkerd (control plane or extension); its install meshes it`,
    };
  if (!facts.namespaces.some((n) => n.name === namespace))
    return {
      namespace,
      code: 'UNKNOWN_NAMESPACE',
      message: facts.namespacesTruncated
        ? `${namespace} is not in the last report (the report lists only part of the namespaces)`
        : `${namespace} is not in the last report: no such namespace in the cluster`,
    };
  return null;
}

// The mutations' form of the same rule, from the report's mTLS namespaces (agents without adoption
// facts still answer): the reason codes the mesh/unmesh mutations return.

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
