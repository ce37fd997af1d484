// The proxy injector's own count of the admissions it skipped: `proxy_inject_admission_responses_total`
// with skip="true", labelled by owner kind, namespace and skip_reason (the injector's admin port
// 9995). Counters run from the injector replica's start, so a batch compares two scrapes.
import { parsePrometheusText } from '../metrics/prometheus-text';

export const INJECTOR_ADMIN_PORT = 9995;
const RESPONSES = 'proxy_inject_admission_responses_total';

export interface InjectorSkip {
  namespace: string;
  /** The pod's top owner as the injector resolved it (deployment, statefulset, …; pod when none). */
  ownerKind: string;
  /** The injector's skip_reason label (reasons joined with commas when several). */
  reason: string;
  count: number;
}

const key = (s: Pick<InjectorSkip, 'namespace' | 'ownerKind' | 'reason'>) =>
  `${s.namespace}\u0000${s.ownerKind}\u0000${s.reason}`;

/**
 * Skipped admissions summed over the given scrapes (one per injector replica) by namespace, owner
 * kind and reason; the other labels (proxy config annotations, annotation_at) are summed away.
 */
export function injectorSkips(scrapes: readonly string[]): InjectorSkip[] {
  const out = new Map<string, InjectorSkip>();
  for (const text of scrapes)
    for (const s of parsePrometheusText(text).samples) {
      if (s.name !== RESPONSES || s.labels['skip'] !== 'true' || !Number.isFinite(s.value)) continue;
      const skip = {
        namespace: s.labels['namespace'] ?? '',
        ownerKind: s.labels['owner_kind'] ?? '',
        reason: s.labels['skip_reason'] ?? '',
        count: 0,
      };
      const k = key(skip);
      const cur = out.get(k) ?? skip;
      cur.count += s.value;
      out.set(k, cur);
    }
  return sorted([...out.values()]);
}

/**
 * The skips between two readings (`before` may be empty: the injector was not reachable). A series
 * that went down means a replica restarted and counts from zero: its `after` value is the increase.
 */
export function skipsSince(before: readonly InjectorSkip[], after: readonly InjectorSkip[]): InjectorSkip[] {
  const was = new Map(before.map((s) => [key(s), s.count]));
  const out: InjectorSkip[] = [];
  for (const s of after) {
    const prev = was.get(key(s)) ?? 0;
    const count = s.count >= prev ? s.count - prev : s.count;
    if (count > 0) out.push({ ...s, count });
  }
  return sorted(out);
}

/** `edge (deployment): host_network_enabled ×2` for a failure message. */
export function describeSkips(skips: readonly InjectorSkip[]): string {
  return skips
    .map(
      (s) =>
        `${s.namespace} (${s.ownerKind || 'unknown owner'}): ${s.reason || 'no reason given'} ×${s.count}`,
    )
    .join('; ');
}

function sorted(list: InjectorSkip[]): InjectorSkip[] {
  return list.sort(
    (a, b) =>
      a.namespace.localeCompare(b.namespace) ||
      a.ownerKind.localeCompare(b.ownerKind) ||
      a.reason.localeCompare(b.reason),
  );
}
