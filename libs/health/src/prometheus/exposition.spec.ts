import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parsePrometheusText } from '@meshfleet/testing';
import {
  escapeHelp,
  escapeLabelValue,
  familyHeader,
  formatValue,
  isLabelName,
  isMetricName,
  labelPairs,
} from './exposition';

describe('Prometheus exposition', () => {
  it('escapes backslash, quote and newline in label values', () => {
    assert.equal(escapeLabelValue('a\\b"c\nd'), 'a\\\\b\\"c\\nd');
    assert.equal(escapeLabelValue('plain-name.1'), 'plain-name.1');
  });

  it('escapes backslash and newline in HELP, not quotes', () => {
    assert.equal(escapeHelp('say "hi"\\\nbye'), 'say "hi"\\\\\\nbye');
  });

  it('spells special values the way the format does', () => {
    assert.deepEqual([NaN, Infinity, -Infinity, 0.25, 1e21].map(formatValue), [
      'NaN',
      '+Inf',
      '-Inf',
      '0.25',
      '1e+21',
    ]);
  });

  it('checks metric and label names', () => {
    assert.ok(isMetricName('meshfleet_cluster_info'));
    assert.ok(!isMetricName('meshfleet-cluster'));
    assert.ok(!isMetricName('1abc'));
    assert.ok(isLabelName('cluster_id'));
    assert.ok(!isLabelName('__name__'));
    assert.ok(!isLabelName('a.b'));
  });

  it('round-trips awkward label values through a real text-format parser', () => {
    const nasty = 'we"ird\\name\nwith newline';
    const text = `${familyHeader('x_ratio', 'gauge', 'A \\ help\nline')}x_ratio{${labelPairs({ cluster: nasty, region: '' })}} ${formatValue(0.5)}\n`;
    const [family] = parsePrometheusText(text);
    assert.equal(family!.name, 'x_ratio');
    assert.equal(family!.type, 'GAUGE');
    assert.equal(family!.help, 'A \\ help\nline');
    assert.deepEqual(family!.metrics[0], { value: '0.5', labels: { cluster: nasty, region: '' } });
  });
});
