// Operator imports of `linkerd viz install` / `linkerd multicluster install` output (or their
// helm renders): checked to be that extension of that release, serving certificates dropped
// (the agent issues tap's and the tap injector's in the cluster, as for the core's webhooks),
// and stored in canonical form. Refusals list every reason and never quote key material.
import { LABEL_EXTENSION } from '../../constants';
import { ReleaseImportError } from '../catalog.errors';
import { ADDED_ON_IMPORT } from '../import/complete-render';
import { leftoverKeyMaterial } from '../import/leftover-material';
import { incompleteObjects } from '../import/object-shape';
import { parseLinkerdVersion } from '../../version/linkerd-version';
import { isRecord, kubeObjectProblem, parseBundleDocuments, type KubeObject } from '../yaml-bundle';
import { isLinkerdExtension, type ExtensionBundle, type LinkerdExtension } from './extension.types';
import { extensionBundleOf } from './simulated-extensions';

export interface ImportExtensionInput {
  extension: string;
  /** The core release the render came with (`linkerd version --client` of the CLI used). */
  version: string;
  yaml: string;
}

const SERVER_FIELDS = [
  'creationTimestamp',
  'resourceVersion',
  'uid',
  'generation',
  'managedFields',
  'selfLink',
];
const CREATED_BY = 'linkerd.io/created-by';
/** viz's web reads linkerd-config through a Role and RoleBinding in the control plane's namespace. */
const RBAC_IN_CONTROL_PLANE = new Set(['Role', 'RoleBinding']);

/** What each extension must hold for the agent and the checks to work with it. */
const REQUIRED: Record<LinkerdExtension, Array<[string, string]>> = {
  viz: [
    ['Deployment', 'metrics-api'],
    ['Deployment', 'tap'],
    ['Deployment', 'tap-injector'],
    ['APIService', 'v1alpha1.tap.linkerd.io'],
    ['MutatingWebhookConfiguration', 'linkerd-tap-injector-webhook-config'],
  ],
  multicluster: [['CustomResourceDefinition', 'links.multicluster.linkerd.io']],
};

const describe = (o: KubeObject): string =>
  `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;

function strip(o: KubeObject): KubeObject {
  const { status: _status, ...rest } = o;
  const metadata = Object.fromEntries(Object.entries(o.metadata).filter(([k]) => !SERVER_FIELDS.includes(k)));
  return { ...rest, metadata } as KubeObject;
}

/** Every created-by in the object and its pod template names this version (the CLI's or helm's). */
function createdByOther(o: KubeObject, version: string): string[] {
  const found: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (isRecord(v)) {
      for (const [k, x] of Object.entries(v)) {
        if (k === CREATED_BY && typeof x === 'string' && x.split(' ').pop() !== version) found.push(x);
        else walk(x);
      }
    }
  };
  walk(o);
  return [...new Set(found)];
}

// The extension's namespace: its Namespace object's, else (helm) the one its objects are in.
function extensionNamespace(objects: readonly KubeObject[], extension: string): string | null {
  const ns = objects.find((o) => o.kind === 'Namespace');
  if (ns) return ns.metadata.name;
  const counts = new Map<string, number>();
  for (const o of objects) {
    const n = o.metadata.namespace;
    if (n && n !== 'kube-system') counts.set(n, (counts.get(n) ?? 0) + 1);
  }
  const [best] = [...counts.entries()].sort((a, b) => b[1] - a[1]);
  return best?.[0] ?? (extension === 'viz' ? 'linkerd-viz' : null);
}

function addedNamespace(name: string, extension: LinkerdExtension): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name,
      labels: { [LABEL_EXTENSION]: extension, 'pod-security.kubernetes.io/enforce': 'privileged' },
      annotations: { [ADDED_ON_IMPORT]: 'true' },
    },
  };
}

/** Secrets the bundle's Deployments mount as `kubernetes.io/tls`: the agent's to issue. */
function servingSecretNames(objects: readonly KubeObject[]): Set<string> {
  const names = new Set<string>();
  for (const o of objects) {
    if (o.kind !== 'Deployment') continue;
    const spec = (
      o['spec'] as { template?: { spec?: { volumes?: Array<{ secret?: { secretName?: string } }> } } }
    )?.template?.spec;
    for (const v of spec?.volumes ?? [])
      if (v.secret?.secretName) names.add(`${o.metadata.namespace}/${v.secret.secretName}`);
  }
  return names;
}

function withoutServingMaterial(objects: readonly KubeObject[]): KubeObject[] {
  const serving = servingSecretNames(objects);
  return objects
    .filter(
      (o) =>
        !(
          o.kind === 'Secret' &&
          o['type'] === 'kubernetes.io/tls' &&
          serving.has(`${o.metadata.namespace}/${o.metadata.name}`)
        ),
    )
    .map((o) => {
      if (o.kind === 'APIService' && isRecord(o['spec'])) {
        const { caBundle: _ca, ...spec } = o['spec'];
        return { ...o, spec };
      }
      if (o.kind === 'MutatingWebhookConfiguration' || o.kind === 'ValidatingWebhookConfiguration') {
        const hooks = Array.isArray(o['webhooks']) ? (o['webhooks'] as Array<Record<string, unknown>>) : [];
        return {
          ...o,
          webhooks: hooks.map((h) => {
            if (!isRecord(h['clientConfig'])) return h;
            const { caBundle: _ca, ...clientConfig } = h['clientConfig'];
            return { ...h, clientConfig };
          }),
        };
      }
      return o;
    });
}

/** Throws ReleaseImportError with every reason when the render is not that extension of that release. */
export function importExtensionRender(input: ImportExtensionInput): ExtensionBundle {
  const reasons: string[] = [];
  const version = parseLinkerdVersion(input.version);
  if (!version || version.major === null) {
    reasons.push(`"${input.version}" is not a Linkerd release name (edge-YY.M.N, enterprise-2.X.Y, …)`);
  }
  const extension = input.extension.trim();
  if (!isLinkerdExtension(extension)) {
    reasons.push(`"${input.extension}" is not an extension Meshfleet manages (viz, multicluster)`);
  }
  const { objects: docs, errors } = parseBundleDocuments(input.yaml);
  reasons.push(...errors.map((e) => `the ${extension} bundle: ${e}`));
  const objects: KubeObject[] = [];
  docs.forEach((o, i) => {
    const problem = kubeObjectProblem(o);
    if (problem)
      reasons.push(`the ${extension} bundle: object ${i + 1} is not a Kubernetes object (${problem})`);
    else objects.push(strip(o as KubeObject));
  });
  if (docs.length === 0 && errors.length === 0) reasons.push(`the ${extension} bundle is empty`);
  if (reasons.length || !isLinkerdExtension(extension) || !version) throw new ReleaseImportError(reasons);

  const label = `the ${extension} bundle`;
  const raw = version.raw;
  for (const o of objects) {
    if (o.metadata.labels?.[LABEL_EXTENSION] !== extension)
      reasons.push(`${label}: ${describe(o)} is not labelled ${LABEL_EXTENSION}=${extension}`);
    if (
      (o.metadata.namespace === 'linkerd' && !RBAC_IN_CONTROL_PLANE.has(o.kind)) ||
      (o.kind === 'Namespace' && o.metadata.name === 'linkerd')
    )
      reasons.push(
        `${label}: ${describe(o)} is in the control plane's namespace; extensions live in their own`,
      );
    const other = createdByOther(o, raw);
    if (other.length) reasons.push(`${label}: ${describe(o)} was created by ${other.join(', ')}, not ${raw}`);
  }
  for (const [kind, name] of REQUIRED[extension]) {
    if (!objects.some((o) => o.kind === kind && o.metadata.name === name))
      reasons.push(`${label}: no ${kind} ${name}; is this \`linkerd ${extension} install\` output?`);
  }
  reasons.push(...incompleteObjects(objects, label));
  const namespace = extensionNamespace(objects, extension);
  if (!namespace) reasons.push(`${label}: no Namespace and no namespaced object to place it in`);
  if (reasons.length || !namespace) throw new ReleaseImportError(reasons);

  let out = withoutServingMaterial(objects);
  if (!out.some((o) => o.kind === 'Namespace')) out = [addedNamespace(namespace, extension), ...out];
  reasons.push(...leftoverKeyMaterial(out, label));
  if (reasons.length) throw new ReleaseImportError(reasons);
  return extensionBundleOf(extension, raw, namespace, out);
}
