// Simulator capacity: runs libs/kube-sim's own benchmark (N demo-size clusters in one process, RSS,
// then how long a watch takes to see a change) as a child process and records its figures.
// Usage: node bench/sim-capacity.mjs [--clusters 1000]
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadNote, numArg, recordResults, ROOT } from './lib.mjs';

const CLUSTERS = numArg('clusters', 1000);
const TIMEOUT_MS = 20 * 60_000;
const RSS_GOAL_MIB = 2048;
const WATCH_GOAL_MS = 50;
const SCRIPT = join(ROOT, 'libs/kube-sim/dist/bench/capacity.js');

/** Runs the capacity script and returns its JSON summary line (it prints exactly one). */
function runCapacity(clusters) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', SCRIPT, String(clusters)], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    // Peak RSS of the whole run (VmHWM, Linux only), sampled while it lives.
    let peakKiB = null;
    const sampler = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) peakKiB = Number(m[1]);
      } catch {
        /* not on Linux, or the process has just exited */
      }
    }, 500);
    child.stdout.on('data', (c) => {
      out = (out + c.toString()).slice(-65_536);
    });
    const timer = setTimeout(() => {
      console.error(`capacity run exceeded ${TIMEOUT_MS / 60_000} min; killing it`);
      child.kill('SIGKILL');
    }, TIMEOUT_MS);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearInterval(sampler);
      const line = out
        .split('\n')
        .map((l) => l.trim())
        .reverse()
        .find((l) => l.startsWith('{') && l.endsWith('}'));
      if (code !== 0 || !line) {
        return reject(
          new Error(`capacity script ended with ${signal ?? `code ${code}`}: ${out.slice(-500)}`),
        );
      }
      try {
        resolve({ ...JSON.parse(line), peakRssMiB: peakKiB === null ? null : Math.round(peakKiB / 1024) });
      } catch (e) {
        reject(new Error(`unparsable capacity summary: ${line.slice(0, 300)} (${e})`));
      }
    });
  });
}

async function main() {
  const loadAtStart = loadNote();
  const started = performance.now();
  console.error(`kube-sim capacity: ${CLUSTERS} demo-size clusters in one process…`);
  const r = await runCapacity(CLUSTERS);
  const seconds = Math.round((performance.now() - started) / 1000);
  console.error(JSON.stringify(r));
  const w = r.watchLatencyMs ?? {};
  const watchMax = Number(w.max);
  // The goal is stated for 1,000 clusters; below that, the script's linear projection is judged.
  const measuredAtGoalSize = r.clusters >= 1000;
  const rssForGoal = measuredAtGoalSize ? r.rssMiB : r.projectedRssFor1000MiB;
  const rows = [
    {
      figure: `clusters / pods simulated in one process (build s, whole run s)`,
      value: `${r.clusters} / ${r.pods} (${r.buildSeconds}, ${seconds})`,
    },
    {
      figure: measuredAtGoalSize
        ? `RSS with ${r.clusters} demo-size clusters (after GC)`
        : `RSS projected for 1000 clusters from ${r.clusters} (measured ${r.rssMiB} MiB; linear, overestimates at small N)`,
      value: `${rssForGoal} MiB`,
      goal: `≤ ${RSS_GOAL_MIB} MiB for 1000`,
      // Judged only when measured at the goal's size.
      meets: measuredAtGoalSize ? rssForGoal <= RSS_GOAL_MIB : undefined,
    },
    {
      figure: 'peak RSS during the run (VmHWM, includes building the clusters)',
      value: r.peakRssMiB === null ? 'n/a' : `${r.peakRssMiB} MiB`,
    },
    { figure: 'RSS per cluster', value: `${r.rssPerClusterMiB} MiB` },
    {
      figure: 'watch sees a ConfigMap create: p50 / p99 / max ms (50 watches)',
      value: `${w.p50} / ${w.p99} / ${w.max}`,
      goal: `max < ${WATCH_GOAL_MS}`,
      meets: Number.isFinite(watchMax) && watchMax < WATCH_GOAL_MS,
    },
    { figure: 'load average at start / end (1 min)', value: `${loadAtStart} / ${loadNote()}` },
  ];
  recordResults('sim-capacity', rows);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
