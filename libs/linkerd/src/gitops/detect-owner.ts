// Which GitOps tool owns the Linkerd objects, from the marks those tools leave: Argo CD's
// tracking annotation or instance label, Flux helm-controller's origin labels, and the field
// managers either writes with. Evidence is kept so a person can see why.

export type GitopsTool = 'ARGOCD' | 'FLUX';

export interface OwnedObjectMeta {
  kind: string;
  name: string;
  namespace?: string | null;
  labels?: Record<string, string> | null;
  annotations?: Record<string, string> | null;
  managers?: string[] | null;
}

export interface GitopsOwnership {
  detected: GitopsTool | null;
  evidence: string[];
}

const MAX_EVIDENCE = 10;

function marks(o: OwnedObjectMeta): { tool: GitopsTool; what: string }[] {
  const out: { tool: GitopsTool; what: string }[] = [];
  const a = o.annotations ?? {};
  const l = o.labels ?? {};
  if (a['argocd.argoproj.io/tracking-id'])
    out.push({
      tool: 'ARGOCD',
      what: `annotation argocd.argoproj.io/tracking-id=${a['argocd.argoproj.io/tracking-id']}`,
    });
  // app.kubernetes.io/instance is Argo CD's legacy tracking label, but Helm charts set it too:
  // it counts only next to another Argo CD mark or Argo CD's own field manager.
  const argoManager = (o.managers ?? []).includes('argocd-controller');
  if (argoManager) out.push({ tool: 'ARGOCD', what: 'field manager argocd-controller' });
  if (l['app.kubernetes.io/instance'] && (argoManager || a['argocd.argoproj.io/tracking-id']))
    out.push({ tool: 'ARGOCD', what: `label app.kubernetes.io/instance=${l['app.kubernetes.io/instance']}` });
  if (l['helm.toolkit.fluxcd.io/name'])
    out.push({ tool: 'FLUX', what: `label helm.toolkit.fluxcd.io/name=${l['helm.toolkit.fluxcd.io/name']}` });
  if ((o.managers ?? []).includes('helm-controller'))
    out.push({ tool: 'FLUX', what: 'field manager helm-controller' });
  return out;
}

export function detectGitopsOwner(objects: OwnedObjectMeta[]): GitopsOwnership {
  const counts: Record<GitopsTool, number> = { ARGOCD: 0, FLUX: 0 };
  const evidence: string[] = [];
  for (const o of objects)
    for (const m of marks(o)) {
      counts[m.tool]++;
      if (evidence.length < MAX_EVIDENCE)
        evidence.push(`${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}: ${m.what}`);
    }
  if (counts.ARGOCD === 0 && counts.FLUX === 0) return { detected: null, evidence: [] };
  return { detected: counts.ARGOCD >= counts.FLUX ? 'ARGOCD' : 'FLUX', evidence };
}

/** "Argo CD" / "Flux" for messages; a GITOPS cluster whose tool is unknown reads "a GitOps tool". */
export function gitopsToolLabel(tool: string | null | undefined): string {
  return tool === 'ARGOCD' ? 'Argo CD' : tool === 'FLUX' ? 'Flux' : 'a GitOps tool';
}
