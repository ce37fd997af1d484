import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { prometheusDurationSeconds, prometheusSizing } from './prometheus-sizing';

const MiB = 1024 * 1024;
const prom = (o: { mem?: number | null; limit?: number | null; retention?: string | null }) => ({
  pods: 1,
  mem: o.mem ?? null,
  limit: o.limit ?? null,
  retention: o.retention ?? null,
});

describe('viz Prometheus sizing', () => {
  it('is 5 MiB per meshed pod; within 1.5 × that, with the 6 h retention, nothing is said', () => {
    assert.deepEqual(prometheusSizing(100, prom({ mem: 700 * MiB, limit: 600 * MiB, retention: '6h' })), {
      sizingBytes: 500 * MiB,
      reasons: [],
    });
  });

  it('warns above 1.5 × the sizing, below it in the limit, and beyond 6 h of retention', () => {
    assert.deepEqual(prometheusSizing(100, prom({ mem: 751 * MiB })).reasons, ['MEMORY_ABOVE_SIZING']);
    assert.deepEqual(prometheusSizing(100, prom({ limit: 499 * MiB })).reasons, ['LIMIT_BELOW_SIZING']);
    assert.deepEqual(prometheusSizing(100, prom({ retention: '1d' })).reasons, ['RETENTION_ABOVE_SIZING']);
    assert.deepEqual(prometheusSizing(0, prom({ mem: 100 * MiB })).reasons, [], 'no meshed pods, no sizing');
  });

  it('reads Prometheus durations', () => {
    assert.equal(prometheusDurationSeconds('6h'), 21_600);
    assert.equal(prometheusDurationSeconds('1d12h'), 129_600);
    assert.equal(prometheusDurationSeconds('90m'), 5400);
    assert.equal(prometheusDurationSeconds('6 hours'), null);
    assert.equal(prometheusDurationSeconds(''), null);
  });
});
