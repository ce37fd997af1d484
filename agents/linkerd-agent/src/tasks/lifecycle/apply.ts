// Server-side apply of a list of objects, in bundle order (Namespace and RBAC before workloads).
import type { ClusterOps } from '../../kube/cluster-ops';
import { errorMessage } from '../../util/errors';
import { describeObject, type BundleObject } from './bundle-objects';
import { lifecycleFailure } from './lifecycle-failure';

export async function applyAll(ops: ClusterOps, objects: readonly BundleObject[]): Promise<void> {
  for (const o of objects) {
    try {
      await ops.apply(o);
    } catch (e) {
      // The message names the object only: bodies may hold Secret data.
      throw lifecycleFailure(
        'APPLY_FAILED',
        `server-side apply of ${describeObject(o)} failed: ${apiMessage(e)}`,
      );
    }
  }
}

function apiMessage(e: unknown): string {
  if (e && typeof e === 'object' && 'body' in e) {
    const body = (e as { body?: unknown }).body;
    const text = typeof body === 'string' ? body : JSON.stringify(body ?? '');
    try {
      const status = JSON.parse(text) as { message?: string };
      if (status.message) return status.message.slice(0, 500);
    } catch {
      /* not a Status */
    }
  }
  return errorMessage(e).slice(0, 500);
}
