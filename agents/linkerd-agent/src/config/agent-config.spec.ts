import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AgentConfigError, loadAgentConfig } from './agent-config';

describe('agent configuration', () => {
  it('applies the documented defaults', () => {
    const c = loadAgentConfig({});
    assert.deepEqual(c.secret, { namespace: 'meshfleet-system', name: 'meshfleet-agent' });
    assert.equal(c.port, 9090);
    assert.equal(c.linkerdNamespace, 'linkerd');
    assert.equal(c.certExpiryWarningDays, 60);
    assert.equal(c.apiUrl, null);
    assert.equal(c.bootstrapToken, null);
    assert.deepEqual(c.scrape, { concurrency: 8, timeoutMs: 5000, maxPods: 50 });
  });

  it('reads the development settings and trims the API URL', () => {
    const c = loadAgentConfig({
      MESHFLEET_API_URL: 'http://localhost:3000/',
      MESHFLEET_BOOTSTRAP_TOKEN: 'mfb_0123456789abcdef',
      KUBECONFIG: '/tmp/kc',
      MESHFLEET_AGENT_PORT: '0',
      MESHFLEET_AGENT_SECRET: 'ops/agent',
      MESHFLEET_CERT_EXPIRY_WARNING_DAYS: '30',
    });
    assert.equal(c.apiUrl, 'http://localhost:3000');
    assert.equal(c.bootstrapToken, 'mfb_0123456789abcdef');
    assert.equal(c.kubeconfigPath, '/tmp/kc');
    assert.equal(c.port, 0);
    assert.deepEqual(c.secret, { namespace: 'ops', name: 'agent' });
    assert.equal(c.certExpiryWarningDays, 30);
  });

  for (const [setting, value] of [
    ['MESHFLEET_API_URL', 'not a url'],
    ['MESHFLEET_AGENT_PORT', 'eighty'],
    ['MESHFLEET_AGENT_SECRET', 'no-slash'],
    ['MESHFLEET_SCRAPE_CONCURRENCY', '0'],
    ['LOG_LEVEL', 'loud'],
  ] as const) {
    it(`names ${setting} when it is invalid`, () => {
      assert.throws(
        () => loadAgentConfig({ [setting]: value }),
        (e: unknown) => e instanceof AgentConfigError && e.setting === setting && e.message.includes(setting),
      );
    });
  }

  it('never puts the bootstrap token into the error message', () => {
    assert.throws(
      () => loadAgentConfig({ MESHFLEET_BOOTSTRAP_TOKEN: 'short-secret' }),
      (e: unknown) => e instanceof AgentConfigError && !e.message.includes('short-secret'),
    );
  });
});
