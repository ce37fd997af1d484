// LINKERD_UPGRADE: path check → CRDs → control plane (same issuer, same trust roots) → rollout →
// installed extensions (Linkerd's order: control plane, extensions, data plane) → optional
// data-plane restart namespace by namespace → post-check including the proxies.
import type {
  ExtensionBundleResponse,
  ReleaseBundlesResponse,
  TaskEnvelope,
} from '@meshfleet/agent-protocol';
import { proxyVersion } from '@meshfleet/linkerd';
import { applyRelease } from './apply-release';
import { applyExtensionSteps, fetchVerifiedExtension } from './extension.task';
import { bundleObjects } from './bundle-objects';
import { meshedPods, restartDataPlane } from './data-plane';
import { installedControlPlane } from './installed-control-plane';
import type { LifecycleContext } from './lifecycle-context';
import { lifecycleFailure } from './lifecycle-failure';
import { lifecycleOutput, type LifecycleOutput } from './lifecycle-output';
import { postcheck, type PostcheckSummary } from './postcheck';
import { missingGatewayApiCrds, pathDecision, unplaceableReplicas } from './precheck';
import { fetchVerifiedBundles } from './release-bundles';
import { runStep, skipStep } from './step';

type UpgradeTask = Extract<TaskEnvelope, { kind: 'LINKERD_UPGRADE' }>;

export async function upgradeLinkerd(ctx: LifecycleContext, task: UpgradeTask): Promise<LifecycleOutput> {
  const p = task.params;
  const ns = p.controlPlaneNamespace;
  let bundles: ReleaseBundlesResponse | undefined;
  const extensions: Array<[ExtensionBundleResponse['extension'], ExtensionBundleResponse, string | null]> =
    [];
  await runStep(ctx, 'precheck', 'PRECHECK_FAILED', async () => {
    const installed = await installedControlPlane(ctx.kube, ns);
    if (!installed.present || !installed.version) {
      throw lifecycleFailure('NOT_INSTALLED', `no Linkerd control plane (linkerd-config) in namespace ${ns}`);
    }
    const proxies = [
      ...new Set((await meshedPods(ctx.kube, ns)).map(proxyVersion).filter((v): v is string => !!v)),
    ];
    const decision = pathDecision(
      installed.version,
      p.release.version,
      await ctx.kube.serverVersion(),
      proxies,
      p.allowDowngrade,
    );
    // SAME_VERSION is a retried upgrade: converge instead of refusing.
    if (!decision.allowed && decision.code !== 'SAME_VERSION') {
      throw lifecycleFailure('UPGRADE_PATH_REFUSED', decision.reason);
    }
    bundles = await fetchVerifiedBundles(ctx, p.release);
    // Every bundle is checked before anything changes, the extensions' too.
    for (const e of p.extensions)
      extensions.push([e.extension, await fetchVerifiedExtension(ctx, e), e.prometheusUrl]);
    const missing = await missingGatewayApiCrds(
      ctx.kube,
      p.release.version,
      bundleObjects(bundles.crds.yaml, ns),
    );
    if (missing.length) {
      throw lifecycleFailure(
        'PRECHECK_FAILED',
        `${p.release.version} needs the Gateway API CRDs, missing: ${missing.join(', ')}. ` +
          'Install them first (the Gateway API release bundle) and upgrade again',
      );
    }
    const unplaceable = await unplaceableReplicas(ctx.kube, bundleObjects(bundles.controlPlane.yaml, ns));
    if (unplaceable.length) {
      throw lifecycleFailure(
        'PRECHECK_FAILED',
        `the control plane cannot be placed on this cluster: ${unplaceable.join('; ')}`,
      );
    }
    return {
      message: decision.allowed
        ? `upgrading ${installed.version} → ${p.release.version}${extensions.length ? `, then ${extensions.map(([e]) => e).join(', ')}` : ''}`
        : `${p.release.version} already applied: converging`,
    };
  });
  await applyRelease(ctx, { namespace: ns, bundles: bundles!, identity: p.identity, keepIssuer: true });
  for (const [extension, bundle, prometheusUrl] of extensions)
    await applyExtensionSteps(ctx, extension, bundle, { prometheusUrl });
  if (p.restartDataPlane) {
    await runStep(ctx, 'data-plane-restart', 'DATA_PLANE_RESTART_FAILED', () =>
      restartDataPlane(ctx, ns, p.operationId),
    );
  } else {
    await skipStep(ctx, 'data-plane-restart', 'not requested; proxies update when their pods restart');
  }
  let summary: PostcheckSummary | undefined;
  await runStep(ctx, 'postcheck', 'POSTCHECK_FAILED', async () => {
    summary = await postcheck(ctx, { controlPlaneNamespace: ns, proxy: true });
    return { message: summary.summary.split('\n')[0] };
  });
  return lifecycleOutput(ctx, ns, summary!);
}
