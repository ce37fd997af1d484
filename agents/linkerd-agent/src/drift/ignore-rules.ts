// Linkerd's own self-mutations and the fields other controllers rightly own: never drift.
// (The same set Argo CD users hand-write as ignoreDifferences for Linkerd.)

/** An object carrying this annotation with value "disabled" is not checked. */
export const DRIFT_OPT_OUT = 'meshfleet.io/drift';

const ANNOTATION_RULES: RegExp[] = [
  // `kubectl rollout restart` and Meshfleet's own restarts.
  /\.annotations\.kubectl\.kubernetes\.io\/restartedAt$/,
  // The chart's re-render checksums (config, secrets) on pod templates.
  /\.annotations\.checksum\/[^.]*$/,
  /\.annotations\.linkerd\.io\/created-by$/,
  /\.annotations\.deployment\.kubernetes\.io\/revision$/,
];

export function ignoredPath(kind: string, path: string, ctx: { hpaTargeted: boolean }): boolean {
  if (ANNOTATION_RULES.some((r) => r.test(path))) return true;
  // Webhook CA bundles are re-issued with the serving certs (by Meshfleet or a cainjector).
  if (
    (kind === 'MutatingWebhookConfiguration' || kind === 'ValidatingWebhookConfiguration') &&
    /\.clientConfig\.caBundle$/.test(path)
  )
    return true;
  if (kind === 'APIService' && path === 'spec.caBundle') return true;
  if (ctx.hpaTargeted && path === 'spec.replicas') return true;
  return false;
}

/** Objects not compared at all: opted out, or Helm hooks that are deleted once they ran. */
export function skippedObject(o: { metadata?: { annotations?: Record<string, string> } }): boolean {
  const a = o.metadata?.annotations ?? {};
  return a[DRIFT_OPT_OUT] === 'disabled' || 'helm.sh/hook' in a;
}
