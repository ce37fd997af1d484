// Whether a namespace's default inbound policy lets Prometheus scrape its proxies (the admin
// port's /metrics), from the report's adoption facts. viz's bundled Prometheus is meshed: its
// scrapes are mTLS from the `prometheus` ServiceAccount, so only `deny` stops them (the
// authenticated and cluster policies admit a meshed client of the cluster). An external
// Prometheus is usually not meshed: `all-authenticated` and `cluster-authenticated` stop it too,
// and the allow-scrapes policies (which admit viz's ServiceAccount only) do not help it.
import type { AdoptionFacts } from '@meshfleet/agent-protocol';

/** Linkerd's default when linkerd-config does not say (charts/linkerd-control-plane/values.yaml). */
export const LINKERD_DEFAULT_INBOUND_POLICY = 'all-unauthenticated';

export interface ScrapeWarning {
  code: 'ALLOW_SCRAPES_APPLIED' | 'SCRAPES_BLOCKED' | 'EXTERNAL_PROMETHEUS_BLOCKED';
  message: string;
  namespaces: string[];
}

const blocks = (policy: string, external: boolean): boolean =>
  policy === 'deny' || (external && (policy === 'all-authenticated' || policy === 'cluster-authenticated'));

/** Application namespaces with meshed workloads (or injection on) and the policy their proxies start with. */
export function namespaceInboundPolicies(
  facts: Pick<AdoptionFacts, 'defaultInboundPolicy' | 'namespaces'>,
): Array<{ namespace: string; policy: string; fromNamespace: boolean }> {
  const fallback = facts.defaultInboundPolicy ?? LINKERD_DEFAULT_INBOUND_POLICY;
  return facts.namespaces
    .filter((n) => n.inject === 'enabled' || n.workloads.some((w) => w.meshedPods > 0))
    .map((n) => ({
      namespace: n.name,
      policy: n.inboundPolicy ?? fallback,
      fromNamespace: n.inboundPolicy !== null && n.inboundPolicy !== undefined,
    }));
}

/**
 * The warnings of a viz install or upgrade: namespaces whose default inbound policy blocks the
 * scrapes, split into those the operation gives allow-scrapes and those it does not. Empty when
 * nothing blocks (or the report has no adoption facts).
 */
export function scrapePolicyWarnings(
  facts: Pick<AdoptionFacts, 'defaultInboundPolicy' | 'namespaces'> | null,
  o: { prometheusUrl: string | null; allowScrapesNamespaces: readonly string[] },
): ScrapeWarning[] {
  if (!facts) return [];
  const external = o.prometheusUrl !== null;
  const blocked = namespaceInboundPolicies(facts).filter((n) => blocks(n.policy, external));
  if (blocked.length === 0) return [];
  const describe = (list: typeof blocked) =>
    list
      .map((n) => `${n.namespace} (${n.policy}${n.fromNamespace ? '' : ', the cluster default'})`)
      .join(', ');
  if (external)
    return [
      {
        code: 'EXTERNAL_PROMETHEUS_BLOCKED',
        message:
          `the default inbound policy of ${describe(blocked)} blocks scrapes from a Prometheus outside the mesh: ` +
          `authorize ${o.prometheusUrl}'s clients on the proxies' admin port (Server on linkerd-admin, ` +
          "AuthorizationPolicy); the allow-scrapes policies admit only viz's own Prometheus",
        namespaces: blocked.map((n) => n.namespace),
      },
    ];
  const given = new Set(o.allowScrapesNamespaces);
  const covered = blocked.filter((n) => given.has(n.namespace));
  const missing = blocked.filter((n) => !given.has(n.namespace));
  const out: ScrapeWarning[] = [];
  if (covered.length)
    out.push({
      code: 'ALLOW_SCRAPES_APPLIED',
      message: `the default inbound policy of ${describe(covered)} blocks Prometheus scrapes: the allow-scrapes policies will be applied there`,
      namespaces: covered.map((n) => n.namespace),
    });
  if (missing.length)
    out.push({
      code: 'SCRAPES_BLOCKED',
      message:
        `the default inbound policy of ${describe(missing)} blocks Prometheus scrapes: viz shows no metrics ` +
        'for them without the allow-scrapes policies (add them to allowScrapesNamespaces; ones an earlier ' +
        'install applied are kept)',
      namespaces: missing.map((n) => n.namespace),
    });
  return out;
}
