// Mesh adoption's precheck: what must hold before anything is written (defence in depth: the API
// refuses the same namespaces).
import type { V1Namespace } from '@kubernetes/client-node';
import type { MeshNamespacesParams } from '@meshfleet/agent-protocol';
import { refOf, type Workload } from './data-plane';
import type { LifecycleContext } from './lifecycle-context';

/** Never meshed by Meshfleet: Kubernetes' own namespaces (the injector skips kube-system too). */
const SYSTEM_NAMESPACES = new Set(['kube-system', 'kube-public', 'kube-node-lease']);
const INJECTOR = 'linkerd-proxy-injector';
const INJECTOR_WEBHOOK = 'linkerd-proxy-injector-webhook-config';

export async function precheckProblems(
  ctx: LifecycleContext,
  p: MeshNamespacesParams,
  mesh: boolean,
): Promise<string[]> {
  const problems: string[] = [];
  const cp = p.controlPlaneNamespace;
  if (mesh) {
    const injector = await ctx.kube.get<Workload>({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      namespace: cp,
      name: INJECTOR,
    });
    const webhook = await ctx.kube.get({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      name: INJECTOR_WEBHOOK,
    });
    const available =
      (injector?.status as { availableReplicas?: number } | undefined)?.availableReplicas ?? 0;
    // With the injector down and failurePolicy Ignore, restarted pods would start unmeshed
    // silently; with Fail they would not start at all. Either way: not now.
    if (!injector || available < 1) problems.push(`the proxy injector (${cp}/${INJECTOR}) is not available`);
    if (!webhook) problems.push(`the proxy injector webhook ${INJECTOR_WEBHOOK} is missing`);
  }
  const listed = new Set(p.namespaces);
  for (const ns of [...listed].sort()) {
    const why = refusedNamespace(ns, cp);
    if (why) {
      problems.push(`namespace ${ns} is refused: ${why}`);
      continue;
    }
    const obj = await ctx.kube.get<V1Namespace>({ apiVersion: 'v1', kind: 'Namespace', name: ns });
    if (!obj) problems.push(`namespace ${ns} does not exist`);
    else if (obj.metadata?.deletionTimestamp) problems.push(`namespace ${ns} is terminating`);
    else {
      const labels = obj.metadata?.labels ?? {};
      if (labels['linkerd.io/is-control-plane'] === 'true' || labels['linkerd.io/extension'])
        problems.push(`namespace ${ns} is refused: it belongs to Linkerd's control plane or an extension`);
    }
  }
  for (const w of p.workloads) {
    if (!listed.has(w.namespace)) {
      problems.push(`${w.kind}/${w.namespace}/${w.name}: its namespace is not among the task's namespaces`);
      continue;
    }
    if (refusedNamespace(w.namespace, cp)) continue;
    const o = await ctx.kube.get<Workload>(refOf({ kind: w.kind, namespace: w.namespace, name: w.name }));
    if (!o) problems.push(`${w.kind}/${w.namespace}/${w.name} does not exist`);
  }
  return problems;
}

export function refusedNamespace(ns: string, cp: string): string | null {
  if (ns === cp) return "it is Linkerd's control-plane namespace";
  if (SYSTEM_NAMESPACES.has(ns)) return "it is one of Kubernetes' system namespaces";
  return null;
}
