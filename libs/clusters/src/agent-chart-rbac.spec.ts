import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { agentChartRbacTemplate } from './agent-chart-rbac';
import { agentRbacRules } from './agent-rbac';

const COMMITTED = join(
  __dirname,
  '..',
  '..',
  '..',
  '..',
  'charts',
  'meshfleet-agent',
  'templates',
  'rbac.yaml',
);

describe('agent chart RBAC template', () => {
  it('is the committed charts/meshfleet-agent/templates/rbac.yaml (regenerate: node scripts/generate-agent-chart-rbac.mjs)', () => {
    assert.equal(readFileSync(COMMITTED, 'utf8'), agentChartRbacTemplate());
  });

  it("holds each mode's rules in its branch, with the release namespace", () => {
    const t = agentChartRbacTemplate();
    const branches = t.split('{{- else }}');
    assert.equal(branches.length, 2);
    const [monitor, managed] = branches as [string, string];
    for (const [b, mode] of [
      [monitor, 'MONITOR'],
      [managed, 'MANAGED'],
    ] as const) {
      for (const r of agentRbacRules(mode))
        for (const res of r.resources) assert.ok(b.includes(`- ${res}\n`), `${mode}: ${res}`);
      assert.match(b, /namespace: \{\{ \.Release\.Namespace \}\}/);
      assert.doesNotMatch(b, /meshfleet-system/);
    }
    // Only the managed ClusterRole may write or bind (both keep the agent's own Secret Role).
    const clusterRole = (b: string) => b.slice(0, b.indexOf('---'));
    assert.doesNotMatch(clusterRole(monitor), /- (create|update|patch|delete|bind|escalate)\n/);
    assert.match(clusterRole(managed), /- patch\n/);
    assert.match(managed, /- escalate\n/);
  });
});
