// What real renders leave to someone else, added so the agent can apply the bundle alone:
// - `helm template` has no Namespace (helm's --create-namespace makes it, unlabelled);
// - renders with `externalSecret: true` (the CLI's and chart's default for webhooks managed by
//   cert-manager) mount `linkerd-*-k8s-tls` Secrets the bundle does not hold. Meshfleet's agent
//   issues the webhook certificates and fills the caBundle, so it must own those Secrets too.
import { ANNOTATION_INJECT, LABEL_CONTROL_PLANE_NS, WEBHOOK_CERTS } from '../../constants';
import { placeholder, type PlaceholderName } from '../placeholders';
import { isRecord, type KubeObject } from '../yaml-bundle';
import { WEBHOOK_KEYS } from './redact-identity';
import { pathRecord } from './redact-values';

export const ADDED_ON_IMPORT = 'meshfleet.io/added-on-import';

function controlPlaneNamespace(name: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name,
      labels: {
        'linkerd.io/is-control-plane': 'true',
        // The injector must never mutate the control plane's own pods.
        'config.linkerd.io/admission-webhooks': 'disabled',
        [LABEL_CONTROL_PLANE_NS]: name,
        'pod-security.kubernetes.io/enforce': 'privileged',
      },
      annotations: { [ANNOTATION_INJECT]: 'disabled', [ADDED_ON_IMPORT]: 'true' },
    },
  };
}

function mountedSecrets(o: KubeObject): string[] {
  const spec = pathRecord(o, ['spec', 'template', 'spec']);
  const volumes = spec && Array.isArray(spec['volumes']) ? (spec['volumes'] as unknown[]) : [];
  return volumes.flatMap((v) => {
    const name = isRecord(v) ? pathRecord(v, ['secret'])?.['secretName'] : undefined;
    return typeof name === 'string' ? [name] : [];
  });
}

function servingSecret(name: string, namespace: string, component: string): KubeObject {
  const keys = WEBHOOK_KEYS[component] ?? {};
  const data = Object.fromEntries(
    Object.entries(keys).map(([k, p]) => [k, placeholder(p as PlaceholderName, 'base64')]),
  );
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/tls',
    metadata: {
      name,
      namespace,
      labels: { [LABEL_CONTROL_PLANE_NS]: namespace },
      annotations: { [ADDED_ON_IMPORT]: 'true' },
    },
    data,
  };
}

/** The bundle with a labelled Namespace first and every missing webhook Secret before its Deployment. */
export function completeRender(objects: readonly KubeObject[], namespace: string): KubeObject[] {
  const has = (kind: string, name: string): boolean =>
    objects.some((o) => o.kind === kind && o.metadata.name === name);
  const out: KubeObject[] = has('Namespace', namespace) ? [] : [controlPlaneNamespace(namespace)];
  const added = new Set<string>();
  for (const o of objects) {
    if (o.kind === 'Deployment') {
      for (const secret of mountedSecrets(o)) {
        const webhook = WEBHOOK_CERTS.find((w) => w.secrets[0] === secret);
        if (!webhook || added.has(secret) || has('Secret', secret)) continue;
        added.add(secret);
        out.push(servingSecret(secret, o.metadata.namespace ?? namespace, webhook.component));
      }
    }
    out.push(o);
  }
  return out;
}
