import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ObjectStore } from './object-store';

const cm = (name: string, namespace = 'default') => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace },
});

describe('object store', () => {
  it('uses one resourceVersion counter across resources', () => {
    const s = new ObjectStore();
    const a = s.put('/configmaps', cm('a'));
    const b = s.put('/secrets', cm('b'));
    assert.equal(Number(b.metadata.resourceVersion), Number(a.metadata.resourceVersion) + 1);
  });
  it('replays events since a version and refuses versions older than its window', () => {
    const s = new ObjectStore(3);
    for (const n of ['a', 'b', 'c', 'd']) s.put('/configmaps', cm(n));
    assert.deepEqual(
      s.eventsSince('/configmaps', 3)?.map((e) => e.object.metadata.name),
      ['d'],
    );
    assert.equal(s.eventsSince('/configmaps', 0), undefined);
  });
  it('lists one namespace in namespace/name order and forgets what was removed from it', () => {
    const s = new ObjectStore();
    for (const [name, ns] of [
      ['b', 'team-b'],
      ['c', 'team-a'],
      ['a', 'team-a'],
      ['a', 'team-b'],
    ] as const)
      s.put('/configmaps', cm(name, ns));
    s.put('/configmaps', { ...cm('c', 'team-a'), data: { k: 'v' } });
    const names = (ns?: string) =>
      s.list('/configmaps', ns).map((o) => `${o.metadata.namespace}/${o.metadata.name}`);
    assert.deepEqual(names('team-a'), ['team-a/a', 'team-a/c']);
    assert.deepEqual(names(), ['team-a/a', 'team-a/c', 'team-b/a', 'team-b/b']);
    // The namespaced list holds the newest version of an object, as the full list does.
    assert.deepEqual(s.list('/configmaps', 'team-a')[1]?.['data'], { k: 'v' });
    s.remove('/configmaps', cm('a', 'team-b'));
    s.remove('/configmaps', cm('b', 'team-b'));
    assert.deepEqual(names('team-b'), []);
    assert.deepEqual(names(), ['team-a/a', 'team-a/c']);
    assert.deepEqual(s.list('/secrets', 'team-a'), []);
  });
});
