import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { allowScrapesObjects, isAllowScrapesObject } from './allow-scrapes';

describe('allow-scrapes', () => {
  const objects = allowScrapesObjects('shop', { version: 'edge-26.8.3', vizNamespace: 'linkerd-viz' });

  it('renders the Server on the admin port, its two routes and the two policies, labelled for viz', () => {
    assert.deepEqual(
      objects.map((o) => `${o.kind}/${o.metadata.name}`),
      [
        'Server/proxy-admin',
        'HTTPRoute/proxy-metrics',
        'HTTPRoute/proxy-probes',
        'AuthorizationPolicy/prometheus-scrape',
        'AuthorizationPolicy/proxy-probes',
      ],
    );
    for (const o of objects) {
      assert.equal(o.metadata.namespace, 'shop');
      assert.equal(o.metadata.labels?.['linkerd.io/extension'], 'viz');
    }
    const scrape = objects[3] as any;
    assert.deepEqual(scrape.spec.targetRef, {
      group: 'policy.linkerd.io',
      kind: 'HTTPRoute',
      name: 'proxy-metrics',
    });
    assert.deepEqual(scrape.spec.requiredAuthenticationRefs, [
      { kind: 'ServiceAccount', name: 'prometheus', namespace: 'linkerd-viz' },
    ]);
    assert.equal((objects[0] as any).spec.port, 'linkerd-admin');
  });

  it('tells allow-scrapes objects in application namespaces from the bundle’s own', () => {
    assert.equal(
      isAllowScrapesObject({ kind: 'Server', name: 'proxy-admin', namespace: 'shop' }, 'linkerd-viz'),
      true,
    );
    assert.equal(
      isAllowScrapesObject({ kind: 'Server', name: 'tap-api', namespace: 'shop' }, 'linkerd-viz'),
      false,
    );
    assert.equal(
      isAllowScrapesObject({ kind: 'Server', name: 'proxy-admin', namespace: 'linkerd-viz' }, 'linkerd-viz'),
      false,
    );
  });
});
