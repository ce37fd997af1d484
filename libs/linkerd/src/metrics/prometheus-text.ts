// A small parser for the Prometheus text exposition format (0.0.4), enough for proxy metrics.
// Written here because no maintained, typed npm package fits; it is lenient per line: a bad
// line is reported and skipped, so one odd series cannot hide a pod's whole scrape.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface ParsedMetrics {
  samples: Sample[];
  /** "line N: reason" for lines that could not be parsed. */
  errors: string[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;

function parseValue(text: string): number | null {
  switch (text) {
    case 'NaN':
      return NaN;
    case '+Inf':
    case 'Inf':
      return Infinity;
    case '-Inf':
      return -Infinity;
  }
  // Number('') is 0 and Number('0x10') is 16: accept only decimal float syntax.
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) return null;
  return Number(text);
}

/** Parses `{a="x",b="y"}` starting at `pos` (on '{'); returns labels and the index after '}'. */
function parseLabels(line: string, pos: number): { labels: Record<string, string>; end: number } | string {
  const labels: Record<string, string> = {};
  let i = pos + 1;
  for (;;) {
    while (line[i] === ' ') i++;
    if (line[i] === '}') return { labels, end: i + 1 };
    const name = LABEL_NAME.exec(line.slice(i))?.[0];
    if (!name) return 'invalid label name';
    i += name.length;
    while (line[i] === ' ') i++;
    if (line[i] !== '=' || line[i + 1] !== '"') return `expected ="… after label ${name}`;
    i += 2;
    let value = '';
    for (;;) {
      const ch = line[i];
      if (ch === undefined) return 'unterminated label value';
      if (ch === '"') break;
      if (ch === '\\') {
        const next = line[i + 1];
        value += next === 'n' ? '\n' : next === '\\' ? '\\' : next === '"' ? '"' : `\\${next ?? ''}`;
        i += 2;
        continue;
      }
      value += ch;
      i++;
    }
    labels[name] = value;
    i++;
    while (line[i] === ' ') i++;
    if (line[i] === ',') i++;
    else if (line[i] !== '}') return 'expected , or } after label value';
  }
}

function parseLine(line: string): Sample | string {
  const name = NAME.exec(line)?.[0];
  if (!name) return 'invalid metric name';
  let i = name.length;
  let labels: Record<string, string> = {};
  if (line[i] === '{') {
    const parsed = parseLabels(line, i);
    if (typeof parsed === 'string') return parsed;
    labels = parsed.labels;
    i = parsed.end;
  }
  // After the value: an optional timestamp, or an OpenMetrics exemplar ("# {...} v").
  const rest = line.slice(i).trim().split(/\s+/);
  const value = parseValue(rest[0] ?? '');
  if (value === null) return `invalid value ${JSON.stringify(rest[0] ?? '')}`;
  return { name, labels, value };
}

export function parsePrometheusText(text: string): ParsedMetrics {
  const out: ParsedMetrics = { samples: [], errors: [] };
  text.split('\n').forEach((raw, idx) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const r = parseLine(line);
    if (typeof r === 'string') out.errors.push(`line ${idx + 1}: ${r}`);
    else out.samples.push(r);
  });
  return out;
}
