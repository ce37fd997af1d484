#!/usr/bin/env node
// `npm start`: runs the API and the worker side by side (built output, migrations applied),
// forwarding signals and stopping both when either exits. Settings come from the environment,
// then from ./.env (MESHFLEET_ENV_FILE to name another file) for those the environment lacks.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const envFile = resolve(process.env.MESHFLEET_ENV_FILE ?? '.env');
if (existsSync(envFile)) {
  // Node keeps a variable the environment already has: the real environment wins.
  process.loadEnvFile(envFile);
} else if (process.env.MESHFLEET_ENV_FILE) {
  console.error(`meshfleet: MESHFLEET_ENV_FILE names ${envFile}, which does not exist`);
  process.exit(2);
}

const procs = [
  ['api', 'apps/api/dist/src/main.js'],
  ['worker', 'apps/worker/dist/src/main.js'],
].map(([name, file]) => {
  const child = spawn(process.execPath, ['--enable-source-maps', join(ROOT, file)], {
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
