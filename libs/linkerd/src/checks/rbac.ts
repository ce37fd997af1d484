// Existence checks over RBAC objects and ServiceAccounts, listed with the CLI's label selectors.
import { nameOf } from '../cluster/objects';
import { LABEL_CONTROL_PLANE_NS } from '../constants';
import { fail, ok, type CheckOutcome } from './check.types';

const LABEL_CNI_RESOURCE = 'linkerd.io/cni-resource';

type Labelled = { metadata?: { name?: string; labels?: Record<string, string> } };

/** `linkerd.io/control-plane-ns,!linkerd.io/cni-resource` (controlPlaneComponentsSelector). */
export function isControlPlaneResource(o: Labelled): boolean {
  const labels = o.metadata?.labels ?? {};
  return LABEL_CONTROL_PLANE_NS in labels && !(LABEL_CNI_RESOURCE in labels);
}

/** checkResources: every expected name is among the objects, else "missing <Kind>: a, b" (sorted). */
export function missingNames(kind: string, expected: string[], objects: Labelled[]): CheckOutcome {
  const have = new Set(objects.map(nameOf));
  const absent = expected.filter((e) => !have.has(e)).sort();
  return absent.length ? fail(`missing ${kind}: ${absent.join(', ')}`) : ok();
}
