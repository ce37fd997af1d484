// Which namespaces mesh adoption may touch: one rule, one set of codes, for the plan, the
// mesh/unmesh mutations and the fleet-wide rollout plan. System namespaces are refused (the
// injector's own namespaceSelector leaves kube-system out, and meshing the others breaks the
// cluster's plumbing), and so are Linkerd's (the control plane is meshed by its install,
// extensions by theirs) and a namespace the last report does not list.
import type { HealthReport } from '@meshfleet/agent-protocol';
import { DEFAULT_CONTROL_PLANE_NAMESPACE, SYSTEM_NAMESPACES } from '../constants';

export type NamespaceRefusalCode =
  'SYSTEM_NAMESPACE' | 'CONTROL_PLANE_NAMESPACE' | 'EXTENSION_NAMESPACE' | 'UNKNOWN_NAMESPACE';

export interface NamespaceRefusal {
  namespace: string;
  code: NamespaceRefusalCode;
  message: string;
}

/**
 * Namespaces the Linkerd extensions install into by default. mTLS namespaces leave extension
 * namespaces out (they carry `linkerd.io/extension`, which the agent filters on), so without
 * adoption facts a report cannot tell an extension namespace from a missing one; the default
 * names give the clearer refusal for the common case.
 */
export const DEFAULT_EXTENSION_NAMESPACES = [
  'linkerd-viz',
  'linkerd-jaeger',
  'linkerd-multicluster',
  'linkerd-smi',
  'linkerd-failover',
] as const;

/** What the rule needs to know about a cluster's namespaces. */
export interface AdoptionNamespaceFacts {
  /** The control plane's namespace (report.linkerd.controlPlaneNamespace); `linkerd` when unset. */
  controlPlaneNamespace?: string | null;
  /** Namespaces labelled as Linkerd's (adoption facts); unknown from older agents. */
  linkerdNamespaces?: readonly string[];
  /** Application namespaces the cluster has. */
  knownNamespaces: readonly string[];
  /** The report listed only some namespaces: an absent name may still exist. */
  namespacesTruncated?: boolean;
}

export interface NamespaceRuleOptions {
  /**
   * Refuse a namespace the report does not list even when the list was truncated. The plan needs
   * the namespace's facts; a mutation may go ahead (the agent finds the namespace itself).
   */
  mustBeListed?: boolean;
}

/** The rule's input from a report: its adoption facts when the agent sends them, else its mTLS namespaces. */
export function adoptionNamespaceFacts(
  report: Pick<HealthReport, 'linkerd' | 'mtls'> & { adoption?: HealthReport['adoption'] },
): AdoptionNamespaceFacts {
  const controlPlaneNamespace = report.linkerd.controlPlaneNamespace ?? DEFAULT_CONTROL_PLANE_NAMESPACE;
  const a = report.adoption;
  if (a)
    return {
      controlPlaneNamespace,
      linkerdNamespaces: a.linkerdNamespaces,
      knownNamespaces: a.namespaces.map((n) => n.name),
      namespacesTruncated: a.namespacesTruncated,
    };
  return {
    controlPlaneNamespace,
    knownNamespaces: report.mtls.namespaces.map((n) => n.name),
    namespacesTruncated: report.mtls.namespacesTruncated,
  };
}

function refusal(namespace: string, code: NamespaceRefusalCode, truncated = false): NamespaceRefusal {
  const message = {
    SYSTEM_NAMESPACE: `${namespace} is a Kubernetes system namespace; its workloads are never meshed`,
    CONTROL_PLANE_NAMESPACE: `${namespace} is the Linkerd control-plane namespace; its install meshes it`,
    EXTENSION_NAMESPACE: `${namespace} is a Linkerd extension namespace; extensions manage their own injection`,
    UNKNOWN_NAMESPACE: truncated
      ? `${namespace} is not in the latest report (it lists only part of the namespaces)`
      : `${namespace} is not in the latest report: the cluster has no such application namespace`,
  }[code];
  return { namespace, code, message };
}

/** Why `namespace` may not be meshed or unmeshed by adoption, or null when it may. */
export function namespaceRefusal(
  namespace: string,
  facts: AdoptionNamespaceFacts,
  options: NamespaceRuleOptions = {},
): NamespaceRefusal | null {
  if ((SYSTEM_NAMESPACES as readonly string[]).includes(namespace))
    return refusal(namespace, 'SYSTEM_NAMESPACE');
  if (namespace === (facts.controlPlaneNamespace || DEFAULT_CONTROL_PLANE_NAMESPACE))
    return refusal(namespace, 'CONTROL_PLANE_NAMESPACE');
  if (facts.linkerdNamespaces?.includes(namespace)) return refusal(namespace, 'EXTENSION_NAMESPACE');
  if (facts.knownNamespaces.includes(namespace)) return null;
  if ((DEFAULT_EXTENSION_NAMESPACES as readonly string[]).includes(namespace))
    return refusal(namespace, 'EXTENSION_NAMESPACE');
  if (facts.namespacesTruncated && !options.mustBeListed) return null;
  return refusal(namespace, 'UNKNOWN_NAMESPACE', facts.namespacesTruncated);
}
