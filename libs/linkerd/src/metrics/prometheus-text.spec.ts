import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parsePrometheusText } from './prometheus-text';

describe('parsePrometheusText', () => {
  it('reads samples with labels, skipping HELP/TYPE and comments', () => {
    const r = parsePrometheusText(
      [
        '# HELP request_total Total count of HTTP requests.',
        '# TYPE request_total counter',
        'request_total{direction="inbound",tls="true",client_id="web.shop.serviceaccount.identity.linkerd.cluster.local"} 42',
        'process_start_time_seconds 1.7e9',
        '',
      ].join('\n'),
    );
    assert.deepEqual(r.errors, []);
    assert.equal(r.samples.length, 2);
    assert.deepEqual(r.samples[0], {
      name: 'request_total',
      labels: {
        direction: 'inbound',
        tls: 'true',
        client_id: 'web.shop.serviceaccount.identity.linkerd.cluster.local',
      },
      value: 42,
    });
    assert.equal(r.samples[1]?.value, 1.7e9);
  });

  it('unescapes label values and accepts commas, spaces and braces inside them', () => {
    const r = parsePrometheusText('m{a="x\\"y",b="c\\\\d",c="1\\n2",d="{a,b} =x", } 1 1700000000000');
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.samples[0]?.labels, { a: 'x"y', b: 'c\\d', c: '1\n2', d: '{a,b} =x' });
  });

  it('understands special float values and CRLF line endings', () => {
    const r = parsePrometheusText('a NaN\r\nb +Inf\r\nc -Inf\r\nd -0.5e-3\r\n');
    assert.deepEqual(r.errors, []);
    assert.ok(Number.isNaN(r.samples[0]?.value));
    assert.deepEqual(
      r.samples.slice(1).map((s) => s.value),
      [Infinity, -Infinity, -0.0005],
    );
  });

  it('ignores an OpenMetrics exemplar after the value', () => {
    const r = parsePrometheusText('x_total{a="b"} 3 # {trace_id="abc"} 1.0\n# EOF');
    assert.deepEqual(r.errors, []);
    assert.equal(r.samples[0]?.value, 3);
  });

  it('reports bad lines with their number and keeps the good ones', () => {
    const r = parsePrometheusText('ok 1\nbad{a=1} 2\nnovalue\nhex 0x10\nunterminated{a="b 1\nok2 2');
    assert.deepEqual(
      r.samples.map((s) => s.name),
      ['ok', 'ok2'],
    );
    assert.equal(r.errors.length, 4);
    assert.match(r.errors[0]!, /^line 2:/);
  });
});
