// `linkerd check -o json` from our results, to diff against the CLI: same keys in the CLI's order
// (description, hint, error, result), empty hint/error omitted, checks that did not run absent.
import type { CheckResults } from '@meshfleet/agent-protocol';

export interface CliCheckJson {
  description: string;
  hint?: string;
  error?: string;
  result: 'success' | 'warning' | 'error';
}

export interface CliCheckOutput {
  success: boolean;
  categories: Array<{ categoryName: string; checks: CliCheckJson[] }>;
}

export function toCheckJson(results: CheckResults): CliCheckOutput {
  return {
    success: results.success,
    categories: results.categories.map((c) => ({
      categoryName: c.name,
      checks: c.checks.map((k) => ({
        description: k.description,
        ...(k.hint ? { hint: k.hint } : {}),
        ...(k.error ? { error: k.error } : {}),
        result: k.result,
      })),
    })),
  };
}
