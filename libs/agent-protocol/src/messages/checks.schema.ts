// `linkerd check`-shaped results: the same shape as `linkerd check -o json` plus the fatal flag,
// keyed by (category, description) so results can be compared across reports.
import { z } from 'zod';
import { LIMITS } from '../limits';
import { longString, shortString } from './common.schema';

export const CheckResultLevelSchema = z.enum(['success', 'warning', 'error']);
export type CheckResultLevel = z.infer<typeof CheckResultLevelSchema>;

export const CheckSchema = z.object({
  description: shortString,
  result: CheckResultLevelSchema,
  /** Anchor in https://linkerd.io/2/checks/ (without '#'). */
  hintAnchor: shortString.optional(),
  /** Full hint URL, present on failed checks (as the CLI prints it). */
  hint: z.url().max(LIMITS.shortString).optional(),
  error: longString.optional(),
  /** A fatal failure stopped the rest of its category. */
  fatal: z.boolean(),
  /**
   * Added without a version bump (older agents omit it): on a failed `--proxy` check, the
   * namespaces of the objects its error names, so the API can narrow it to one namespace.
   */
  namespaces: z.array(shortString).max(LIMITS.namespaces).optional(),
});
export type Check = z.infer<typeof CheckSchema>;

export const CheckCategorySchema = z.object({
  name: shortString,
  checks: z.array(CheckSchema).max(LIMITS.checksPerCategory),
});
export type CheckCategory = z.infer<typeof CheckCategorySchema>;

/** A check a fatal failure kept from running (`linkerd check` stops there and prints nothing more). */
export const NotRunCheckSchema = z.object({
  category: shortString,
  description: shortString,
  hintAnchor: shortString.optional(),
});
export type NotRunCheck = z.infer<typeof NotRunCheckSchema>;

export const CheckResultsSchema = z.object({
  /** False when any check ended in error (warnings alone keep it true, like the CLI). */
  success: z.boolean(),
  /** The checks that ran, in the CLI's order. */
  categories: z.array(CheckCategorySchema).max(LIMITS.checkCategories),
  /**
   * Added in protocol 2 without a version bump (older agents omit it): the checks after a failed
   * fatal one, which the CLI never runs. Never counted as success.
   */
  notRun: z
    .array(NotRunCheckSchema)
    .max(LIMITS.checkCategories * LIMITS.checksPerCategory)
    .optional(),
});
export type CheckResults = z.infer<typeof CheckResultsSchema>;
