// The CRDs of the GitOps tools a cluster may run, as ordinary CustomResourceDefinitions: apply
// them and the simulator serves the kinds like any CRD. Names, scope and subresources follow the
// real ones: Argo CD's Application has no status subresource (its controller writes status with
// the object), Flux's HelmRelease has one (status only through /status, a create drops it).
// Schemas are open (`x-kubernetes-preserve-unknown-fields`): the simulator does not validate CRs.
import type { KubeObject } from '../store/types';

const openSchema = { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } };

function crd(
  group: string,
  kind: string,
  plural: string,
  shortNames: string[],
  versions: {
    name: string;
    storage: boolean;
    status: boolean;
    columns: { name: string; jsonPath: string }[];
  }[],
  labels: Record<string, string>,
): KubeObject {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}`, labels },
    spec: {
      group,
      scope: 'Namespaced',
      names: { kind, listKind: `${kind}List`, plural, singular: kind.toLowerCase(), shortNames },
      versions: versions.map((v) => ({
        name: v.name,
        served: true,
        storage: v.storage,
        schema: openSchema,
        subresources: v.status ? { status: {} } : {},
        additionalPrinterColumns: v.columns.map((c) => ({ ...c, type: 'string' })),
      })),
    },
  };
}

/** Argo CD's `applications.argoproj.io` (argoproj.io/v1alpha1 Application). */
export function argocdCrds(): KubeObject[] {
  return [
    crd(
      'argoproj.io',
      'Application',
      'applications',
      ['app', 'apps'],
      [
        {
          name: 'v1alpha1',
          storage: true,
          status: false,
          columns: [
            { name: 'Sync Status', jsonPath: '.status.sync.status' },
            { name: 'Health Status', jsonPath: '.status.health.status' },
          ],
        },
      ],
      { 'app.kubernetes.io/name': 'applications.argoproj.io', 'app.kubernetes.io/part-of': 'argocd' },
    ),
  ];
}

/** Flux's `helmreleases.helm.toolkit.fluxcd.io` (helm.toolkit.fluxcd.io/v2 HelmRelease). */
export function fluxCrds(): KubeObject[] {
  return [
    crd(
      'helm.toolkit.fluxcd.io',
      'HelmRelease',
      'helmreleases',
      ['hr'],
      [
        {
          name: 'v2',
          storage: true,
          status: true,
          columns: [
            { name: 'Ready', jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
            { name: 'Status', jsonPath: '.status.conditions[?(@.type=="Ready")].message' },
          ],
        },
      ],
      { 'app.kubernetes.io/part-of': 'flux', 'app.kubernetes.io/component': 'helm-controller' },
    ),
  ];
}
