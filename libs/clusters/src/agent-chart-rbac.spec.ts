import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { agentChartRbacTemplate } from './agent-chart-rbac';
import { AGENT_CLUSTER_RULES } from './agent-manifest';

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

  it('holds every rule of the agent manifest in each mode branch, with the release namespace', () => {
    const t = agentChartRbacTemplate();
    const branches = t.split('{{- else }}');
    assert.equal(branches.length, 2);
    for (const b of branches) {
      for (const r of AGENT_CLUSTER_RULES)
        for (const res of r.resources) assert.ok(b.includes(`- ${res === '*' ? '"*"' : res}\n`), res);
      assert.match(b, /namespace: \{\{ \.Release\.Namespace \}\}/);
      assert.doesNotMatch(b, /meshfleet-system/);
    }
  });
});
