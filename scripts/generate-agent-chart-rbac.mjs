#!/usr/bin/env node
// Writes charts/meshfleet-agent/templates/rbac.yaml from the agent's RBAC rules (built output of
// libs/clusters; run `npm run build` first). libs/clusters tests that the committed file is current.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { agentChartRbacTemplate } = createRequire(import.meta.url)(
  join(root, 'libs/clusters/dist/src/agent-chart-rbac.js'),
);
const out = join(root, 'charts/meshfleet-agent/templates/rbac.yaml');
writeFileSync(out, agentChartRbacTemplate());
console.log(`wrote ${out}`);
