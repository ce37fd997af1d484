import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isAlias, parseAllDocuments, visit } from 'yaml';
import { DomainError } from '@meshfleet/core';
import {
  assertAgentReachable,
  isLoopbackUrl,
  renderAgentHelmCommand,
  renderAgentManifest,
} from './agent-manifest';

const INPUT = {
  clusterId: 'c-1',
  clusterName: 'prod-eu-1',
  apiUrl: 'https://meshfleet.example.test',
  bootstrapToken: 'mfb_abcdefghijklmnopqrstuvwxyz',
  image: 'registry.example.test:5000/meshfleet/linkerd-agent:1.2.3',
  mode: 'MANAGED' as const,
};

describe('agent manifest rendering', () => {
  it('writes no YAML anchors or aliases, though objects share their labels', () => {
    const docs = parseAllDocuments(renderAgentManifest(INPUT));
    assert.ok(docs.length >= 8);
    let aliases = 0;
    for (const d of docs) {
      assert.deepEqual(d.errors, []);
      visit(d, {
        Node(_, node) {
          if (isAlias(node)) aliases++;
          if ('anchor' in node && node.anchor) aliases++;
        },
      });
    }
    assert.equal(aliases, 0);
    // The labels are still there in every object.
    for (const d of docs)
      assert.equal((d.toJS() as any).metadata.labels['app.kubernetes.io/part-of'], 'meshfleet');
  });

  it('tells loopback URLs from reachable ones', () => {
    for (const u of [
      'http://localhost:3000',
      'http://LOCALHOST',
      'http://api.localhost:3000',
      'http://127.0.0.1:3000',
      'http://127.8.9.10',
      'http://0.0.0.0:3000',
      'http://[::1]:3000',
      'http://[::ffff:127.0.0.1]/',
    ])
      assert.equal(isLoopbackUrl(u), true, u);
    for (const u of [
      'https://meshfleet.example.test',
      'http://10.0.0.5:3000',
      'http://[2001:db8::1]/',
      'http://localhost.example.test',
    ])
      assert.equal(isLoopbackUrl(u), false, u);
  });

  it('refuses a loopback API URL with FAILED_PRECONDITION naming the setting, unless allowed', () => {
    assert.throws(
      () => assertAgentReachable('http://localhost:3000', false),
      (e: unknown) =>
        e instanceof DomainError &&
        e.code === 'FAILED_PRECONDITION' &&
        e.details['reason'] === 'PUBLIC_URL_IS_LOCAL' &&
        /MESHFLEET_PUBLIC_URL/.test(e.message),
    );
    assert.doesNotThrow(() => assertAgentReachable('http://localhost:3000', true));
    assert.doesNotThrow(() => assertAgentReachable('https://meshfleet.example.test', false));
  });

  it('renders a helm command with every value, quoted for the shell and escaped for --set', () => {
    const cmd = renderAgentHelmCommand({
      ...INPUT,
      clusterName: "it's,odd",
      chart: './charts/meshfleet-agent',
    });
    assert.match(cmd, /^helm install meshfleet-agent \.\/charts\/meshfleet-agent /);
    assert.match(cmd, /--set-string mode=managed/);
    assert.match(
      renderAgentHelmCommand({ ...INPUT, mode: 'MONITOR', chart: 'x' }),
      /--set-string mode=monitor/,
    );
    assert.match(cmd, /--namespace meshfleet-system --create-namespace/);
    assert.match(cmd, /--set-string token=mfb_abcdefghijklmnopqrstuvwxyz/);
    assert.match(
      cmd,
      /--set-string image\.repository=registry\.example\.test:5000\/meshfleet\/linkerd-agent /,
    );
    assert.match(cmd, /--set-string image\.tag=1\.2\.3/);
    assert.ok(cmd.includes(`--set-string clusterName='it'\\''s\\,odd'`), cmd);
  });
});
