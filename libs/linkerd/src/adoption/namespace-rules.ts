// Which namespaces mesh adoption may touch. One rule for the plan and the mesh/unmesh mutations:
// system namespaces (the injector's own namespaceSelector leaves kube-system out, and meshing the
// others breaks the cluster's plumbing) and Linkerd's namespaces (the control plane is meshed by
// its install, extensions by theirs) are refused, and so is a namespace the last report does not list.
import type { AdoptionFacts } from '@meshfleet/agent-protocol';
import { SYSTEM_NAMESPACES } from '../constants';

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
