// Fetches the two bundles of a release and refuses them unless both digests match the ones the
// task names: the task is the authority on what may be applied, the download is just transport.
import type { ReleaseBundlesResponse, ReleaseRef } from '@meshfleet/agent-protocol';
import { bundleDigest } from '@meshfleet/linkerd';
import { errorMessage } from '../../util/errors';
import { TaskFailure } from '../task-failure';
import type { LifecycleContext } from './lifecycle-context';
import { lifecycleFailure } from './lifecycle-failure';

export async function fetchVerifiedBundles(
  ctx: LifecycleContext,
  release: ReleaseRef,
): Promise<ReleaseBundlesResponse> {
  let bundles: ReleaseBundlesResponse;
  try {
    bundles = await ctx.fetchBundles(release);
  } catch (e) {
    if (e instanceof TaskFailure) throw e;
    throw lifecycleFailure(
      'BUNDLE_UNAVAILABLE',
      `cannot fetch release ${release.version} (${release.variant}): ${errorMessage(e)}`,
    );
  }
  if (bundles.version !== release.version || bundles.variant !== release.variant) {
    throw lifecycleFailure(
      'DIGEST_MISMATCH',
      `asked for ${release.version} (${release.variant}) but received ${bundles.version} (${bundles.variant})`,
    );
  }
  verify('CRDs', bundles.crds, release.crdsDigest);
  verify('control-plane', bundles.controlPlane, release.controlPlaneDigest);
  return bundles;
}

function verify(what: string, bundle: { yaml: string; digest: string }, expected: string): void {
  let actual: string;
  try {
    actual = bundleDigest(bundle.yaml);
  } catch (e) {
    throw lifecycleFailure('DIGEST_MISMATCH', `the ${what} bundle is not valid YAML: ${errorMessage(e)}`);
  }
  // Both the content and the label the API put on it must match what the task ordered.
  if (actual !== expected || bundle.digest !== expected) {
    throw lifecycleFailure(
      'DIGEST_MISMATCH',
      `the ${what} bundle has digest ${actual}, but the task expects ${expected}; nothing was applied`,
    );
  }
}
