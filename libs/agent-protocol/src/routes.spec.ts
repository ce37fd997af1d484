import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_BODY_BYTES } from './limits';
import { AGENT_ERROR_STATUS, AGENT_ROUTE_NAMES, AGENT_ROUTES, agentRoutePath } from './routes';

describe('agent route table', () => {
  it('gives every POST a body schema and limit, every GET neither, every 204 no response', () => {
    for (const name of AGENT_ROUTE_NAMES) {
      const r = AGENT_ROUTES[name];
      if (r.method === 'POST') {
        assert.ok(r.body, `${name} body`);
        assert.ok(r.bodyLimit > 0, `${name} limit`);
      } else {
        assert.equal(r.body, null, `${name} body`);
        assert.equal(r.bodyLimit, 0, `${name} limit`);
      }
      assert.equal(r.response === null, r.status === 204, `${name} response`);
      assert.equal(r.params === null, !r.path.includes(':'), `${name} params`);
    }
  });

  it('never has two routes on the same method and path shape', () => {
    const shapes = AGENT_ROUTE_NAMES.map(
      (n) => `${AGENT_ROUTES[n].method} ${AGENT_ROUTES[n].path.replace(/:[A-Za-z]+/g, ':')}`,
    );
    assert.equal(new Set(shapes).size, shapes.length);
  });

  it('limits the issuer CSR body to what the API accepts, above the largest CSR the schema admits', () => {
    assert.equal(AGENT_ROUTES.issuerCsr.bodyLimit, MAX_BODY_BYTES.issuerCsr);
    const largest = JSON.stringify({ csrPem: `-----BEGIN CERTIFICATE REQUEST-----\n${'A\n'.repeat(8000)}` });
    assert.ok(AGENT_ROUTES.issuerCsr.body.safeParse(JSON.parse(largest)).success);
    assert.ok(Buffer.byteLength(largest) < MAX_BODY_BYTES.issuerCsr);
  });

  it('builds encoded paths with the query appended', () => {
    assert.equal(agentRoutePath(AGENT_ROUTES.taskEvent, { id: 'a/b c' }), '/agent/v1/tasks/a%2Fb%20c/events');
    assert.equal(
      agentRoutePath(AGENT_ROUTES.releaseBundles, { version: 'edge-26.6.3', variant: 'ha' }),
      '/agent/v1/releases/edge-26.6.3/ha',
    );
    assert.equal(
      agentRoutePath(AGENT_ROUTES.nextTask, {}, { waitSeconds: 25 }),
      '/agent/v1/tasks/next?waitSeconds=25',
    );
  });

  it('parses the long-poll wait as the API always has: absent is 0, negative or not a number is refused', () => {
    const q = AGENT_ROUTES.nextTask.query;
    assert.deepEqual(q.parse({}), { waitSeconds: 0 });
    assert.deepEqual(q.parse({ waitSeconds: '2.5' }), { waitSeconds: 2.5 });
    for (const bad of ['-1', 'soon', 'Infinity', ['1', '2']])
      assert.equal(q.safeParse({ waitSeconds: bad }).success, false, String(bad));
  });

  it('maps every error code to a 4xx or 5xx status', () => {
    for (const [code, status] of Object.entries(AGENT_ERROR_STATUS))
      assert.ok(status >= 400 && status < 600, code);
  });
});
