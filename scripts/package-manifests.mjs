#!/usr/bin/env node
// Copies the root package.json, package-lock.json and every workspace's package.json into a folder
// (same relative paths), so that an image stage can run `npm ci` for one workspace without sources.
// Usage: node scripts/package-manifests.mjs <out-dir>
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const out = process.argv[2];
if (!out) {
  console.error('usage: node scripts/package-manifests.mjs <out-dir>');
  process.exit(2);
}
const root = JSON.parse(readFileSync('package.json', 'utf8'));
const files = ['package.json', 'package-lock.json'];
for (const pattern of root.workspaces ?? []) {
  const dirs = pattern.endsWith('/*')
    ? readdirSync(pattern.slice(0, -2), { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => join(pattern.slice(0, -2), d.name))
    : [pattern];
  for (const d of dirs) if (existsSync(join(d, 'package.json'))) files.push(join(d, 'package.json'));
}
for (const f of files) {
  mkdirSync(dirname(join(out, f)), { recursive: true });
  copyFileSync(f, join(out, f));
}
console.log(`${files.length} manifests copied to ${out}`);
