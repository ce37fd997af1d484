// `linkerd check` (and `--proxy` where asked) on a fresh read of the cluster. Errors fail the task,
// warnings do not. Right after a rollout things still settle (endpoints, identity re-checks), so
// the checks are repeated for a short while before errors count.
import type { CheckResults } from '@meshfleet/agent-protocol';
import { runChecks } from '@meshfleet/linkerd';
import { sleep } from '../../util/sleep';
import type { LifecycleContext } from './lifecycle-context';
import { lifecycleFailure } from './lifecycle-failure';

export const POSTCHECK_SETTLE_MS = 20_000;

export interface PostcheckSummary {
  errors: number;
  warnings: number;
  summary: string;
}

export function summarize(results: CheckResults): PostcheckSummary {
  const all = results.categories.flatMap((c) => c.checks.map((x) => ({ ...x, category: c.name })));
  const errors = all.filter((c) => c.result === 'error');
  const warnings = all.filter((c) => c.result === 'warning');
  const lines = [...errors, ...warnings].map(
    (c) =>
      `${c.result === 'error' ? '×' : '‼'} [${c.category}] ${c.description}${c.error ? `: ${c.error}` : ''}`,
  );
  const head = `${all.length} checks: ${errors.length} errors, ${warnings.length} warnings`;
  return {
    errors: errors.length,
    warnings: warnings.length,
    summary: [head, ...lines].join('\n').slice(0, 4000),
  };
}

export async function postcheck(
  ctx: LifecycleContext,
  opts: { controlPlaneNamespace: string; proxy: boolean; categories?: readonly string[] },
): Promise<PostcheckSummary> {
  const settleUntil = Math.min(Date.now() + POSTCHECK_SETTLE_MS, ctx.deadline.getTime());
  for (;;) {
    const snapshot = await ctx.kube.snapshot(opts.controlPlaneNamespace);
    let results = await runChecks(snapshot, {
      controlPlaneNamespace: opts.controlPlaneNamespace,
      proxy: opts.proxy,
    });
    if (opts.categories) {
      const only = new Set(opts.categories);
      results = { ...results, categories: results.categories.filter((c) => only.has(c.name)) };
    }
    const summary = summarize(results);
    // An empty run proves nothing (e.g. the category asked for did not run): keep waiting.
    const ran = results.categories.some((c) => c.checks.length > 0);
    if (summary.errors === 0 && ran) return summary;
    if (Date.now() >= settleUntil || ctx.signal.aborted) {
      throw lifecycleFailure('POSTCHECK_FAILED', `post-check found errors. ${summary.summary}`);
    }
    await sleep(500, ctx.signal);
  }
}
