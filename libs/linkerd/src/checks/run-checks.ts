// Runs the categories in the CLI's fixed order (reference §2.1) and returns `linkerd check -o json`-
// shaped results. A fatal failure stops its category; in kubernetes-api and linkerd-existence it
// also stops everything after, since nothing later can be judged (e.g. Linkerd is not installed).
import type { Check, CheckCategory, CheckResults } from '@meshfleet/agent-protocol';
import type { ClusterSnapshot } from '../snapshot';
import { buildCheckContext, hintUrl, type CheckContext } from './check-context';
import type { CheckOptions } from './check-options';
import type { CategoryDefinition } from './check.types';
import { configCategory } from './config.check';
import { controlPlaneProxyCategory } from './control-plane-proxy.check';
import { controlPlaneVersionCategory } from './control-plane-version.check';
import { dataPlaneCategory } from './data-plane.check';
import { existenceCategory } from './existence.check';
import { haCategory } from './ha.check';
import { identityDataPlaneCategory } from './identity-data-plane.check';
import { identityCategory } from './identity.check';
import { kubernetesApiCategory, kubernetesVersionCategory } from './kubernetes.check';
import { vizCategory } from './viz.check';
import { webhooksCategory } from './webhooks.check';

export const CATEGORIES: readonly CategoryDefinition[] = [
  kubernetesApiCategory,
  kubernetesVersionCategory,
  existenceCategory,
  configCategory,
  identityCategory,
  webhooksCategory,
  identityDataPlaneCategory,
  controlPlaneVersionCategory,
  controlPlaneProxyCategory,
  dataPlaneCategory,
  haCategory,
  vizCategory,
];

async function runCategory(
  ctx: CheckContext,
  category: CategoryDefinition,
): Promise<{ checks: Check[]; fatal: boolean }> {
  const checks: Check[] = [];
  for (const def of category.checks(ctx)) {
    let outcome;
    try {
      outcome = await def.run(ctx);
    } catch (e) {
      // A check bug must not take the whole report down; it shows as that check's error.
      outcome = { status: 'fail' as const, error: `check failed unexpectedly: ${(e as Error).message}` };
    }
    if (outcome.status === 'skip') continue;
    const fatal = def.fatal === true;
    if (outcome.status === 'ok') {
      checks.push({ description: def.description, result: 'success', hintAnchor: def.hintAnchor, fatal });
      continue;
    }
    checks.push({
      description: def.description,
      result: def.warning ? 'warning' : 'error',
      hintAnchor: def.hintAnchor,
      hint: hintUrl(ctx, def.hintAnchor),
      error: outcome.error.slice(0, 4000),
      fatal,
    });
    if (fatal && !def.warning) return { checks, fatal: true };
  }
  return { checks, fatal: false };
}

export async function runChecks(
  snapshot: ClusterSnapshot,
  options: CheckOptions = {},
): Promise<CheckResults> {
  const ctx = buildCheckContext(snapshot, options);
  const categories: CheckCategory[] = [];
  for (const category of CATEGORIES) {
    if (category.applies && !category.applies(ctx)) continue;
    const { checks, fatal } = await runCategory(ctx, category);
    if (checks.length) categories.push({ name: category.name, checks });
    if (fatal && category.stopsLaterCategories) break;
  }
  const success = categories.every((c) => c.checks.every((x) => x.result !== 'error'));
  return { success, categories };
}
