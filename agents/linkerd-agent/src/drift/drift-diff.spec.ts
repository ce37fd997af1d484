import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { diffObject, type KubeLike } from './drift-diff';
import { ownedPaths } from './field-paths';

const ctx = { selfManager: 'meshfleet-agent', hpaTargeted: false };

function deployment(replicas: number, extra: Partial<KubeLike['metadata']> = {}, annotations = {}): KubeLike {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'linkerd-destination', namespace: 'linkerd', resourceVersion: '9', uid: 'u', ...extra },
    spec: {
      replicas,
      template: {
        metadata: { annotations },
        spec: { containers: [{ name: 'destination', image: 'cr.l5d.io/linkerd/controller:edge-25.1.1' }] },
      },
    },
    status: { readyReplicas: 1 },
  };
}

const mf = (manager: string, fieldsV1: unknown, time = '2026-12-03T08:00:00Z') => ({
  manager,
  operation: manager === 'meshfleet-agent' ? 'Apply' : 'Update',
  time,
  fieldsV1,
});

describe('drift diff', () => {
  it('names the field and the manager that changed it', () => {
    const live = deployment(3, {
      managedFields: [
        mf('meshfleet-agent', { 'f:spec': { 'f:template': {} } }),
        mf('kubectl-edit', { 'f:spec': { 'f:replicas': {} } }, '2026-12-03T08:01:02Z'),
      ],
    });
    const [f, ...rest] = diffObject(deployment(1), live, ctx);
    assert.equal(rest.length, 0);
    assert.deepEqual(f, {
      reason: 'CHANGED',
      kind: 'Deployment',
      namespace: 'linkerd',
      name: 'linkerd-destination',
      path: 'spec.replicas',
      desired: '1',
      live: '3',
      manager: 'kubectl-edit',
      since: '2026-12-03T08:01:02Z',
    });
  });

  it('ignores server metadata, status and fields only another manager added', () => {
    const live = deployment(1, { resourceVersion: '77', generation: 4 });
    (live['spec'] as Record<string, unknown>)['paused'] = false;
    const dry = deployment(1, { resourceVersion: '78' });
    (dry['spec'] as Record<string, unknown>)['paused'] = false;
    live['status'] = { readyReplicas: 0 };
    assert.deepEqual(diffObject(dry, live, ctx), []);
  });

  it('a change Meshfleet itself made (its manager owns the live value) is not drift', () => {
    const live = deployment(2, {
      managedFields: [mf('meshfleet-agent', { 'f:spec': { 'f:replicas': {} } })],
    });
    assert.deepEqual(diffObject(deployment(1), live, ctx), []);
  });

  it('restartedAt and checksum annotations, and replicas under an HPA, are never drift', () => {
    const live = deployment(5, {}, { 'kubectl.kubernetes.io/restartedAt': 'now', 'checksum/config': 'b' });
    const dry = deployment(1, {}, { 'kubectl.kubernetes.io/restartedAt': 'then', 'checksum/config': 'a' });
    assert.deepEqual(diffObject(dry, live, { ...ctx, hpaTargeted: true }), []);
    assert.deepEqual(
      diffObject(dry, live, ctx).map((f) => f.path),
      ['spec.replicas'],
    );
  });

  it('addresses containers by name and attributes to the element owner', () => {
    const live = deployment(1, {
      managedFields: [
        mf('argocd-controller', {
          'f:spec': {
            'f:template': {
              'f:spec': {
                'f:containers': { 'k:{"name":"destination"}': { '.': {}, 'f:image': {}, 'f:name': {} } },
              },
            },
          },
        }),
      ],
    });
    ((live['spec'] as any).template.spec.containers[0] as Record<string, unknown>)['image'] = 'evil:1';
    const [f] = diffObject(deployment(1), live, ctx);
    assert.equal(f?.path, 'spec.template.spec.containers[name=destination].image');
    assert.equal(f?.manager, 'argocd-controller');
  });

  it('diffs a linkerd-config value inside its YAML document', () => {
    const cm = (level: string): KubeLike => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'linkerd-config', namespace: 'linkerd' },
      data: { values: `proxy:\n  logLevel: ${level}\n  image:\n    version: edge-25.1.1\n` },
    });
    const live = cm('debug');
    live.metadata!.managedFields = [mf('kubectl-patch', { 'f:data': { 'f:values': {} } })];
    const found = diffObject(cm('warn,linkerd=info'), live, ctx);
    assert.deepEqual(
      found.map((f) => [f.path, f.desired, f.live, f.manager]),
      [['data.values:proxy.logLevel', 'warn,linkerd=info', 'debug', 'kubectl-patch']],
    );
  });

  it('webhook caBundles are Linkerd self-mutation; Secret values are never reported', () => {
    const hook = (ca: string): KubeLike => ({
      kind: 'MutatingWebhookConfiguration',
      metadata: { name: 'linkerd-proxy-injector-webhook-config' },
      webhooks: [{ name: 'linkerd-proxy-injector.linkerd.io', clientConfig: { caBundle: ca } }],
    });
    assert.deepEqual(diffObject(hook('a'), hook('b'), ctx), []);
    const secret = (v: string): KubeLike => ({
      kind: 'Secret',
      metadata: { name: 's', namespace: 'linkerd' },
      data: { k: v },
    });
    const [f] = diffObject(secret('c2VjcmV0'), secret('b3RoZXI='), ctx);
    assert.equal(f?.desired, '(redacted)');
    assert.equal(f?.live, '(redacted)');
  });

  it('reads FieldsV1 keys as readable paths', () => {
    assert.deepEqual(
      [
        ...ownedPaths({
          'f:spec': { 'f:ports': { 'k:{"port":443,"protocol":"TCP"}': { '.': {}, 'f:port': {} } } },
        }),
      ],
      ['spec.ports[port=443,protocol=TCP]', 'spec.ports[port=443,protocol=TCP].port'],
    );
  });
});
