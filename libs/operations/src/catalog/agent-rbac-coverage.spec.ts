// The MANAGED agent's name-scoped RBAC must cover every object a release in the catalog holds:
// the agent server-side applies each one (create or patch by name), reads it back and deletes it
// on uninstall; Linkerd's roles need `escalate` and their bindings `bind` on the role's name.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseAllDocuments } from 'yaml';
import { allSimulatedReleaseBundles } from '@meshfleet/linkerd';
import { agentRbacRules, rulesAllow } from '@meshfleet/clusters';

const RESOURCE: Record<string, [string, string]> = {
  Namespace: ['', 'namespaces'],
  ConfigMap: ['', 'configmaps'],
  Secret: ['', 'secrets'],
  Service: ['', 'services'],
  ServiceAccount: ['', 'serviceaccounts'],
  Deployment: ['apps', 'deployments'],
  CronJob: ['batch', 'cronjobs'],
  PodDisruptionBudget: ['policy', 'poddisruptionbudgets'],
  CustomResourceDefinition: ['apiextensions.k8s.io', 'customresourcedefinitions'],
  MutatingWebhookConfiguration: ['admissionregistration.k8s.io', 'mutatingwebhookconfigurations'],
  ValidatingWebhookConfiguration: ['admissionregistration.k8s.io', 'validatingwebhookconfigurations'],
  ClusterRole: ['rbac.authorization.k8s.io', 'clusterroles'],
  ClusterRoleBinding: ['rbac.authorization.k8s.io', 'clusterrolebindings'],
  Role: ['rbac.authorization.k8s.io', 'roles'],
  RoleBinding: ['rbac.authorization.k8s.io', 'rolebindings'],
};

// The objects of `linkerd install` (linkerd2 cli/cmd/testdata/install_default.golden, plus the
// PodDisruptionBudgets of install_ha_output.golden): what a real render imported into the
// catalog holds, beyond the simulated releases.
const REAL_INSTALL: Array<[string, string]> = [
  ['Namespace', 'linkerd'],
  ['ClusterRole', 'linkerd-linkerd-identity'],
  ['ClusterRoleBinding', 'linkerd-linkerd-identity'],
  ['ServiceAccount', 'linkerd-identity'],
  ['ClusterRole', 'linkerd-linkerd-destination'],
  ['ClusterRoleBinding', 'linkerd-linkerd-destination'],
  ['ServiceAccount', 'linkerd-destination'],
  ['ValidatingWebhookConfiguration', 'linkerd-sp-validator-webhook-config'],
  ['ValidatingWebhookConfiguration', 'linkerd-policy-validator-webhook-config'],
  ['ClusterRole', 'linkerd-policy'],
  ['ClusterRoleBinding', 'linkerd-destination-policy'],
  ['Role', 'remote-discovery'],
  ['RoleBinding', 'linkerd-destination-remote-discovery'],
  ['Role', 'linkerd-heartbeat'],
  ['RoleBinding', 'linkerd-heartbeat'],
  ['ClusterRole', 'linkerd-heartbeat'],
  ['ClusterRoleBinding', 'linkerd-heartbeat'],
  ['ServiceAccount', 'linkerd-heartbeat'],
  ['ClusterRole', 'linkerd-linkerd-proxy-injector'],
  ['ClusterRoleBinding', 'linkerd-linkerd-proxy-injector'],
  ['ServiceAccount', 'linkerd-proxy-injector'],
  ['MutatingWebhookConfiguration', 'linkerd-proxy-injector-webhook-config'],
  ['ConfigMap', 'linkerd-config'],
  ['Role', 'ext-namespace-metadata-linkerd-config'],
  ['Secret', 'linkerd-identity-issuer'],
  ['ConfigMap', 'linkerd-identity-trust-roots'],
  ['Service', 'linkerd-identity'],
  ['Service', 'linkerd-identity-headless'],
  ['Deployment', 'linkerd-identity'],
  ['Service', 'linkerd-dst'],
  ['Service', 'linkerd-dst-headless'],
  ['Service', 'linkerd-sp-validator'],
  ['Service', 'linkerd-policy'],
  ['Service', 'linkerd-policy-validator'],
  ['Deployment', 'linkerd-destination'],
  ['CronJob', 'linkerd-heartbeat'],
  ['Deployment', 'linkerd-proxy-injector'],
  ['Service', 'linkerd-proxy-injector'],
  ['Secret', 'linkerd-config-overrides'],
  ['PodDisruptionBudget', 'linkerd-identity'],
  ['PodDisruptionBudget', 'linkerd-dst'],
  ['PodDisruptionBudget', 'linkerd-proxy-injector'],
  // Serving certificates the agent issues in the cluster for a CLI render's webhooks.
  ['Secret', 'linkerd-proxy-injector-k8s-tls'],
  ['Secret', 'linkerd-sp-validator-k8s-tls'],
  ['Secret', 'linkerd-policy-validator-k8s-tls'],
];

function simulatedObjects(): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const b of allSimulatedReleaseBundles())
    for (const yaml of [b.crds.yaml, b.controlPlane.yaml])
      for (const doc of parseAllDocuments(yaml)) {
        const o = doc.toJS() as { kind?: string; metadata?: { name?: string } } | null;
        if (o?.kind && o.metadata?.name) out.push([o.kind, o.metadata.name]);
      }
  return out;
}

const rules = agentRbacRules('MANAGED');
const monitor = agentRbacRules('MONITOR');

function assertCovered(objects: Array<[string, string]>): void {
  const missing: string[] = [];
  for (const [kind, name] of objects) {
    const gr = RESOURCE[kind];
    if (!gr) {
      missing.push(`${kind} ${name}: kind unknown to the agent's RBAC`);
      continue;
    }
    const [apiGroup, resource] = gr;
    for (const verb of ['get', 'create', 'patch', 'delete'])
      if (!rulesAllow(rules, { apiGroup, resource, verb, name })) missing.push(`${verb} ${kind} ${name}`);
    if (kind === 'ClusterRole' || kind === 'Role')
      for (const verb of ['escalate', 'bind'])
        if (!rulesAllow(rules, { apiGroup, resource, verb, name })) missing.push(`${verb} ${kind} ${name}`);
    // MONITOR never writes what a release holds.
    if (rulesAllow(monitor, { apiGroup, resource, verb: 'patch', name }))
      missing.push(`MONITOR patches ${kind}`);
  }
  assert.deepEqual(missing, []);
}

describe('the MANAGED agent RBAC against the release catalog', () => {
  it('covers every object of every simulated release (both variants, CRDs and control plane)', () => {
    const objects = simulatedObjects();
    assert.ok(objects.length > 100, `only ${objects.length} objects`);
    assertCovered(objects);
  });

  it('covers every object of a real `linkerd install` render (default and HA)', () => {
    assertCovered(REAL_INSTALL);
  });

  it('binds Linkerd’s roles only: each binding in a release references a role the agent may bind', () => {
    for (const b of allSimulatedReleaseBundles())
      for (const doc of parseAllDocuments(b.controlPlane.yaml)) {
        const o = doc.toJS() as { kind?: string; roleRef?: { kind: string; name: string } } | null;
        if (!o?.roleRef) continue;
        const resource = o.roleRef.kind === 'ClusterRole' ? 'clusterroles' : 'roles';
        assert.ok(
          rulesAllow(rules, {
            apiGroup: 'rbac.authorization.k8s.io',
            resource,
            verb: 'bind',
            name: o.roleRef.name,
          }),
          `${o.kind} → ${o.roleRef.kind} ${o.roleRef.name}`,
        );
      }
  });
});
