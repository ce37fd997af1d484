// A Git-ready tree for the selected clusters: the files and the warnings a person must read
// before committing them. Pure: the caller gathers the clusters' facts.
import { stringify } from 'yaml';
import { argoApplications, argoApplicationSet } from './argocd';
import { planCluster, type ClusterPlan } from './components';
import { fluxObjects } from './flux';
import type { GitopsCluster } from './gitops-values';

export const GITOPS_FORMATS = ['ARGOCD', 'ARGOCD_APPLICATIONSET', 'FLUX'] as const;
export type GitopsFormat = (typeof GITOPS_FORMATS)[number];

export interface GitopsFile {
  path: string;
  content: string;
}

export interface GitopsTree {
  files: GitopsFile[];
  warnings: string[];
}

function yamlFile(path: string, object: unknown, header: string[]): GitopsFile {
  const comments = header.map((l) => `# ${l}`.trimEnd()).join('\n');
  return { path, content: `${comments}\n${stringify(object, { lineWidth: 0 })}` };
}

function header(plans: ClusterPlan[]): string[] {
  const releases = [...new Set(plans.map((p) => `${p.cluster.version}${p.cluster.ha ? ' (HA)' : ''}`))];
  return [
    `Exported by Meshfleet from ${plans.map((p) => p.cluster.name).join(', ')} — Linkerd ${releases.join(', ')}.`,
    'Issuer material comes from the in-cluster Secret linkerd-identity-issuer (kubernetes.io/tls); no key is in Git.',
  ];
}

function readme(format: GitopsFormat, plans: ClusterPlan[], warnings: string[]): GitopsFile {
  const how: Record<GitopsFormat, string[]> = {
    ARGOCD: [
      'Point one parent Application (app of apps) at `argocd/<cluster>/`; the sync waves apply',
      'linkerd-crds (0), then linkerd-control-plane (1), then extensions (2). `destination.name` is the',
      'cluster name as registered in Argo CD. Argo CD waits on a wave only for healthy children when',
      'Application health is assessed (resource.customizations.health.argoproj.io_Application).',
    ],
    ARGOCD_APPLICATIONSET: [
      'Apply `argocd/linkerd.applicationset.yaml` in the Argo CD namespace. Its RollingSync steps sync',
      'linkerd-crds on every cluster, then linkerd-control-plane, then extensions (the ApplicationSet',
      'progressive-sync feature must be enabled in the applicationset controller).',
    ],
    FLUX: [
      'Reconcile `flux/<cluster>/` with a Flux Kustomization on that cluster. HelmReleases depend on',
      'each other in Linkerd order; drift detection is enabled with Linkerd’s self-mutations ignored.',
    ],
  };
  const lines = [
    '# Linkerd, exported by Meshfleet',
    '',
    ...how[format],
    '',
    'Before syncing, each cluster needs the Secret `linkerd-identity-issuer` (type kubernetes.io/tls,',
    'keys tls.crt, tls.key, ca.crt) in the control-plane namespace, e.g. from a cert-manager Certificate',
    'signed by the trust anchor. Its key never goes to Git. Set the cluster to GITOPS mode in Meshfleet',
    '(setClusterManagementMode) so it stops applying Linkerd.',
    '',
    '| cluster | release | chart version | HA | trust domain |',
    '|---|---|---|---|---|',
    ...plans.map(
      (p) =>
        `| ${p.cluster.name} | ${p.cluster.version} | ${p.source.chartVersion} | ${p.cluster.ha ? 'yes' : 'no'} | ${p.cluster.trustDomain} |`,
    ),
    ...(warnings.length ? ['', '## Warnings', '', ...warnings.map((w) => `- ${w}`)] : []),
    '',
  ];
  return { path: 'README.md', content: lines.join('\n') };
}

export function exportGitopsTree(clusters: GitopsCluster[], format: GitopsFormat): GitopsTree {
  const plans = [...clusters].sort((a, b) => a.name.localeCompare(b.name)).map(planCluster);
  const warnings = plans.flatMap((p) => p.warnings);
  const head = header(plans);
  const files: GitopsFile[] = [];
  if (format === 'ARGOCD_APPLICATIONSET')
    files.push(
      yamlFile(
        'argocd/linkerd.applicationset.yaml',
        argoApplicationSet(plans),
        head.concat(warnings.map((w) => `WARNING ${w}`)),
      ),
    );
  else
    for (const plan of plans) {
      const objects = format === 'ARGOCD' ? argoApplications(plan) : fluxObjects(plan);
      const h = header([plan]).concat(plan.warnings.map((w) => `WARNING ${w}`));
      for (const o of objects) files.push(yamlFile(o.path, o.object, h));
      if (format === 'FLUX')
        files.push(
          yamlFile(
            `flux/${plan.cluster.name}/kustomization.yaml`,
            {
              apiVersion: 'kustomize.config.k8s.io/v1beta1',
              kind: 'Kustomization',
              resources: objects.map((o) => o.path.slice(o.path.lastIndexOf('/') + 1)),
            },
            h,
          ),
        );
    }
  files.push(readme(format, plans, warnings));
  return { files, warnings };
}
