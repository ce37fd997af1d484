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
});
