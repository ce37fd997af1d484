// The GraphQL IDE (GraphiQL shipped with the API) in a real headless Chromium: it renders from the
// API's own files with every other host blocked, takes an API key and runs a query with it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startApi, TestApi } from './harness';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

type CodeMirrorHost = { CodeMirror?: { getValue(): string; setValue(v: string): void } } | null;
/** In the page: the CodeMirror editor under `selector` (this project's TypeScript has no DOM types). */
type PageGlobal = { document: { querySelector(selector: string): CodeMirrorHost } };

/** Types `query` into GraphiQL's editor (CodeMirror), runs it and returns the result pane once it holds `expect`. */
async function run(page: Page, query: string, expect: string): Promise<string> {
  // Functions, not strings: a string would be eval'd in the page, which its CSP refuses.
  await page.evaluate((q) => {
    const g = globalThis as unknown as PageGlobal;
    g.document.querySelector('.graphiql-query-editor .CodeMirror')!.CodeMirror!.setValue(q);
  }, query);
  await page.click('.graphiql-execute-button');
  const handle = await page.waitForFunction(
    (needle) => {
      const g = globalThis as unknown as PageGlobal;
      const v = g.document.querySelector('.result-window .CodeMirror')?.CodeMirror?.getValue() ?? '';
      return v.includes(needle) ? v : false;
    },
    expect,
    { timeout: 20_000 },
  );
  return (await handle.jsonValue()) as string;
}

describe('GraphQL IDE in headless Chromium, offline', () => {
  let api: TestApi;
  let key: string;
  let org: string;
  let profile: string;
  let browser: BrowserContext;
  const offHost: string[] = [];
  const seen: string[] = [];

  before(async () => {
    api = await startApi();
    ({ apiKey: key, organizationId: org } = await api.newOrg('ide-org'));
    profile = await mkdtemp(join(tmpdir(), 'meshfleet-ide-chromium-'));
    // No skip: a machine without Chromium fails here (CI installs it).
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      serviceWorkers: 'block',
    });
    await browser.route('**/*', async (route) => {
      const url = route.request().url();
      seen.push(url);
      if (new URL(url).hostname === '127.0.0.1') return route.continue();
      offHost.push(url);
      return route.abort('blockedbyclient');
    });
    await browser.routeWebSocket(/.*/, (ws) => {
      const url = ws.url();
      seen.push(url);
      if (new URL(url).hostname === '127.0.0.1') return ws.connectToServer();
      offHost.push(url);
      return ws.close();
    });
  });
  after(async () => {
    await browser?.close();
    if (profile) await rm(profile, { recursive: true, force: true });
    await api?.close();
  });

  it('renders from the API alone, takes the key field and runs { viewer } with it', async () => {
    const page = await browser.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));

    const response = await page.goto(`${api.url}/graphql`, { waitUntil: 'load' });
    assert.equal(response?.status(), 200);
    const csp = response!.headers()['content-security-policy'] ?? '';
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.match(csp, /connect-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /https?:|unsafe-inline|unsafe-eval/);

    await page.waitForSelector('.graphiql-container .graphiql-query-editor .CodeMirror', { timeout: 20_000 });
    await page.fill('#meshfleet-api-key', key);
    await page.click('#meshfleet-key-apply');
    assert.equal(await page.textContent('#meshfleet-key-status'), 'key set');
    await page.waitForSelector('.graphiql-query-editor .CodeMirror');

    const json = JSON.parse(await run(page, '{ viewer { kind role organization { id name } } }', '"viewer"'));
    assert.equal(json.errors, undefined, JSON.stringify(json.errors));
    assert.deepEqual(json.data.viewer, {
      kind: 'API_KEY',
      role: 'ADMIN',
      organization: { id: org, name: 'ide-org' },
    });

    assert.deepEqual(offHost, [], `requests off 127.0.0.1: ${offHost.join(', ')}`);
    assert.ok(
      seen.some((u) => u.endsWith('/graphql/ide/graphiql.js')),
      'GraphiQL came from the API',
    );
    assert.ok(seen.every((u) => new URL(u).hostname === '127.0.0.1'));
    const cspErrors = consoleErrors.filter((t) => /Content Security Policy/i.test(t));
    assert.deepEqual(cspErrors, [], 'nothing the page needs is refused by its CSP');
    await page.close();
  });

  it('shows the GraphQL error code for a wrong key', async () => {
    const page = await browser.newPage();
    await page.goto(`${api.url}/graphql`);
    await page.waitForSelector('.graphiql-query-editor .CodeMirror', { timeout: 20_000 });
    await page.fill('#meshfleet-api-key', 'mfk_not_a_real_key_0123456789');
    await page.click('#meshfleet-key-apply');
    await page.waitForSelector('.graphiql-query-editor .CodeMirror');
    const text = await run(page, '{ viewer { role } }', 'UNAUTHENTICATED');
    assert.equal(JSON.parse(text).errors[0].extensions.code, 'UNAUTHENTICATED');
    assert.deepEqual(offHost, []);
    await page.close();
  });

  it('serves the assets with their content types and the same CSP', async () => {
    for (const [name, type] of [
      ['graphiql.js', /^text\/javascript/],
      ['graphiql.css', /^text\/css/],
      ['react.js', /^text\/javascript/],
      ['meshfleet-ide.js', /^text\/javascript/],
    ] as const) {
      const r = await fetch(`${api.url}/graphql/ide/${name}`);
      assert.equal(r.status, 200, name);
      assert.match(r.headers.get('content-type') ?? '', type, name);
      assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
      assert.match(r.headers.get('content-security-policy') ?? '', /default-src 'none'/);
      assert.ok((await r.arrayBuffer()).byteLength > 100);
    }
    const missing = await fetch(`${api.url}/graphql/ide/../../package.json`);
    assert.equal(missing.status, 404);
    const page = await (await fetch(`${api.url}/graphql`, { headers: { accept: 'text/html' } })).text();
    assert.doesNotMatch(page, /https?:\/\/(?!127\.0\.0\.1)/, 'the page names no other host');
    // A GraphQL client's GET still reaches GraphQL, not the page.
    const q = await fetch(`${api.url}/graphql?query=${encodeURIComponent('{ __typename }')}`, {
      headers: { accept: 'application/json', 'apollo-require-preflight': 'true' },
    });
    assert.deepEqual(await q.json(), { data: { __typename: 'Query' } });
  });
});

for (const [why, env] of [
  ['MESHFLEET_GRAPHQL_IDE=false', { MESHFLEET_GRAPHQL_IDE: 'false' }],
  ['introspection off (the IDE follows it)', { MESHFLEET_GRAPHQL_INTROSPECTION: 'off' }],
] as const) {
  describe(`GraphQL IDE switched off: ${why}`, () => {
    let api: TestApi;
    before(async () => {
      api = await startApi(env);
    });
    after(() => api.close());

    it('serves neither the page nor its assets', async () => {
      const page = await fetch(`${api.url}/graphql`, { headers: { accept: 'text/html' } });
      assert.doesNotMatch(await page.text(), /<html/i);
      const asset = await fetch(`${api.url}/graphql/ide/graphiql.js`);
      assert.notEqual(asset.status, 200);
    });
  });
}
