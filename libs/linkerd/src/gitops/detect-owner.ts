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
  // Argo CD's tracking label when configured with its own key (the documented custom key).
  if (l['argocd.argoproj.io/instance'])
    out.push({
      tool: 'ARGOCD',
      what: `label argocd.argoproj.io/instance=${l['argocd.argoproj.io/instance']}`,
    });
  // app.kubernetes.io/instance is Argo CD's legacy tracking label, but Helm charts set it too:
  // it counts only next to another Argo CD mark or Argo CD's own field manager.
  const argoManager = (o.managers ?? []).includes('argocd-controller');
  if (argoManager) out.push({ tool: 'ARGOCD', what: 'field manager argocd-controller' });
  if (
    l['app.kubernetes.io/instance'] &&
    (argoManager || a['argocd.argoproj.io/tracking-id'] || l['argocd.argoproj.io/instance'])
  )
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

export { gitopsToolLabel } from '@meshfleet/agent-protocol';

/** A Kubernetes object as far as its GitOps marks go. */
export interface MarkedObject {
  metadata?: {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    managedFields?: { manager?: string }[];
  };
}

/** The Linkerd objects of an agent's snapshot that carry a GitOps tool's marks. */
export interface LinkerdMarkedObjects {
  deployments: MarkedObject[];
  configMaps: MarkedObject[];
  mutatingWebhooks: MarkedObject[];
  validatingWebhooks: MarkedObject[];
  crds: MarkedObject[];
}

type Meta = MarkedObject;

const EVIDENCE_MAX_CHARS = 256;

/**
 * Ownership from the Linkerd objects an agent's snapshot holds: the control plane's Deployments
 * and ConfigMaps, Linkerd's webhook configurations and CRDs.
 */
export function gitopsOwnerOfLinkerd(
  snapshot: LinkerdMarkedObjects,
  controlPlaneNamespace: string,
): GitopsOwnership {
  const of = (kind: string, items: Meta[], keep: (m: NonNullable<Meta['metadata']>) => boolean) =>
    items
      .map((o) => o.metadata ?? {})
      .filter(keep)
      .map((m): OwnedObjectMeta => ({
        kind,
        name: m.name ?? '',
        namespace: m.namespace ?? null,
        labels: m.labels ?? null,
        annotations: m.annotations ?? null,
        managers: (m.managedFields ?? []).map((f) => f.manager ?? '').filter(Boolean),
      }));
  const inCp = (m: { namespace?: string }) => m.namespace === controlPlaneNamespace;
  const linkerdNamed = (m: { name?: string }) => (m.name ?? '').startsWith('linkerd-');
  const r = detectGitopsOwner([
    ...of('Deployment', snapshot.deployments, inCp),
    ...of('ConfigMap', snapshot.configMaps, (m) => inCp(m) && linkerdNamed(m)),
    ...of('MutatingWebhookConfiguration', snapshot.mutatingWebhooks, linkerdNamed),
    ...of('ValidatingWebhookConfiguration', snapshot.validatingWebhooks, linkerdNamed),
    ...of('CustomResourceDefinition', snapshot.crds, (m) => /\.linkerd\.io$/.test(m.name ?? '')),
  ]);
  return { ...r, evidence: r.evidence.map((e) => e.slice(0, EVIDENCE_MAX_CHARS)) };
}
