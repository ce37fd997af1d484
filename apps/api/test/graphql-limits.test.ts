// GraphQL limits over HTTP with the default settings: fragment cycles, cost that counts page
// sizes, aliases, introspection for valid credentials only, and no schema hints in errors.
// Every refusal is a 4xx with a code, never a 500.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { startApi, type TestApi } from './harness';

/** Sends only the headers of a POST declaring `length` bytes; resolves with the status. */
function declare(url: string, length: number, key?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'content-length': String(length),
        ...(key ? { authorization: `Bearer ${key}` } : {}),
      },
    });
    const timer = setTimeout(() => reject(new Error(`no answer from ${url} without the body`)), 5_000);
    req.on('response', (res) => {
      clearTimeout(timer);
      resolve(res.statusCode ?? 0);
      res.resume();
      req.destroy();
    });
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    req.flushHeaders();
  });
}

async function post(
  api: TestApi,
  query: string,
  key?: string,
): Promise<{ status: number; json: { data?: any; errors?: Array<{ message: string; extensions?: any }> } }> {
  const res = await fetch(`${api.url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(key ? { authorization: `Bearer ${key}` } : {}),
    },
    body: JSON.stringify({ query }),
  });
  return { status: res.status, json: (await res.json()) as any };
}

const page = (first: number, alias = 'c') =>
  `${alias}: clusters(first: ${first}) { totalCount edges { node { id name provider region labels status
    kubernetesVersion nodeCount agentVersion lastSeenAt health { status errorCount warningCount } } } }`;

describe('GraphQL limits (defaults)', () => {
  let api: TestApi;
  let key: string;
  before(async () => {
    api = await startApi();
    ({ apiKey: key } = await api.newOrg('limits'));
  });
  after(() => api.close());

  it('refuses an impossible Content-Length from the headers, on every path, without waiting for the body', async () => {
    assert.equal(await declare(`${api.url}/graphql`, 99_999_999_999, key), 413);
    assert.equal(await declare(`${api.url}/healthz`, 99_999_999_999), 413);
    assert.equal(await declare(`${api.url}/no-such-path`, 99_999_999_999), 413);
  });

  it('answers a fragment cycle with 400 GRAPHQL_VALIDATION_FAILED, not a stack overflow', async () => {
    const r = await post(
      api,
      'query { viewer { ...F } } fragment F on Viewer { organization { id } ...F }',
      key,
    );
    assert.equal(r.status, 400);
    assert.equal(r.json.errors?.[0]?.extensions?.code, 'GRAPHQL_VALIDATION_FAILED');
    assert.match(r.json.errors![0]!.message, /Cannot spread fragment "F" within itself/);
  });

  it('multiplies a page by its size: first: 200 costs what first: 10 does twenty times', async () => {
    const small = await post(api, `{ ${page(10)} }`, key);
    assert.equal(small.status, 200, JSON.stringify(small.json.errors));
    assert.equal(small.json.errors, undefined);
    // Four pages of 200 with these fields cost > 10,000; one page of 200 does not.
    const one = await post(api, `{ ${page(200)} }`, key);
    assert.equal(one.json.errors, undefined, JSON.stringify(one.json.errors));
    const four = await post(api, `{ ${[1, 2, 3, 4].map((i) => page(200, `p${i}`)).join(' ')} }`, key);
    assert.equal(four.status, 400);
    assert.equal(four.json.errors?.[0]?.extensions?.code, 'QUERY_TOO_COMPLEX');
    assert.match(four.json.errors![0]!.message, /^Query is too complex: \d+ > 10000$/);
  });

  it('bounds aliases: 40 aliased pages are refused before anything resolves', async () => {
    const forty = await post(
      api,
      `{ ${Array.from({ length: 40 }, (_, i) => `a${i}: viewer { role }`).join(' ')} }`,
      key,
    );
    assert.equal(forty.status, 400);
    assert.equal(forty.json.errors?.[0]?.extensions?.code, 'QUERY_TOO_COMPLEX');
    assert.match(forty.json.errors![0]!.message, /40 aliases, more than 30/);
    const attack = await post(
      api,
      `{ ${Array.from({ length: 40 }, (_, i) => page(200, `x${i}`)).join(' ')} }`,
      key,
    );
    assert.equal(attack.status, 400);
    const thirty = await post(
      api,
      `{ ${Array.from({ length: 30 }, (_, i) => `a${i}: viewer { role }`).join(' ')} }`,
      key,
    );
    assert.equal(thirty.json.errors, undefined);
  });

  it('serves the IDE page outside production (it cannot introspect without a key)', async () => {
    const page = await fetch(`${api.url}/graphql`, { headers: { accept: 'text/html' } });
    assert.match(await page.text(), /<html/i);
  });

  it('introspects for a valid credential only, and gives no schema hints to anyone', async () => {
    const q = '{ __schema { queryType { name } } }';
    const anonymous = await post(api, q);
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.json.errors?.[0]?.extensions?.code, 'UNAUTHENTICATED');
    assert.equal(anonymous.json.data, undefined);
    const nested = await post(api, '{ viewer { role } t: __type(name: "Cluster") { fields { name } } }');
    assert.equal(nested.status, 401);
    const bad = await post(api, q, 'mfk_not_a_real_key_0123456789');
    assert.equal(bad.status, 401);
    const ok = await post(api, q, key);
    assert.equal(ok.status, 200);
    assert.equal(ok.json.data.__schema.queryType.name, 'Query');
    // __typename is not introspection.
    assert.equal((await post(api, '{ __typename }')).status, 200);
    const typo = await post(api, '{ clustrs { totalCount } }', key);
    assert.equal(typo.status, 400);
    assert.doesNotMatch(typo.json.errors![0]!.message, /Did you mean/);
  });
});

describe('GraphQL in production (NODE_ENV=production)', () => {
  let api: TestApi;
  let key: string;
  before(async () => {
    api = await startApi({ NODE_ENV: 'production' });
    ({ apiKey: key } = await api.newOrg('prod'));
  });
  after(() => api.close());

  it('turns introspection and the IDE off', async () => {
    const r = await post(api, '{ __schema { queryType { name } } }', key);
    assert.equal(r.status, 400);
    assert.match(r.json.errors![0]!.message, /introspection/i);
    const page = await fetch(`${api.url}/graphql`, { headers: { accept: 'text/html' } });
    assert.doesNotMatch(await page.text(), /<html/i, 'no IDE page');
    assert.notEqual((await fetch(`${api.url}/graphql/ide/graphiql.js`)).status, 200, 'no IDE assets');
  });
});
