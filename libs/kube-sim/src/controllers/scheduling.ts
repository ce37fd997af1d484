// The scheduler's filters that a Linkerd install meets: Ready and schedulable nodes, the pod's
// nodeSelector, and required pod anti-affinity (HA control planes spread their replicas over
// hosts with it). Both directions count, as in kube-scheduler: the incoming pod's terms against
// the pods already placed, and the placed pods' terms against the incoming pod.
import { selectorMatches, type LabelSelectorSpec } from '../api/selectors';
import type { KubeObject } from '../store/types';

interface AffinityTerm {
  labelSelector?: LabelSelectorSpec;
  namespaces?: string[];
  namespaceSelector?: LabelSelectorSpec;
  topologyKey: string;
}

interface SchedulingSpec {
  nodeName?: string;
  nodeSelector?: Record<string, string>;
  affinity?: { podAntiAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: AffinityTerm[] } };
}

const specOf = (p: KubeObject): SchedulingSpec => (p['spec'] ?? {}) as SchedulingSpec;
const labelsOf = (o: KubeObject | undefined): Record<string, string> => o?.metadata.labels ?? {};

function requiredAntiAffinity(p: KubeObject): AffinityTerm[] {
  return specOf(p).affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? [];
}

/** Whether `term`, written on a pod in `ownerNs`, selects `target`. */
function termSelects(
  term: AffinityTerm,
  ownerNs: string,
  target: KubeObject,
  namespaces: ReadonlyMap<string, KubeObject>,
): boolean {
  const ns = target.metadata.namespace ?? '';
  let inScope: boolean;
  if (term.namespaceSelector) {
    // An empty namespaceSelector selects every namespace; names listed are added to it.
    const sel = term.namespaceSelector;
    const empty = !sel.matchLabels && !sel.matchExpressions;
    inScope =
      empty || selectorMatches(sel, labelsOf(namespaces.get(ns))) || (term.namespaces ?? []).includes(ns);
  } else {
    inScope = (term.namespaces?.length ? term.namespaces : [ownerNs]).includes(ns);
  }
  // A term without a labelSelector matches no pod.
  return inScope && selectorMatches(term.labelSelector, labelsOf(target));
}

function sameDomain(key: string, a: KubeObject, b: KubeObject | undefined): boolean {
  const v = labelsOf(a)[key];
  return v !== undefined && b !== undefined && labelsOf(b)[key] === v;
}

export interface PlacementInput {
  pod: KubeObject;
  nodes: readonly KubeObject[];
  /** Every pod bound to a node, by node name. */
  placed: readonly KubeObject[];
  namespaces: ReadonlyMap<string, KubeObject>;
  nodeUsable(node: KubeObject): boolean;
}

export type Placement = { node: string } | { node: null; message: string };

/** Feasible nodes for `pod`, least loaded first; or the scheduler's FailedScheduling message. */
export function place(input: PlacementInput): Placement {
  const { pod, nodes, placed, namespaces } = input;
  const podNs = pod.metadata.namespace ?? '';
  const byName = new Map(nodes.map((n) => [n.metadata.name ?? '', n]));
  const reasons = new Map<string, number>();
  const refuse = (why: string) => reasons.set(why, (reasons.get(why) ?? 0) + 1);
  const load = new Map<string, number>();
  for (const p of placed) {
    const n = specOf(p).nodeName ?? '';
    load.set(n, (load.get(n) ?? 0) + 1);
  }
  const feasible: KubeObject[] = [];
  for (const node of nodes) {
    if (!input.nodeUsable(node)) {
      refuse('node(s) were unschedulable or not ready');
      continue;
    }
    const selector = specOf(pod).nodeSelector ?? {};
    if (Object.entries(selector).some(([k, v]) => labelsOf(node)[k] !== v)) {
      refuse("node(s) didn't match Pod's node affinity/selector");
      continue;
    }
    const conflict = placed.some((other) => {
      if (other.metadata.uid === pod.metadata.uid) return false;
      const otherNode = byName.get(specOf(other).nodeName ?? '');
      const mine = requiredAntiAffinity(pod).some(
        (t) => termSelects(t, podNs, other, namespaces) && sameDomain(t.topologyKey, node, otherNode),
      );
      const theirs = requiredAntiAffinity(other).some(
        (t) =>
          termSelects(t, other.metadata.namespace ?? '', pod, namespaces) &&
          sameDomain(t.topologyKey, node, otherNode),
      );
      return mine || theirs;
    });
    if (conflict) {
      refuse("node(s) didn't match pod anti-affinity rules");
      continue;
    }
    feasible.push(node);
  }
  if (feasible.length > 0) {
    feasible.sort((a, b) => (load.get(a.metadata.name ?? '') ?? 0) - (load.get(b.metadata.name ?? '') ?? 0));
    return { node: feasible[0]!.metadata.name ?? '' };
  }
  const detail = [...reasons].map(([why, n]) => `${n} ${why}`).join(', ');
  return {
    node: null,
    message: `0/${nodes.length} nodes are available${detail ? `: ${detail}` : ''}. preemption: 0/${nodes.length} nodes are available: ${nodes.length} Preemption is not helpful for scheduling.`,
  };
}
