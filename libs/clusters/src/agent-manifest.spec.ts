import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AGENT_CLUSTER_RULES } from './agent-manifest';

const grants = (group: string, resource: string, verb: string) =>
  AGENT_CLUSTER_RULES.some(
    (r) => r.apiGroups.includes(group) && r.resources.includes(resource) && r.verbs.includes(verb),
  );

// What the agent's informers and postcheck read (agents/linkerd-agent/src/kube/cluster-informers.ts).
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

describe('agent ClusterRole', () => {
  it('lets every informer get, list and watch its resource', () => {
    for (const [group, resource] of READ_BY_AGENT)
      for (const verb of ['get', 'list', 'watch'])
        assert.ok(grants(group, resource, verb), `${verb} ${group || 'core'}/${resource}`);
  });

  it('lets the agent write the serving Secrets and patch caBundles of webhooks and APIServices', () => {
    for (const verb of ['create', 'patch']) assert.ok(grants('', 'secrets', verb), `${verb} secrets`);
    assert.ok(grants('admissionregistration.k8s.io', 'mutatingwebhookconfigurations', 'patch'));
    assert.ok(grants('admissionregistration.k8s.io', 'validatingwebhookconfigurations', 'patch'));
    assert.ok(grants('apiregistration.k8s.io', 'apiservices', 'patch'));
  });

  it('says why for every rule and never grants everything', () => {
    for (const r of AGENT_CLUSTER_RULES) assert.ok(r.why.length > 10, r.resources.join(','));
    assert.ok(!AGENT_CLUSTER_RULES.some((r) => r.apiGroups.includes('*') && r.resources.includes('*')));
  });
});
