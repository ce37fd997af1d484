import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeSkips, injectorSkips, skipsSince } from './injector-skips';

// The shape the injector serves (client_golang text: labels sorted, every proxy config annotation
// a label, empty when unset); shortened to a few config labels.
const cfg = 'admin_port="",opaque_ports="",proxy_cpu_limit=""';
const scrape = (
  edgeSkips: number,
  extra = '',
) => `# HELP proxy_inject_admission_requests_total A counter for number of admission requests to proxy injector.
# TYPE proxy_inject_admission_requests_total counter
proxy_inject_admission_requests_total{${cfg},annotation_at="namespace",namespace="edge",owner_kind="deployment"} 9
# HELP proxy_inject_admission_responses_total A counter for number of admission responses from proxy injector.
# TYPE proxy_inject_admission_responses_total counter
proxy_inject_admission_responses_total{${cfg},annotation_at="workload",namespace="edge",owner_kind="deployment",skip="true",skip_reason="host_network_enabled"} ${edgeSkips}
proxy_inject_admission_responses_total{admin_port="4191",opaque_ports="",proxy_cpu_limit="",annotation_at="workload",namespace="edge",owner_kind="deployment",skip="true",skip_reason="host_network_enabled"} 1
proxy_inject_admission_responses_total{${cfg},annotation_at="namespace",namespace="shop",owner_kind="deployment",skip="false",skip_reason=""} 4
proxy_inject_admission_responses_total{${cfg},annotation_at="",namespace="jobs",owner_kind="job",skip="true",skip_reason="injection_enable_annotation_absent"} 2
${extra}`;

describe('injectorSkips', () => {
  it('sums skipped admissions by namespace, owner kind and reason over the replicas, ignoring injected ones', () => {
    const skips = injectorSkips([scrape(2), scrape(3)]);
    assert.deepEqual(skips, [
      { namespace: 'edge', ownerKind: 'deployment', reason: 'host_network_enabled', count: 7 },
      { namespace: 'jobs', ownerKind: 'job', reason: 'injection_enable_annotation_absent', count: 4 },
    ]);
  });

  it('skips lines it cannot parse without losing the rest', () => {
    const skips = injectorSkips([scrape(1, 'proxy_inject_admission_responses_total{skip="true" 5\n')]);
    assert.equal(skips.find((s) => s.namespace === 'edge')?.count, 2);
  });
});

describe('skipsSince', () => {
  it('counts the increase between two readings and drops series that did not move', () => {
    const before = injectorSkips([scrape(2)]);
    const after = injectorSkips([scrape(5)]);
    assert.deepEqual(skipsSince(before, after), [
      { namespace: 'edge', ownerKind: 'deployment', reason: 'host_network_enabled', count: 3 },
    ]);
    assert.match(describeSkips(skipsSince(before, after)), /^edge \(deployment\): host_network_enabled ×3$/);
  });

  it('takes a lower count as a restarted replica counting from zero, and a missing first reading as zero', () => {
    const before = injectorSkips([scrape(9)]);
    const after = injectorSkips([scrape(1)]);
    // edge went 10 → 2 (a restart): 2 new; jobs stayed at 2.
    assert.deepEqual(
      skipsSince(before, after).map((s) => [s.namespace, s.count]),
      [['edge', 2]],
    );
    assert.deepEqual(
      skipsSince([], after).map((s) => [s.namespace, s.count]),
      [
        ['edge', 2],
        ['jobs', 2],
      ],
    );
  });
});
