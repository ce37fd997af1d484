// Loads a scenario from a file path, YAML text or an object, and validates it.
import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { Scenario, ScenarioInput, scenarioSchema } from './scenario.schema';

export class ScenarioError extends Error {
  constructor(
    message: string,
    readonly issues: string[] = [],
  ) {
    super(message);
    this.name = 'ScenarioError';
  }
}

/** Accepts a path to a YAML file, YAML text, or an already-parsed object. */
export function loadScenario(source: string | ScenarioInput): Scenario {
  let raw: unknown = source;
  if (typeof source === 'string') {
    const looksLikePath =
      !source.includes('\n') && (source.endsWith('.yaml') || source.endsWith('.yml') || existsSync(source));
    const text = looksLikePath ? readFileSync(source, 'utf8') : source;
    try {
      raw = parse(text, { merge: true }) as unknown;
    } catch (e) {
      throw new ScenarioError(
        `scenario is not valid YAML: ${e instanceof Error ? e.message : 'parse error'}`,
      );
    }
  }
  const parsed = scenarioSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ScenarioError(`invalid scenario: ${issues.join('; ')}`, issues);
  }
  const names = parsed.data.clusters.map((c) => c.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new ScenarioError(`invalid scenario: duplicate cluster name "${dup}"`);
  return parsed.data;
}
