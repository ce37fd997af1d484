// The MANAGED agent's RBAC must cover every object of the catalog's extension bundles (applied
// by name, read back, deleted on uninstall and prune), and every role their bindings name.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseAllDocuments } from 'yaml';
import { allSimulatedExtensionBundles } from '@meshfleet/linkerd';
import { agentRbacRules, rulesAllow } from '@meshfleet/clusters';

const RESOURCE: Record<string, [string, string]> = {
  Namespace: ['', 'namespaces'],
  ConfigMap: ['', 'configmaps'],
  Secret: ['', 'secrets'],
  Service: ['', 'services'],
  ServiceAccount: ['', 'serviceaccounts'],
  Deployment: ['apps', 'deployments'],
  CustomResourceDefinition: ['apiextensions.k8s.io', 'customresourcedefinitions'],
  MutatingWebhookConfiguration: ['admissionregistration.k8s.io', 'mutatingwebhookconfigurations'],
  APIService: ['apiregistration.k8s.io', 'apiservices'],
  ClusterRole: ['rbac.authorization.k8s.io', 'clusterroles'],
  ClusterRoleBinding: ['rbac.authorization.k8s.io', 'clusterrolebindings'],
  Role: ['rbac.authorization.k8s.io', 'roles'],
  RoleBinding: ['rbac.authorization.k8s.io', 'rolebindings'],
  Server: ['policy.linkerd.io', 'servers'],
  AuthorizationPolicy: ['policy.linkerd.io', 'authorizationpolicies'],
  MeshTLSAuthentication: ['policy.linkerd.io', 'meshtlsauthentications'],
  NetworkAuthentication: ['policy.linkerd.io', 'networkauthentications'],
};

type Obj = { kind: string; metadata: { name: string }; roleRef?: { kind: string; name: string } };
const objects = (): Obj[] =>
  allSimulatedExtensionBundles().flatMap((b) =>
    parseAllDocuments(b.yaml)
      .map((d) => d.toJS() as Obj | null)
      .filter((o): o is Obj => !!o),
  );
const rules = agentRbacRules('MANAGED');
const monitor = agentRbacRules('MONITOR');

describe('the MANAGED agent RBAC against the extension bundles', () => {
  it('may apply, read and delete every object of viz and multicluster, MONITOR none', () => {
    const missing: string[] = [];
    for (const o of objects()) {
      const gr = RESOURCE[o.kind];
      if (!gr) {
        missing.push(`${o.kind} ${o.metadata.name}: kind unknown to the agent's RBAC`);
        continue;
      }
      const [apiGroup, resource] = gr;
      const name = o.metadata.name;
      for (const verb of ['get', 'create', 'patch', 'delete', 'list'])
        if (!rulesAllow(rules, { apiGroup, resource, verb, ...(verb === 'list' ? {} : { name }) }))
          missing.push(`${verb} ${o.kind} ${name}`);
      if (rulesAllow(monitor, { apiGroup, resource, verb: 'patch', name }))
        missing.push(`MONITOR patches ${o.kind}`);
    }
    assert.deepEqual([...new Set(missing)], []);
  });

  it('may bind every role the bundles bind, but not write the API server roles it binds', () => {
    for (const o of objects()) {
      if (!o.roleRef) continue;
      const resource = o.roleRef.kind === 'ClusterRole' ? 'clusterroles' : 'roles';
      const req = { apiGroup: 'rbac.authorization.k8s.io', resource, name: o.roleRef.name };
      assert.ok(
        rulesAllow(rules, { ...req, verb: 'bind' }),
        `${o.kind} → ${o.roleRef.kind} ${o.roleRef.name}`,
      );
    }
    const authDelegator = {
      apiGroup: 'rbac.authorization.k8s.io',
      resource: 'clusterroles',
      name: 'system:auth-delegator',
    };
    assert.equal(rulesAllow(rules, { ...authDelegator, verb: 'patch' }), false);
    assert.equal(rulesAllow(rules, { ...authDelegator, verb: 'delete' }), false);
  });
});
