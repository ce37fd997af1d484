// `linkerd check --proxy -n <ns>` from a stored cluster-wide run. The agent runs the checks once
// for the whole cluster (in every report); re-running them per namespace would need the snapshot,
// which only the agent has. So the namespace view is derived, not re-run:
// - categories other than the two `--proxy` ones are the cluster's, unchanged (as in the CLI,
//   where -n only scopes the data-plane checks);
// - a failed `--proxy` check stays failed when its error names an object in the namespace (it
//   carries the namespaces it names) and passes otherwise; its message is the cluster-wide one, so
//   it may list objects of other namespaces too;
// - "data plane proxies are ready" fails as the CLI's does when the report counted no meshed pod
//   in the namespace, and, being fatal, turns the later `--proxy` checks into not-run;
// - "data plane namespace exists" is not shown: a report does not list every namespace;
// - a failed check from an older agent (no namespaces) cannot be narrowed and stays as it is.
import type { Check, CheckCategory, CheckResults, NotRunCheck } from '@meshfleet/agent-protocol';
import { parseLinkerdVersion } from '../version/linkerd-version';

export const PROXY_CATEGORIES: readonly string[] = ['linkerd-identity-data-plane', 'linkerd-data-plane'];
const PROXIES_READY = 'data plane proxies are ready';

function narrowCheck(c: Check, namespace: string): Check {
  if (c.result === 'success' || c.namespaces === undefined || c.namespaces.includes(namespace)) return c;
  return { description: c.description, result: 'success', hintAnchor: c.hintAnchor, fatal: c.fatal };
}

/** As check-context's hintUrl, from the version string a report carries. */
function hintUrlFor(controlPlaneVersion: string | null, anchor: string): string {
  const v = controlPlaneVersion ? parseLinkerdVersion(controlPlaneVersion) : null;
  const base =
    v?.channel === 'stable' ? `https://linkerd.io/2.${v.parts[1]}/checks/` : 'https://linkerd.io/2/checks/';
  return `${base}#${anchor}`;
}

/**
 * `meshedPods`: the namespace's meshed pod count in the same report (undefined when the report
 * did not list the namespace, i.e. it has no running pods).
 */
export function narrowChecksToNamespace(
  results: CheckResults,
  namespace: string,
  meshedPods: number | undefined,
  controlPlaneVersion: string | null,
): CheckResults {
  const categories: CheckCategory[] = [];
  const notRun: NotRunCheck[] = [...(results.notRun ?? [])];
  let stopped = false;
  for (const cat of results.categories) {
    if (!PROXY_CATEGORIES.includes(cat.name)) {
      categories.push(cat);
      continue;
    }
    const checks: Check[] = [];
    for (const c of cat.checks) {
      if (stopped) {
        notRun.push({ category: cat.name, description: c.description, hintAnchor: c.hintAnchor });
        continue;
      }
      if (c.description === PROXIES_READY && !(meshedPods && meshedPods > 0)) {
        const anchor = c.hintAnchor ?? 'l5d-data-plane-ready';
        checks.push({
          description: c.description,
          result: 'error',
          hintAnchor: anchor,
          hint: hintUrlFor(controlPlaneVersion, anchor),
          error: `No "linkerd-proxy" containers found in the "${namespace}" namespace`,
          fatal: true,
          namespaces: [namespace],
        });
        stopped = true;
        continue;
      }
      checks.push(narrowCheck(c, namespace));
    }
    if (checks.length) categories.push({ ...cat, checks });
  }
  const success = categories.every((c) => c.checks.every((x) => x.result !== 'error'));
  return { success, categories, notRun };
}
