#!/usr/bin/env node
// `npm start`: runs the API and the worker side by side (built output, migrations applied),
// forwarding signals and stopping both when either exits.
import { spawn } from 'node:child_process';

const procs = [
  ['api', 'apps/api/dist/src/main.js'],
  ['worker', 'apps/worker/dist/src/main.js'],
].map(([name, file]) => {
  const child = spawn(process.execPath, ['--enable-source-maps', file], {
    stdio: 'inherit',
    env: process.env,
  });
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`meshfleet ${name} exited (${signal ?? code}); stopping`);
      stop('SIGTERM', code ?? 1);
    }
  });
  return child;
});

let stopping = false;
let exitCode = 0;
function stop(signal, code = 0) {
  stopping = true;
  exitCode = code;
  for (const p of procs) if (p.exitCode === null) p.kill(signal);
}
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
await Promise.all(procs.map((p) => new Promise((r) => (p.exitCode !== null ? r() : p.on('exit', r)))));
process.exit(exitCode);
