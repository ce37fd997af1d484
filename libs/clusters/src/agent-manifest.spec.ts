import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseAllDocuments } from 'yaml';
import { renderAgentManifest } from './agent-manifest';
import { agentRbacRules, rulesAllow, type AgentMode } from './agent-rbac';

const render = (mode: AgentMode) =>
  parseAllDocuments(
    renderAgentManifest({
      clusterId: 'c1',
      clusterName: 'prod',
      apiUrl: 'https://meshfleet.example.com',
      bootstrapToken: 'mfb_x',
      image: 'agent:1',
      mode,
    }),
  ).map(
    (d) => d.toJS() as { kind: string; metadata: { labels?: Record<string, string> }; rules?: unknown[] },
  );

// What the agent's informers, `linkerd check` and the mTLS status read
// (agents/linkerd-agent/src/kube/cluster-informers.ts, cluster-ops.ts snapshot()).
const READ_BY_AGENT: Array<[string, string]> = [
  ['', 'namespaces'],
  ['', 'nodes'],
  ['', 'pods'],
  ['', 'configmaps'],
  ['', 'secrets'],
  ['', 'services'],
  ['', 'serviceaccounts'],
  ['apps', 'deployments'],
  ['apps', 'daemonsets'],
  ['apiextensions.k8s.io', 'customresourcedefinitions'],
  ['admissionregistration.k8s.io', 'mutatingwebhookconfigurations'],
  ['admissionregistration.k8s.io', 'validatingwebhookconfigurations'],
  ['apiregistration.k8s.io', 'apiservices'],
  ['rbac.authorization.k8s.io', 'clusterroles'],
  ['rbac.authorization.k8s.io', 'clusterrolebindings'],
];

describe('agent manifest', () => {
  for (const mode of ['MONITOR', 'MANAGED'] as const)
    it(`${mode}: the ClusterRole carries the mode's rules and every informer can get, list and watch`, () => {
      const role = render(mode).find((o) => o.kind === 'ClusterRole')!;
      assert.equal(role.metadata.labels?.['meshfleet.io/agent-mode'], mode.toLowerCase());
      assert.equal(role.rules?.length, agentRbacRules(mode).length);
      for (const [apiGroup, resource] of READ_BY_AGENT)
        for (const verb of ['get', 'list', 'watch'])
          assert.ok(rulesAllow(agentRbacRules(mode), { apiGroup, resource, verb }), `${verb} ${resource}`);
      assert.ok(
        rulesAllow(agentRbacRules(mode), {
          apiGroup: '',
          resource: 'pods/proxy',
          verb: 'get',
          name: 'web-1',
        }),
      );
    });

  it('MONITOR holds read verbs only', () => {
    for (const r of agentRbacRules('MONITOR'))
      for (const v of r.verbs)
        assert.ok(['get', 'list', 'watch'].includes(v), `${v} on ${r.resources.join(',')}`);
  });

  it('a reason for every rule, no wildcard, and bind/escalate only on named roles', () => {
    for (const r of agentRbacRules('MANAGED')) {
      assert.ok(r.reason.length > 15, r.resources.join(','));
      assert.ok(!r.apiGroups.includes('*') && !r.resources.includes('*') && !r.verbs.includes('*'));
      if (r.verbs.includes('bind') || r.verbs.includes('escalate')) assert.ok(r.resourceNames?.length);
    }
  });

  it('MANAGED cannot bind or escalate cluster-admin, nor write Secrets or roles that are not Linkerd’s', () => {
    const rules = agentRbacRules('MANAGED');
    const rbac = 'rbac.authorization.k8s.io';
    assert.ok(
      !rulesAllow(rules, { apiGroup: rbac, resource: 'clusterroles', verb: 'bind', name: 'cluster-admin' }),
    );
    assert.ok(
      !rulesAllow(rules, { apiGroup: rbac, resource: 'clusterroles', verb: 'escalate', name: 'edit' }),
    );
    assert.ok(!rulesAllow(rules, { apiGroup: rbac, resource: 'clusterroles', verb: 'create', name: 'mine' }));
    assert.ok(
      !rulesAllow(rules, { apiGroup: rbac, resource: 'clusterrolebindings', verb: 'create', name: 'x' }),
    );
    assert.ok(!rulesAllow(rules, { apiGroup: '', resource: 'secrets', verb: 'patch', name: 'db-password' }));
    assert.ok(
      !rulesAllow(rules, { apiGroup: '', resource: 'namespaces', verb: 'delete', name: 'kube-system' }),
    );
    assert.ok(
      rulesAllow(rules, {
        apiGroup: rbac,
        resource: 'clusterroles',
        verb: 'escalate',
        name: 'linkerd-policy',
      }),
    );
  });
});
