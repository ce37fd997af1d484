// LINKERD_INSTALL: precheck → CRDs → Established → issuer CSR → identity → control plane →
// rollout → post-check. Re-running the same install converges instead of failing.
import type { ReleaseBundlesResponse, TaskEnvelope } from '@meshfleet/agent-protocol';
import { applyRelease } from './apply-release';
import { bundleNamespace, bundleObjects } from './bundle-objects';
import { injectorNamespace, installedControlPlane } from './installed-control-plane';
import type { LifecycleContext } from './lifecycle-context';
import { lifecycleFailure } from './lifecycle-failure';
import { lifecycleOutput, type LifecycleOutput } from './lifecycle-output';
import { postcheck } from './postcheck';
import { missingGatewayApiCrds, pathDecision, unplaceableReplicas } from './precheck';
import { fetchVerifiedBundles } from './release-bundles';
import { runStep, skipStep } from './step';

type InstallTask = Extract<TaskEnvelope, { kind: 'LINKERD_INSTALL' }>;

export async function installLinkerd(ctx: LifecycleContext, task: InstallTask): Promise<LifecycleOutput> {
  const p = task.params;
  const ns = p.controlPlaneNamespace;
  let bundles: ReleaseBundlesResponse | undefined;
  await runStep(ctx, 'precheck', 'PRECHECK_FAILED', async () => {
    bundles = await fetchVerifiedBundles(ctx, p.release);
    const rendered = bundleNamespace(bundleObjects(bundles.controlPlane.yaml, ns));
    if (rendered && rendered !== ns) {
      throw lifecycleFailure('PRECHECK_FAILED', `the bundle installs into namespace ${rendered}, not ${ns}`);
    }
    const installed = await installedControlPlane(ctx.kube, ns);
    if (installed.present && installed.version !== p.release.version) {
      throw lifecycleFailure(
        'PRECHECK_FAILED',
        `Linkerd ${installed.version ?? '(unknown version)'} is already installed in ${ns}; upgrade it instead`,
      );
    }
    const other = await injectorNamespace(ctx.kube);
    if (other && other !== ns) {
      throw lifecycleFailure('PRECHECK_FAILED', `another Linkerd control plane runs in namespace ${other}`);
    }
    const decision = pathDecision(null, p.release.version, await ctx.kube.serverVersion());
    if (!decision.allowed) throw lifecycleFailure('PRECHECK_FAILED', decision.reason);
    const missing = await missingGatewayApiCrds(
      ctx.kube,
      p.release.version,
      bundleObjects(bundles.crds.yaml, ns),
    );
    if (missing.length) {
      throw lifecycleFailure(
        'PRECHECK_FAILED',
        `${p.release.version} needs the Gateway API CRDs, missing: ${missing.join(', ')}`,
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
      message: installed.present
        ? `${p.release.version} already installed in ${ns}: converging`
        : `ready to install ${p.release.version}${bundles.simulated ? ' (simulated release)' : ''}`,
    };
  });
  await applyRelease(ctx, { namespace: ns, bundles: bundles!, identity: p.identity, keepIssuer: false });
  await skipStep(ctx, 'data-plane-restart', 'existing pods join the mesh when restarted');
  let summary;
  await runStep(ctx, 'postcheck', 'POSTCHECK_FAILED', async () => {
    summary = await postcheck(ctx, { controlPlaneNamespace: ns, proxy: false });
    return { message: summary.summary.split('\n')[0] };
  });
  return lifecycleOutput(ctx, ns, summary!);
}
