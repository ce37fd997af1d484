// `npm run bench [-- name ...]`: runs the named benchmarks (default: all) and prints the table.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const ALL = [
  'ingest',
  'dispatch',
  'fleet-summary',
  'fleet-metrics',
  'alert-webhook',
  'detection',
  'rollout',
  'sim-capacity',
  'scale-out',
  'agent-footprint',
];
const [first, ...rest] = process.argv.slice(2);
const names = first && !first.startsWith('--') ? [first] : ALL;
const extra = first && !first.startsWith('--') ? rest : process.argv.slice(2);
for (const name of names) {
  if (!ALL.includes(name)) {
    console.error(`unknown benchmark ${name}; known: ${ALL.join(', ')}`);
    process.exit(2);
  }
  const r = spawnSync(process.execPath, [join(here, `${name}.mjs`), ...extra], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
