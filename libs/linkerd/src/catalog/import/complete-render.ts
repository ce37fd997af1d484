// What real renders leave to someone else, added so the agent can apply the bundle alone:
// `helm template` has no Namespace (helm's --create-namespace makes it, unlabelled).
// Serving Secrets a render mounts but does not hold (`externalSecret: true` webhooks) are not
// added here: the agent finds them in the bundle, keeps what cert-manager (or anyone) already
// made valid, and issues the rest in the cluster — one rule for every bundle, viz included.
// Bundles imported before this still carry such Secrets marked ADDED_ON_IMPORT; the agent drops
// them so they go the same way.
import { ANNOTATION_INJECT, LABEL_CONTROL_PLANE_NS } from '../../constants';
import type { KubeObject } from '../yaml-bundle';

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

/** The bundle with a labelled control-plane Namespace first when it has none. */
export function completeRender(objects: readonly KubeObject[], namespace: string): KubeObject[] {
  const has = objects.some((o) => o.kind === 'Namespace' && o.metadata.name === namespace);
  return has ? [...objects] : [controlPlaneNamespace(namespace), ...objects];
}
