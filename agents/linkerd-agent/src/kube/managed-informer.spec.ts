import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { KubernetesListObject, V1Pod } from '@kubernetes/client-node';
import { listAllPages } from './managed-informer';

/** A list served in pages of `limit` from `total` pods, recording what each call asked for. */
function pagedPods(total: number, calls: Array<{ limit: number; _continue?: string }>) {
  return async (page: { limit: number; _continue?: string }): Promise<KubernetesListObject<V1Pod>> => {
    calls.push(page);
    const from = page._continue ? Number(page._continue) : 0;
    const to = Math.min(total, from + page.limit);
    const items = Array.from({ length: to - from }, (_, i) => ({
      metadata: { name: `p${from + i}`, namespace: 'ns', annotations: { big: 'x'.repeat(10) } },
    }));
    return {
      items,
      metadata: { resourceVersion: '42', ...(to < total ? { _continue: String(to) } : {}) },
    };
  };
}

describe('paginated informer lists', () => {
  it('follows continue tokens until the last page and keeps the list resourceVersion', async () => {
    const calls: Array<{ limit: number; _continue?: string }> = [];
    const list = await listAllPages(pagedPods(1234, calls), undefined, 500);
    assert.equal(list.items.length, 1234);
    assert.deepEqual(
      list.items.slice(498, 502).map((p) => p.metadata?.name),
      ['p498', 'p499', 'p500', 'p501'],
    );
    assert.deepEqual(calls, [
      { limit: 500 },
      { limit: 500, _continue: '500' },
      { limit: 500, _continue: '1000' },
    ]);
    assert.equal(list.metadata?.resourceVersion, '42', 'the watch resumes from it');
    assert.equal(list.metadata?._continue, undefined);
  });

  it('strips every item of every page before it is kept', async () => {
    const list = await listAllPages(
      pagedPods(7, []),
      (p) => ({ metadata: { name: p.metadata!.name!, namespace: p.metadata!.namespace! } }),
      3,
    );
    assert.equal(list.items.length, 7);
    assert.ok(list.items.every((p) => p.metadata?.annotations === undefined));
  });

  it('asks once when everything fits one page', async () => {
    const calls: Array<{ limit: number; _continue?: string }> = [];
    const list = await listAllPages(pagedPods(3, calls));
    assert.equal(list.items.length, 3);
    assert.equal(calls.length, 1);
  });
});
