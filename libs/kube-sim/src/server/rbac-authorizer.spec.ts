import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import { BUILTIN_TYPES, resourceKey } from '../api/resource-types';
import { KubeError } from '../api/kube-error';
import { ObjectStore } from '../store/object-store';
import { authorize, type RbacPrincipal } from './rbac-authorizer';
import type { Target } from './resource-verbs';

const type = (plural: string) => BUILTIN_TYPES.find((t) => t.plural === plural)!;
const RBAC = 'rbac.authorization.k8s.io';

function request(body: unknown, contentType = 'application/apply-patch+yaml'): IncomingMessage {
  const s = new PassThrough();
  Object.assign(s, { headers: { 'content-type': contentType }, method: 'PATCH' });
  s.end(JSON.stringify(body));
  return s as unknown as IncomingMessage;
}

async function outcome(p: RbacPrincipal, t: Target, verb: string, body: unknown, store = new ObjectStore()) {
  try {
    const req = await authorize(p, request(body), t, verb, store);
    // The handler still gets the whole body.
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    assert.deepEqual(JSON.parse(Buffer.concat(chunks).toString()), body);
    return 'allowed';
  } catch (e) {
    assert.ok(e instanceof KubeError && e.reason === 'Forbidden', String(e));
    return 'forbidden';
  }
}

const reader: RbacPrincipal = {
  user: 'system:serviceaccount:x:agent',
  clusterRules: [
    { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
    {
      apiGroups: [RBAC],
      resources: ['clusterroles', 'clusterrolebindings'],
      verbs: ['get', 'create', 'patch'],
    },
  ],
  namespaceRules: {},
};
const podReader = { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list'] };
const secretsWriter = { apiGroups: [''], resources: ['secrets'], verbs: ['patch'] };
const role = (name: string, rules: unknown[]) => ({
  apiVersion: `${RBAC}/v1`,
  kind: 'ClusterRole',
  metadata: { name },
  rules,
});
const binding = (name: string, roleName: string) => ({
  apiVersion: `${RBAC}/v1`,
  kind: 'ClusterRoleBinding',
  metadata: { name },
  roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: roleName },
  subjects: [{ kind: 'ServiceAccount', name: 'x', namespace: 'x' }],
});

describe('RBAC for restricted tokens', () => {
  const roles: Target = { type: type('clusterroles'), version: 'v1', name: 'r' };
  const bindings: Target = { type: type('clusterrolebindings'), version: 'v1', name: 'b' };

  it('authorizes by verb, resource, subresource and resourceNames', async () => {
    const p: RbacPrincipal = {
      ...reader,
      clusterRules: [
        { apiGroups: [''], resources: ['pods/proxy'], verbs: ['get'], resourceNames: ['web-1'] },
      ],
    };
    const proxy = (name: string): Target => ({
      type: type('pods'),
      version: 'v1',
      namespace: 'a',
      name,
      subresource: 'proxy',
    });
    assert.equal(await outcome(p, proxy('web-1'), 'get', {}), 'allowed');
    assert.equal(await outcome(p, proxy('web-2'), 'get', {}), 'forbidden');
    assert.equal(
      await outcome(p, { type: type('pods'), version: 'v1', namespace: 'a', name: 'web-1' }, 'get', {}),
      'forbidden',
    );
  });

  it('lets a role grant only what its writer holds, unless it has escalate on that role', async () => {
    assert.equal(await outcome(reader, roles, 'patch', role('r', [podReader])), 'allowed');
    assert.equal(await outcome(reader, roles, 'patch', role('r', [secretsWriter])), 'forbidden');
    const escalate: RbacPrincipal = {
      ...reader,
      clusterRules: [
        ...reader.clusterRules,
        { apiGroups: [RBAC], resources: ['clusterroles'], verbs: ['escalate'], resourceNames: ['r'] },
      ],
    };
    assert.equal(await outcome(escalate, roles, 'patch', role('r', [secretsWriter])), 'allowed');
    assert.equal(
      await outcome(escalate, { ...roles, name: 'other' }, 'patch', role('other', [secretsWriter])),
      'forbidden',
    );
  });

  it('binds a role only with bind on it, or holding every permission it grants', async () => {
    const store = new ObjectStore();
    store.put(resourceKey(RBAC, 'clusterroles'), role('readers', [podReader]) as never);
    store.put(resourceKey(RBAC, 'clusterroles'), role('writers', [secretsWriter]) as never);
    assert.equal(await outcome(reader, bindings, 'patch', binding('b', 'readers'), store), 'allowed');
    assert.equal(await outcome(reader, bindings, 'patch', binding('b', 'writers'), store), 'forbidden');
    assert.equal(await outcome(reader, bindings, 'patch', binding('b', 'cluster-admin'), store), 'forbidden');
    const bind: RbacPrincipal = {
      ...reader,
      clusterRules: [
        ...reader.clusterRules,
        { apiGroups: [RBAC], resources: ['clusterroles'], verbs: ['bind'], resourceNames: ['writers'] },
      ],
    };
    assert.equal(await outcome(bind, bindings, 'patch', binding('b', 'writers'), store), 'allowed');
  });
});
