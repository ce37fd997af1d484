// ROTATE_ISSUER: a new issuer key made in the cluster, its CSR signed by the API, written into the
// issuer Secret (identity hot-reloads it), then the identity checks must pass. The trust roots
// stay as they are, so the new issuer must chain to them.
import type { TaskEnvelope } from '@meshfleet/agent-protocol';
import { ISSUER_SECRET } from '@meshfleet/linkerd';
import { currentTrustRoots, issueNewIssuer, issuerProblem } from './issuer';
import { installedControlPlane } from './installed-control-plane';
import type { LifecycleContext } from './lifecycle-context';
import { lifecycleFailure } from './lifecycle-failure';
import { lifecycleOutput, type LifecycleOutput } from './lifecycle-output';
import { postcheck, type PostcheckSummary } from './postcheck';
import { runStep, skipStep } from './step';

type RotateTask = Extract<TaskEnvelope, { kind: 'ROTATE_ISSUER' }>;

export async function rotateIssuer(ctx: LifecycleContext, task: RotateTask): Promise<LifecycleOutput> {
  const { controlPlaneNamespace: ns, identity } = task.params;
  let roots = '';
  await runStep(ctx, 'precheck', 'PRECHECK_FAILED', async () => {
    if (!(await installedControlPlane(ctx.kube, ns)).present) {
      throw lifecycleFailure('NOT_INSTALLED', `no Linkerd control plane (linkerd-config) in namespace ${ns}`);
    }
    roots = (await currentTrustRoots(ctx.kube, ns)) ?? '';
    if (!roots)
      throw lifecycleFailure('PRECHECK_FAILED', `no trust roots (linkerd-identity-trust-roots) in ${ns}`);
  });
  if (identity.mode === 'EXTERNAL') {
    await skipStep(ctx, 'issuer', 'identity is managed by an external CA');
  } else {
    await runStep(ctx, 'issuer', 'CSR_REJECTED', async () => {
      const { issuer, signed } = await issueNewIssuer(ctx, identity.trustDomain);
      const problem = await issuerProblem(issuer, roots);
      if (problem) {
        throw lifecycleFailure(
          'IDENTITY_MATERIAL_INVALID',
          `the new issuer does not chain to the trust roots installed in the cluster (${problem}); rotate the trust anchors first`,
        );
      }
      const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
      // Merge patch, not apply: an apply of only `data` would drop the labels this manager owns.
      await ctx.kube.mergePatch(
        { apiVersion: 'v1', kind: 'Secret', namespace: ns, name: ISSUER_SECRET },
        { data: { 'crt.pem': b64(issuer.certPem), 'key.pem': b64(issuer.keyPem) } },
      );
      return { message: `issuer replaced, valid until ${signed.notAfter}` };
    });
  }
  let summary: PostcheckSummary | undefined;
  await runStep(ctx, 'postcheck', 'POSTCHECK_FAILED', async () => {
    summary = await postcheck(ctx, {
      controlPlaneNamespace: ns,
      proxy: false,
      categories: ['linkerd-identity'],
    });
    return { message: summary.summary.split('\n')[0] };
  });
  return lifecycleOutput(ctx, ns, summary!);
}
