// The agent's production dependency closure, read from package-lock.json and the sources: no
// database layer or server framework, every bare import of the shipped code declared by its own
// workspace, and the agent Dockerfile copying exactly the workspace libraries of that closure.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..', '..');
const AGENT = 'agents/linkerd-agent';
const FORBIDDEN = [
  /^@prisma\//,
  /^prisma$/,
  /^@nestjs\//,
  /^@apollo\//,
  /^bullmq$/,
  /^ioredis$/,
  /^pg$/,
  /^@meshfleet\/(db|config|testing|kube-sim|pki)$/,
];

interface LockEntry {
  name?: string;
  link?: boolean;
  resolved?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, LockEntry>;
};

/** Where npm resolved `dep` for the package at `from` (node_modules lookup up the tree). */
function resolveIn(from: string, dep: string): string {
  let dir = from;
  for (;;) {
    const candidate = dir ? `${dir}/node_modules/${dep}` : `node_modules/${dep}`;
    if (lock.packages[candidate]) return candidate;
    if (!dir) throw new Error(`${dep} (needed by ${from || 'the root'}) is not in package-lock.json`);
    const i = dir.lastIndexOf('/node_modules/');
    dir = i >= 0 ? dir.slice(0, i) : '';
  }
}

/** Production closure: package names and the workspace folders reached. */
function closure(start: string): { names: Map<string, string[]>; workspaces: Set<string> } {
  const names = new Map<string, string[]>();
  const workspaces = new Set<string>([start]);
  const queue: Array<{ at: string; path: string[] }> = [{ at: start, path: [] }];
  const seen = new Set<string>();
  while (queue.length) {
    const { at, path } = queue.shift()!;
    if (seen.has(at)) continue;
    seen.add(at);
    const entry = lock.packages[at]!;
    const deps = { ...entry.dependencies, ...entry.optionalDependencies };
    for (const dep of Object.keys(deps)) {
      let loc = resolveIn(at, dep);
      if (lock.packages[loc]!.link) {
        loc = lock.packages[loc]!.resolved!;
        workspaces.add(loc);
      }
      if (!names.has(dep)) names.set(dep, [...path, dep]);
      queue.push({ at: loc, path: [...path, dep] });
    }
  }
  return { names, workspaces };
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath, e.name))
    .filter(
      (f) => !/\.(test|spec)\.ts$/.test(f) && !/\.fixture\.ts$/.test(f) && !/[/\\]testing[/\\]/.test(f),
    );
}

const bareImports = (file: string): string[] =>
  [...readFileSync(file, 'utf8').matchAll(/(?:from|import)\s+'([^'.][^']*)'/g)]
    .map((m) => m[1]!)
    .filter((s) => !s.startsWith('node:') && !builtinModules.includes(s))
    .map((s) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]!));

describe('the agent dependency closure', () => {
  const { names, workspaces } = closure(AGENT);

  it('holds no database layer, server framework or test-only workspace', () => {
    const hits = [...names.entries()].filter(([n]) => FORBIDDEN.some((re) => re.test(n)));
    assert.deepEqual(
      hits.map(([, via]) => via.join(' -> ')),
      [],
      'production dependencies of the agent that must not be there',
    );
    assert.ok(names.has('@kubernetes/client-node'), 'the closure was read (it holds the Kubernetes client)');
  });

  it('declares every bare import of the shipped sources in the workspace that makes it', () => {
    const missing: string[] = [];
    for (const ws of workspaces) {
      const pkg = JSON.parse(readFileSync(join(ROOT, ws, 'package.json'), 'utf8')) as {
        dependencies?: Record<string, string>;
      };
      const declared = new Set(Object.keys(pkg.dependencies ?? {}));
      for (const file of sourceFiles(join(ROOT, ws, 'src')))
        for (const dep of bareImports(file))
          if (!declared.has(dep)) missing.push(`${ws}: ${dep} (${file.slice(ROOT.length + 1)})`);
    }
    assert.deepEqual([...new Set(missing)], []);
  });

  it('is what the agent Dockerfile copies into its runtime stage', () => {
    const dockerfile = readFileSync(join(ROOT, AGENT, 'Dockerfile'), 'utf8');
    const copied = new Set(
      [...dockerfile.matchAll(/^COPY --from=build \/src\/((?:libs|agents)\/[^/]+)\/dist\/src /gm)].map(
        (m) => m[1]!,
      ),
    );
    assert.deepEqual([...copied].sort(), [...workspaces].sort());
    assert.match(dockerfile, /npm ci --omit=dev --workspace agents\/linkerd-agent/);
    assert.doesNotMatch(dockerfile, /^RUN .*prisma/im, 'the agent image needs no Prisma client');
  });

  it('puts a parser directive, where there is one, on the first line of each Dockerfile', () => {
    for (const file of [join(ROOT, AGENT, 'Dockerfile'), join(ROOT, 'Dockerfile')]) {
      const lines = readFileSync(file, 'utf8').split('\n');
      const at = lines.findIndex((l) => /^#\s*syntax\s*=/i.test(l));
      assert.ok(at <= 0, `${file.slice(ROOT.length + 1)}: "# syntax=" on line ${at + 1}`);
    }
  });
});
