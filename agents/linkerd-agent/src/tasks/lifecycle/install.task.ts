// LINKERD_INSTALL: precheck → CRDs → Established → issuer CSR → identity → control plane →
// rollout → post-check. Re-running the same install converges instead of failing.
import type { ReleaseBundlesResponse, TaskEnvelope } from '@meshfleet/agent-protocol';
import { gatewayApiCrdObjects } from '@meshfleet/linkerd';
import { applyAll } from './apply';
import { applyRelease } from './apply-release';
import { bundleNamespace, bundleObjects, type BundleObject } from './bundle-objects';
import { waitCrdsEstablished } from './crds';
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
  let missingGatewayApi: string[] = [];
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
    if (missing.length && !p.gatewayApiCrds) {
      throw lifecycleFailure(
        'PRECHECK_FAILED',
        `${p.release.version} needs the Gateway API CRDs, missing: ${missing.join(', ')}. ` +
          'Install them first (the Gateway API release bundle), or pass gatewayApiCrds: true to installLinkerd',
      );
    }
    missingGatewayApi = missing;
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
  if (p.gatewayApiCrds) await installGatewayApiCrds(ctx, missingGatewayApi);
  else await skipStep(ctx, 'gateway-api-crds', 'not asked for (gatewayApiCrds: false)');
  await applyRelease(ctx, { namespace: ns, bundles: bundles!, identity: p.identity, keepIssuer: false });
  await skipStep(ctx, 'data-plane-restart', 'existing pods join the mesh when restarted');
  let summary;
  await runStep(ctx, 'postcheck', 'POSTCHECK_FAILED', async () => {
    summary = await postcheck(ctx, { controlPlaneNamespace: ns, proxy: false });
    return { message: summary.summary.split('\n')[0] };
  });
  return lifecycleOutput(ctx, ns, summary!);
}

/**
 * The Gateway API CRDs Linkerd's chart installs with installGatewayAPI, those the cluster lacks
 * only (CRDs already there, perhaps a newer bundle owned by a gateway controller, stay as they are),
 * then waits until they are Established. Always the release's required ones among them.
 */
async function installGatewayApiCrds(
  ctx: LifecycleContext,
  missingRequired: readonly string[],
): Promise<void> {
  await runStep(ctx, 'gateway-api-crds', 'APPLY_FAILED', async () => {
    const all = gatewayApiCrdObjects() as unknown as BundleObject[];
    const present = await Promise.all(
      all.map((c) =>
        ctx.kube.get({
          apiVersion: 'apiextensions.k8s.io/v1',
          kind: 'CustomResourceDefinition',
          name: c.metadata.name,
        }),
      ),
    );
    const toApply = all.filter((c, i) => !present[i] || missingRequired.includes(c.metadata.name));
    if (toApply.length === 0) return { skipped: true, message: 'the Gateway API CRDs are already installed' };
    await applyAll(ctx.kube, toApply);
    await waitCrdsEstablished(ctx, toApply);
    return { message: `installed ${toApply.map((c) => c.metadata.name).join(', ')}` };
  });
}
