import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { exampleEnrollRequest } from '../examples';
import { parseMessage } from '../parse';
import { EnrollRequestSchema, EnrollResponseSchema } from './enroll.schema';

describe('enroll messages', () => {
  it('accepts a valid request with and without platform details', () => {
    assert.equal(parseMessage(EnrollRequestSchema, exampleEnrollRequest()).ok, true);
    const withPlatform = exampleEnrollRequest();
    withPlatform.cluster.platform = { containerRuntime: 'containerd://2.0.0', architecture: 'arm64' };
    assert.equal(parseMessage(EnrollRequestSchema, withPlatform).ok, true);
  });

  it('names the path of an unknown provider and a short token', () => {
    const bad = exampleEnrollRequest() as Record<string, unknown> & ReturnType<typeof exampleEnrollRequest>;
    bad.bootstrapToken = 'short';
    (bad.cluster as { provider: string }).provider = 'DIGITALOCEAN';
    const r = parseMessage(EnrollRequestSchema, bad);
    assert.equal(r.ok, false);
    if (!r.ok) assert.deepEqual(r.issues.map((i) => i.path).sort(), ['bootstrapToken', 'cluster.provider']);
  });

  it('bounds intervals in the response', () => {
    const response = {
      clusterId: 'c1',
      organizationId: 'o1',
      credential: 'mfc_0123456789abcdef',
      heartbeatIntervalSeconds: 15,
      reportIntervalSeconds: 60,
      taskPollTimeoutSeconds: 25,
    };
    assert.equal(parseMessage(EnrollResponseSchema, response).ok, true);
    const r = parseMessage(EnrollResponseSchema, { ...response, heartbeatIntervalSeconds: 0 });
    assert.equal(r.ok, false);
    if (!r.ok) assert.equal(r.issues[0]?.path, 'heartbeatIntervalSeconds');
  });
});
