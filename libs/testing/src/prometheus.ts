// Reading Prometheus artifacts in tests with real parsers: the text exposition format with
// parse-prometheus-text-format, PromQL with Prometheus' own lezer grammar.
import assert from 'node:assert/strict';
import { parser as promqlParser } from '@prometheus-io/lezer-promql';

export interface ParsedSample {
  value?: string;
  labels?: Record<string, string>;
}

export interface ParsedFamily {
  name: string;
  help: string;
  type: 'GAUGE' | 'COUNTER' | 'SUMMARY' | 'HISTOGRAM' | 'UNTYPED';
  metrics: ParsedSample[];
}

// The package ships no types; its one export is the parse function.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const parseText = require('parse-prometheus-text-format') as (text: string) => ParsedFamily[];

/** Families parsed by parse-prometheus-text-format (throws on lines it cannot read). */
export function parsePrometheusText(text: string): ParsedFamily[] {
  return parseText(text);
}

const METRIC_LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$/;

/**
 * What the lenient parser lets pass: every sample's family is opened by HELP then TYPE, a family's
 * samples are contiguous, no series appears twice, values are numbers, the text ends in a newline.
 */
export function assertWellFormedExposition(text: string): void {
  assert.ok(text.endsWith('\n'), 'the exposition ends with a newline');
  const declared = new Map<string, { help: boolean; type: boolean }>();
  const closed = new Set<string>();
  const series = new Set<string>();
  let current: string | null = null;
  const lines = text.split('\n').slice(0, -1);
  for (const [i, line] of lines.entries()) {
    const at = `line ${i + 1}: ${line.slice(0, 120)}`;
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (meta) {
      const [, kind, name] = meta;
      assert.ok(!closed.has(name!), `family ${name} reopened (${at})`);
      const d = declared.get(name!) ?? { help: false, type: false };
      if (kind === 'HELP') {
        assert.ok(!d.help && !d.type, `HELP comes first, once (${at})`);
        d.help = true;
      } else {
        assert.ok(d.help && !d.type, `TYPE follows HELP, once (${at})`);
        assert.ok(['gauge', 'counter', 'untyped'].includes(meta[3]!), `known type (${at})`);
        d.type = true;
      }
      declared.set(name!, d);
      if (current && current !== name) closed.add(current);
      current = name!;
      continue;
    }
    const m = METRIC_LINE.exec(line);
    assert.ok(m, `a sample line (${at})`);
    const [, name, labels = '', value] = m;
    assert.equal(name, current, `sample inside its own family (${at})`);
    assert.ok(declared.get(name!)?.type, `family declared before its samples (${at})`);
    assert.ok(/^(NaN|[+-]Inf|-?\d+(\.\d+)?(e[+-]?\d+)?)$/.test(value!), `numeric value (${at})`);
    const key = `${name}${labels}`;
    assert.ok(!series.has(key), `series appears once (${at})`);
    series.add(key);
  }
}

export interface PromqlSelector {
  metric: string;
  /** Label names its matchers use. */
  labels: string[];
}

/**
 * What a PromQL expression reads, from Prometheus' own grammar: each vector selector's metric and
 * matcher label names, and the label names of by/without/on/ignoring clauses. Throws when the
 * expression does not parse.
 */
export function promqlReferences(expr: string): { selectors: PromqlSelector[]; grouping: string[] } {
  const tree = promqlParser.parse(expr);
  const selectors: PromqlSelector[] = [];
  const grouping = new Set<string>();
  let error: number | null = null;
  const text = (n: { from: number; to: number }) => expr.slice(n.from, n.to);
  tree.iterate({
    enter(ref) {
      if (ref.type.isError && error === null) error = ref.from;
      if (ref.name === 'VectorSelector') {
        const id = ref.node.getChild('Identifier');
        const matchers = ref.node.getChild('LabelMatchers');
        const labels = (matchers?.getChildren('UnquotedLabelMatcher') ?? []).flatMap((m) =>
          m.getChildren('LabelName').map(text),
        );
        if (id) selectors.push({ metric: text(id), labels });
      }
      if (ref.name === 'GroupingLabels')
        for (const l of ref.node.getChildren('LabelName')) grouping.add(text(l));
    },
  });
  if (error !== null) throw new Error(`PromQL does not parse at ${error}: ${expr}`);
  return { selectors, grouping: [...grouping] };
}
