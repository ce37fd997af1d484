// The shape of a check and a category, mirroring `linkerd check` (reference §2.1):
// a failed check is an error unless it is a warning; a fatal failure ends the run.
import type { CheckContext } from './check-context';

export type CheckOutcome =
  { status: 'ok' } | { status: 'fail'; error: string; namespaces?: string[] } | { status: 'skip' };

export const ok = (): CheckOutcome => ({ status: 'ok' });
/**
 * `namespaces`: where the objects the failure names live (the `--proxy` checks give it), so a
 * stored cluster-wide run can be narrowed to one namespace afterwards.
 */
export const fail = (error: string, namespaces?: Iterable<string>): CheckOutcome => ({
  status: 'fail',
  error,
  ...(namespaces ? { namespaces: [...new Set(namespaces)].sort() } : {}),
});
/** Like the CLI's SkipError: not applicable here, so not reported at all. */
export const skip = (): CheckOutcome => ({ status: 'skip' });

export interface CheckDefinition {
  description: string;
  hintAnchor: string;
  fatal?: boolean;
  /** A failure is reported as a warning (does not fail the run). */
  warning?: boolean;
  run(ctx: CheckContext): CheckOutcome | Promise<CheckOutcome>;
}

export interface CategoryDefinition {
  name: string;
  /** Whether the category runs at all for this snapshot (default: yes). */
  applies?(ctx: CheckContext): boolean;
  checks(ctx: CheckContext): CheckDefinition[];
}

/** "N items" lists in errors stay readable and bounded. */
export function bulletList(items: string[], max = 20): string {
  const shown = items.slice(0, max).map((i) => `\t* ${i}`);
  if (items.length > max) shown.push(`\t* … and ${items.length - max} more`);
  return shown.join('\n');
}
