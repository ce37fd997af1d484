// Runs the categories in the CLI's fixed order (reference §2.1) and returns `linkerd check -o json`-
// shaped results. As the CLI's RunChecks does, the first failed fatal check ends the run: what
// would have come after is listed in `notRun`, never as a success. Extensions (viz) are separate
// runs in the CLI (`linkerd viz check` is invoked after the core checks whatever they said), so a
// fatal failure in the core stops the core only and a fatal failure in viz stops viz only.
import {
  LIMITS,
  type Check,
  type CheckCategory,
  type CheckResults,
  type NotRunCheck,
} from '@meshfleet/agent-protocol';
import type { ClusterSnapshot } from '../snapshot';
import { buildCheckContext, hintUrl, type CheckContext } from './check-context';
import type { CheckOptions } from './check-options';
import type { CategoryDefinition, CheckDefinition, CheckOutcome } from './check.types';
import { configCategory } from './config.check';
import { controlPlaneProxyCategory } from './control-plane-proxy.check';
import { controlPlaneVersionCategory } from './control-plane-version.check';
import { dataPlaneCategory } from './data-plane.check';
import { existenceCategory } from './existence.check';
import { extensionCategory } from './extension.check';
import { gatewayApiCategory } from './gateway-api.check';
import { haCategory } from './ha.check';
import { identityDataPlaneCategory } from './identity-data-plane.check';
import { identityCategory } from './identity.check';
import { kubernetesApiCategory, kubernetesVersionCategory } from './kubernetes.check';
import { vizCategory } from './viz.check';
import { webhooksCategory } from './webhooks.check';

/** `linkerd check` (healthcheck.go allCategories order). */
export const CATEGORIES: readonly CategoryDefinition[] = [
  kubernetesApiCategory,
  kubernetesVersionCategory,
  gatewayApiCategory,
  existenceCategory,
  configCategory,
  identityCategory,
  webhooksCategory,
  identityDataPlaneCategory,
  controlPlaneVersionCategory,
  controlPlaneProxyCategory,
  dataPlaneCategory,
  haCategory,
  extensionCategory,
];

/** Extension runs, each its own process in the CLI, in the order they are found. */
export const EXTENSION_CATEGORIES: readonly CategoryDefinition[] = [vizCategory];

/** The protocol's bound on a check's namespaces (one per reported namespace at most). */
const MAX_CHECK_NAMESPACES = LIMITS.namespaces;

async function outcomeOf(ctx: CheckContext, def: CheckDefinition): Promise<CheckOutcome> {
  try {
    return await def.run(ctx);
  } catch (e) {
    // A check bug must not take the whole report down; it shows as that check's error.
    return { status: 'fail', error: `check failed unexpectedly: ${(e as Error).message}` };
  }
}

interface RunState {
  categories: CheckCategory[];
  notRun: NotRunCheck[];
}

/** One CLI run over `categories`: stops at the first failed fatal check. */
async function runSequence(
  ctx: CheckContext,
  categories: readonly CategoryDefinition[],
  out: RunState,
): Promise<void> {
  let stopped = false;
  for (const category of categories) {
    if (category.applies && !category.applies(ctx)) continue;
    const checks: Check[] = [];
    for (const def of category.checks(ctx)) {
      if (stopped) {
        out.notRun.push({
          category: category.name,
          description: def.description,
          hintAnchor: def.hintAnchor,
        });
        continue;
      }
      const outcome = await outcomeOf(ctx, def);
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
        ...(outcome.namespaces ? { namespaces: outcome.namespaces.slice(0, MAX_CHECK_NAMESPACES) } : {}),
      });
      // healthcheck.go RunChecks returns after any failed fatal check.
      if (fatal) stopped = true;
    }
    if (checks.length) out.categories.push({ name: category.name, checks });
  }
}

export async function runChecks(
  snapshot: ClusterSnapshot,
  options: CheckOptions = {},
): Promise<CheckResults> {
  const ctx = buildCheckContext(snapshot, options);
  const out: RunState = { categories: [], notRun: [] };
  await runSequence(ctx, CATEGORIES, out);
  for (const extension of EXTENSION_CATEGORIES) await runSequence(ctx, [extension], out);
  const success = out.categories.every((c) => c.checks.every((x) => x.result !== 'error'));
  return { success, categories: out.categories, notRun: out.notRun };
}
