#!/usr/bin/env node
// Runs a Dockerfile's steps without a container engine, on a clean copy of the repository, and
// checks the result. Each stage is a folder standing in for the image's file system; RUN steps run
// with the host's Node.js and npm in the stage's WORKDIR. Base-image files do not exist, so RUN
// steps may use only relative paths. The checks:
//   - `# syntax=` (a parser directive) is the first line, or absent;
//   - every step succeeds on a copy holding only what git tracks (minus .dockerignore);
//   - --max-mb: the final stage's node_modules stays under that size;
//   - --forbid: none of these packages is in the final stage's node_modules (prefix match);
//   - --smoke: a command run in the final stage (with its ENV) exits with --smoke-exit (default 0)
//     and prints nothing matching "Cannot find module".
// Usage: node scripts/dockerfile-check.mjs <Dockerfile> [--max-mb N] [--forbid @prisma/,@nestjs/]
//          [--smoke 'node ...'] [--smoke-exit N] [--keep]
import { execFileSync, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    'max-mb': { type: 'string' },
    forbid: { type: 'string' },
    smoke: { type: 'string' },
    'smoke-exit': { type: 'string', default: '0' },
    keep: { type: 'boolean', default: false },
  },
});
const dockerfile = positionals[0];
if (!dockerfile) {
  console.error(
    'usage: node scripts/dockerfile-check.mjs <Dockerfile> [--max-mb N] [--forbid a,b] [--smoke cmd]',
  );
  process.exit(2);
}
const repo = execFileSync('git', ['rev-parse', '--show-toplevel'], { encoding: 'utf8' }).trim();
const fail = (msg) => {
  console.error(`dockerfile-check: ${msg}`);
  process.exit(1);
};

// --- parse ---
const text = readFileSync(resolve(dockerfile), 'utf8');
const lines = text.split('\n');
const syntaxAt = lines.findIndex((l) => /^#\s*syntax\s*=/i.test(l));
if (syntaxAt > 0)
  fail(`"# syntax=" is on line ${syntaxAt + 1}; a parser directive counts only as the first line`);
const steps = [];
let pending = '';
for (const raw of lines) {
  if (!pending && /^\s*(#|$)/.test(raw)) continue;
  if (pending && /^\s*#/.test(raw)) continue;
  if (raw.endsWith('\\')) {
    pending += raw.slice(0, -1) + ' ';
    continue;
  }
  const full = (pending + raw).trim();
  pending = '';
  const m = /^(\w+)\s+(.*)$/s.exec(full);
  if (!m) fail(`cannot read the step "${full}"`);
  steps.push({ op: m[1].toUpperCase(), args: m[2] });
}

// --- a clean copy of the build context: what git tracks or would track, minus .dockerignore ---
const work = mkdtempSync(join(tmpdir(), 'mf-dockerfile-'));
const context = join(work, 'context');
const tracked = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], {
  cwd: repo,
  encoding: 'utf8',
})
  .split('\0')
  .filter(Boolean);
const ignore = existsSync(join(repo, '.dockerignore'))
  ? readFileSync(join(repo, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'))
  : [];
const globRe = (p) =>
  new RegExp(
    '^' +
      p
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*\*\//g, '(?:.*/)?')
        .replace(/\*\*/g, '.*')
        .replace(/\*/g, '[^/]*')
        .replace(/\?/g, '[^/]') +
      '(?:/.*)?$',
  );
const ignored = ignore.map(globRe);
for (const f of tracked) {
  if (ignored.some((re) => re.test(f)) || !existsSync(join(repo, f))) continue;
  mkdirSync(dirname(join(context, f)), { recursive: true });
  cpSync(join(repo, f), join(context, f));
}

// --- run the steps ---
const stages = [];
let stage = null;
const inStage = (s, p) => join(s.root, p.startsWith('/') ? p : join(s.workdir, p));
const words = (s) => s.split(/\s+/).filter(Boolean);
const jsonOrWords = (s) => (s.trim().startsWith('[') ? JSON.parse(s) : ['/bin/sh', '-c', s]);
function copy(fromRoot, srcs, dest) {
  const destIsDir = dest.endsWith('/') || srcs.length > 1;
  for (const src of srcs) {
    const from = join(fromRoot, src);
    if (!existsSync(from)) fail(`COPY: ${src} does not exist in its source`);
    if (statSync(from).isDirectory()) {
      mkdirSync(dest, { recursive: true });
      for (const e of readdirSync(from))
        cpSync(join(from, e), join(dest, e), { recursive: true, verbatimSymlinks: true });
    } else {
      const to = destIsDir ? join(dest, basename(src)) : dest;
      mkdirSync(dirname(to), { recursive: true });
      cpSync(from, to);
    }
  }
}
for (const { op, args } of steps) {
  if (op === 'FROM') {
    const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args.trim());
    stage = {
      name: m[2] ?? String(stages.length),
      base: m[1],
      root: join(work, `stage-${stages.length}`),
      workdir: '/',
      env: {},
      cmd: null,
    };
    mkdirSync(stage.root, { recursive: true });
    stages.push(stage);
    console.log(`==> stage ${stage.name} (${stage.base})`);
    continue;
  }
  if (!stage) fail(`${op} before FROM`);
  if (op === 'WORKDIR') {
    stage.workdir = args.trim().startsWith('/') ? args.trim() : join(stage.workdir, args.trim());
    mkdirSync(join(stage.root, stage.workdir), { recursive: true });
  } else if (op === 'ENV') {
    for (const kv of words(args)) {
      const [k, ...v] = kv.split('=');
      stage.env[k] = v.join('=');
    }
  } else if (op === 'COPY') {
    const parts = words(args);
    const flags = parts.filter((p) => p.startsWith('--'));
    const rest = parts.filter((p) => !p.startsWith('--'));
    const fromFlag = flags.find((f) => f.startsWith('--from='));
    let fromRoot = context;
    if (fromFlag) {
      const src = stages.find((s) => s.name === fromFlag.slice(7));
      if (!src) fail(`COPY ${fromFlag}: no such stage`);
      fromRoot = src.root;
    }
    const dest = rest.pop();
    const destPath = inStage(stage, dest) + (dest.endsWith('/') ? '/' : '');
    console.log(`    COPY ${rest.join(' ')} -> ${dest}`);
    copy(
      fromRoot,
      rest.map((s) => (fromFlag ? s : s.replace(/^\.\//, ''))),
      destPath,
    );
  } else if (op === 'RUN') {
    const cwd = join(stage.root, stage.workdir);
    console.log(`    RUN ${args.length > 100 ? args.slice(0, 100) + '...' : args}`);
    const r = spawnSync(...(([c, ...a]) => [c, a])(jsonOrWords(args)), {
      cwd,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, ...stage.env },
    });
    if (r.status !== 0) fail(`RUN failed (exit ${r.status}): ${args}`);
  } else if (op === 'ENTRYPOINT' || op === 'CMD') {
    stage.cmd = args;
  } else if (!['USER', 'EXPOSE', 'ARG', 'LABEL'].includes(op)) {
    fail(`the step ${op} is not understood by this check`);
  }
}

// --- checks on the final stage ---
const final = stages.at(-1);
const appDir = join(final.root, final.workdir);
const nm = join(appDir, 'node_modules');
const sizeBytes = (p) => {
  const st = lstatSync(p);
  if (st.isSymbolicLink() || !st.isDirectory()) return st.isSymbolicLink() ? 0 : st.size;
  return readdirSync(p).reduce((n, e) => n + sizeBytes(join(p, e)), 0);
};
const mb = existsSync(nm) ? sizeBytes(nm) / 1024 / 1024 : 0;
const packages = [];
if (existsSync(nm))
  for (const e of readdirSync(nm)) {
    if (e.startsWith('.')) continue;
    if (e.startsWith('@')) for (const s of readdirSync(join(nm, e))) packages.push(`${e}/${s}`);
    else packages.push(e);
  }
console.log(
  `==> final stage ${final.name}: node_modules ${mb.toFixed(1)} MB, ${packages.length} top-level packages`,
);
let bad = false;
if (values['max-mb'] && mb > Number(values['max-mb'])) {
  console.error(`node_modules is ${mb.toFixed(1)} MB, over the limit of ${values['max-mb']} MB`);
  bad = true;
}
for (const prefix of (values.forbid ?? '').split(',').filter(Boolean)) {
  const hit = packages.filter((p) => p === prefix || p.startsWith(prefix));
  if (hit.length) {
    console.error(`forbidden packages in the image: ${hit.join(', ')}`);
    bad = true;
  }
}
if (values.smoke) {
  const r = spawnSync('/bin/sh', ['-c', values.smoke], {
    cwd: appDir,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: tmpdir(), ...final.env },
    timeout: 60_000,
  });
  const out = `${r.stdout}${r.stderr}`;
  console.log(
    `==> smoke "${values.smoke}": exit ${r.status}\n${out.trim().split('\n').slice(0, 5).join('\n')}`,
  );
  if (r.status !== Number(values['smoke-exit']) || /Cannot find module|MODULE_NOT_FOUND/.test(out)) {
    console.error(`smoke command failed (expected exit ${values['smoke-exit']})`);
    bad = true;
  }
}
if (!values.keep) rmSync(work, { recursive: true, force: true });
else console.log(`kept ${work}`);
if (bad) process.exit(1);
console.log('dockerfile-check: ok');
