// A bounded, seeded fuzz of the public inputs: valid agent messages and GraphQL mutations with
// one field at a time replaced by something hostile (huge or negative numbers, NUL, lone
// surrogates, odd dates, wrong types, long strings, deep nesting). Every answer must be below 500,
// and a refused GraphQL write must leave no row behind. Seed: MESHFLEET_FUZZ_SEED (default 1).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PrismaService } from '@meshfleet/db';
import { exampleEnrollRequest, exampleHealthReport, exampleHeartbeat } from '@meshfleet/agent-protocol';
import { agentCall, registerAndEnroll } from './agent-http';
import { startApi, type TestApi } from './harness';

const SEED = Number(process.env['MESHFLEET_FUZZ_SEED'] ?? 1);
const AGENT_CASES = 1500;
const GRAPHQL_CASES = 600;

/** mulberry32: small, seeded, good enough to pick cases reproducibly. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HOSTILE: unknown[] = [
  2 ** 31,
  -1,
  2 ** 53,
  -(2 ** 63),
  1e308,
  0.5,
  'a\u0000b',
  '\ud800',
  'x\udfff',
  '0000-01-01T00:00:00Z',
  '9999-12-31T23:59:59-12:00',
  '2026-02-30T00:00:00Z',
  'not a date',
  '',
  'x'.repeat(5000),
  null,
  true,
  [],
  {},
  [[[[[[[[[[[]]]]]]]]]]],
  { '\u0000': 1 },
  '💥'.repeat(100),
];

type Json = Record<string, unknown>;

/** Paths to every leaf and container of a JSON value. */
function paths(v: unknown, prefix: string[] = []): string[][] {
  const out: string[][] = prefix.length ? [prefix] : [];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...paths(x, [...prefix, String(i)])));
  else if (v !== null && typeof v === 'object')
    for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...prefix, k]));
  return out;
}

function withValue(base: Json, path: string[], value: unknown): Json {
  const copy = structuredClone(base);
  let cur: any = copy;
  for (const p of path.slice(0, -1)) cur = cur[p];
  cur[path.at(-1)!] = value;
  return copy;
}

describe(`fuzzed inputs (seed ${SEED})`, () => {
  let api: TestApi;
  let key: string;
  let prisma: PrismaService;
  let credential: string;
  let clusterId: string;
  const next = rng(SEED);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;

  before(async () => {
    api = await startApi({ MESHFLEET_AGENT_RATE_LIMIT_PER_MINUTE: '100000' });
    ({ apiKey: key } = await api.newOrg('fuzz'));
    prisma = api.app.get(PrismaService);
    ({ credential, id: clusterId } = await registerAndEnroll(api, key, { name: 'fuzzed' }));
  });
  after(() => api.close());

  it(`answers ${AGENT_CASES} hostile agent messages below 500`, async () => {
    const bases: Array<[string, Json, boolean]> = [
      ['/heartbeat', exampleHeartbeat() as unknown as Json, true],
      ['/reports', exampleHealthReport() as unknown as Json, true],
      ['/enroll', exampleEnrollRequest() as unknown as Json, false],
    ];
    const failures: string[] = [];
    for (let i = 0; i < AGENT_CASES; i += 10) {
      const batch = Array.from({ length: 10 }, () => {
        const [path, base, authed] = pick(bases);
        const at = pick(paths(base));
        const value = pick(HOSTILE);
        return { path, authed, at, value, body: withValue(base, at, value) };
      });
      const answers = await Promise.all(
        batch.map((c) => agentCall(api, 'POST', c.path, c.authed ? credential : undefined, c.body)),
      );
      answers.forEach((a, j) => {
        if (a.status >= 500)
          failures.push(
            `${batch[j]!.path} ${batch[j]!.at.join('.')}=${JSON.stringify(batch[j]!.value)?.slice(0, 40)} → ${a.status}`,
          );
      });
    }
    assert.deepEqual(failures, []);
  });

  it(`answers ${GRAPHQL_CASES} hostile GraphQL writes and reads below 500, leaving nothing half-written`, async () => {
    const cases: Array<{ query: string; vars: Json; table?: 'apiKey' | 'cluster' | 'webhookEndpoint' }> = [
      {
        query:
          'mutation($n: String!, $r: Role!) { createApiKey(input: { name: $n, role: $r }) { apiKey { id } } }',
        vars: { n: 'k', r: 'VIEWER' },
        table: 'apiKey',
      },
      {
        query:
          'mutation($n: String!, $l: JSONObject) { registerCluster(input: { name: $n, provider: EKS, labels: $l }) { cluster { id } } }',
        vars: { n: 'c', l: { env: 'prod' } },
        table: 'cluster',
      },
      {
        query:
          'mutation($u: String!, $d: String) { createWebhookEndpoint(input: { url: $u, description: $d, eventTypes: ["alert.*"] }) { secret } }',
        vars: { u: 'https://hooks.example.invalid/x', d: 'd' },
        table: 'webhookEndpoint',
      },
      {
        query:
          'query($c: ID!, $f: DateTime, $l: Int) { healthHistory(clusterId: $c, from: $f, limit: $l) { at } }',
        vars: { c: '', f: '2026-01-01T00:00:00Z', l: 10 },
      },
      {
        query: 'query($f: Int, $a: String) { clusters(first: $f, after: $a) { totalCount } }',
        vars: { f: 10, a: null },
      },
    ];
    const count = (t: NonNullable<(typeof cases)[number]['table']>) =>
      (prisma[t] as unknown as { count(): Promise<number> }).count();
    const failures: string[] = [];
    for (let i = 0; i < GRAPHQL_CASES; i++) {
      const c = pick(cases);
      const vars = { ...c.vars, ...(c.vars['c'] === '' ? { c: clusterId } : {}) };
      const name = pick(Object.keys(vars));
      const value = pick(HOSTILE);
      // Unique names so a write that is allowed does not collide with an earlier one.
      const fuzzed = { ...vars, [name]: value, ...(name !== 'n' && 'n' in vars ? { n: `n${i}` } : {}) };
      const before = c.table ? await count(c.table) : 0;
      const res = await fetch(`${api.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ query: c.query, variables: fuzzed }),
      });
      const json = (await res.json()) as { errors?: Array<{ extensions?: { code?: string } }> };
      const label = `${c.query.slice(0, 40)} ${name}=${JSON.stringify(value)?.slice(0, 40)}`;
      if (res.status >= 500) failures.push(`${label} → HTTP ${res.status}`);
      const code = json.errors?.[0]?.extensions?.code;
      if (code === 'INTERNAL_SERVER_ERROR') failures.push(`${label} → INTERNAL_SERVER_ERROR`);
      if (json.errors && c.table && (await count(c.table)) !== before)
        failures.push(`${label} → half-written`);
    }
    assert.deepEqual(failures, []);
  });
});
