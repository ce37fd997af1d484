// Input that looks valid but no database column can hold — NUL characters, unpaired surrogates,
// counts past a Postgres integer, dates outside years 0001–9999 — is the caller's error: 400 or
// BAD_USER_INPUT naming the field, never a 500, and nothing is written.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  exampleEnrollRequest,
  exampleHealthReport,
  exampleHeartbeat,
  INT4_MAX,
} from '@meshfleet/agent-protocol';
import { agentCall, registerAndEnroll } from './agent-http';
import { startApi, type TestApi } from './harness';

const code = (r: { errors?: Array<{ extensions?: Record<string, unknown> }> }) =>
  r.errors?.[0]?.extensions?.['code'];

describe('input no column can hold', () => {
  let api: TestApi;
  let key: string;
  let cluster: { id: string; credential: string };

  before(async () => {
    api = await startApi();
    ({ apiKey: key } = await api.newOrg('inputs'));
    cluster = await registerAndEnroll(api, key, { name: 'inputs' });
  });
  after(() => api.close());

  it('refuses NUL and lone surrogates in GraphQL arguments, naming the field', async () => {
    for (const name of ['a\u0000b', 'a\ud800b', 'x\udc00']) {
      const r = await api.gql(
        'mutation($n: String!) { createApiKey(input: { name: $n, role: VIEWER }) { apiKey { id } } }',
        { n: name },
        key,
      );
      assert.equal(code(r), 'BAD_USER_INPUT', JSON.stringify(r.errors));
      assert.equal(r.errors![0]!.extensions!['field'], 'input.name');
    }
    const keys = await api.gql('{ apiKeys { name } }', {}, key);
    assert.ok(!keys.data!.apiKeys.some((k: { name: string }) => k.name.startsWith('a')), 'nothing written');
    const paired = await api.gql(
      'mutation($n: String!) { createApiKey(input: { name: $n, role: VIEWER }) { apiKey { name } } }',
      { n: 'emoji 😀' },
      key,
    );
    assert.equal(paired.errors, undefined, 'a surrogate pair is just text');
  });

  it('refuses dates that are not dates, or outside years 0001–9999, as BAD_USER_INPUT', async () => {
    for (const from of ['x', '0000-01-01T00:00:00Z', '9999-12-31T23:59:59-12:00', '2026-02-30T00:00:00Z']) {
      const r = await api.gql(
        'query($c: ID!, $f: DateTime) { healthHistory(clusterId: $c, from: $f) { at } }',
        { c: cluster.id, f: from },
        key,
      );
      assert.equal(code(r), 'BAD_USER_INPUT', `${from}: ${JSON.stringify(r.errors)}`);
    }
    const ok = await api.gql(
      'query($c: ID!, $f: DateTime) { healthHistory(clusterId: $c, from: $f) { at } }',
      { c: cluster.id, f: '2026-01-01T00:00:00Z' },
      key,
    );
    assert.equal(ok.errors, undefined);
  });

  it('answers 400 naming the path for such input on /agent/v1', async () => {
    const report = exampleHealthReport();
    const cases: Array<[string, unknown, string]> = [
      ['/heartbeat', { ...exampleHeartbeat(), agentVersion: 'a\u0000' }, 'agentVersion'],
      ['/heartbeat', { ...exampleHeartbeat(), agentVersion: '\ud800' }, 'agentVersion'],
      ['/reports', { ...report, agentVersion: 'v1\u0000' }, 'agentVersion'],
      ['/reports', { ...report, mtls: { ...report.mtls, totalPods: INT4_MAX + 1 } }, 'mtls.totalPods'],
      ['/reports', { ...report, generatedAt: '0000-01-01T00:00:00Z' }, 'generatedAt'],
      ['/reports', { ...report, generatedAt: '9999-12-31T23:59:59-12:00' }, 'generatedAt'],
    ];
    for (const [path, body, field] of cases) {
      const r = await agentCall(api, 'POST', path, cluster.credential, body);
      assert.equal(r.status, 400, `${path} ${field}: ${JSON.stringify(r.body)}`);
      assert.ok(
        JSON.stringify(r.body).includes(field),
        `${path}: the answer names ${field}: ${JSON.stringify(r.body)}`,
      );
    }
    const example = exampleEnrollRequest();
    const enroll = await agentCall(api, 'POST', '/enroll', undefined, {
      ...example,
      cluster: { ...example.cluster, nodeCount: 2 ** 31 },
    });
    assert.equal(enroll.status, 400, JSON.stringify(enroll.body));
    assert.match(JSON.stringify(enroll.body), /cluster\.nodeCount/);
  });
});
