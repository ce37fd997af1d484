// Stale trust bundle (reference §4.1, `linkerd-identity-data-plane`): a proxy keeps the anchors
// it was injected with until its pod restarts. Compared, in order of precision:
// 1. the proxy's env LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS against the current bundle (what the CLI does);
// 2. the injector's annotation `linkerd.io/trust-root-sha256` against the bundle's SHA-256 (hex).
// Whitespace around the bundle is not significant (the chart trims it), so both the raw and the
// trimmed bundle are accepted as "current".
import { createHash } from 'node:crypto';
import type { V1Pod } from '@kubernetes/client-node';
import { envValue, proxyContainer } from '../cluster/pods';
import { ANNOTATION_TRUST_ROOT_SHA256, TRUST_ANCHORS_ENV } from '../constants';
import { normalizePem } from '../certificates/pem';

const sha256Hex = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

/** SHA-256 digests under which the current bundle may have been recorded on a pod. */
export function trustBundleDigests(bundlePem: string): Set<string> {
  const trimmed = normalizePem(bundlePem);
  return new Set([sha256Hex(bundlePem), sha256Hex(trimmed), sha256Hex(`${trimmed}\n`)]);
}

/** true: stale, false: current, null: the pod carries neither signal (cannot tell). */
export function isTrustBundleStale(
  pod: V1Pod,
  bundlePem: string,
  digests = trustBundleDigests(bundlePem),
): boolean | null {
  const env = envValue(proxyContainer(pod), TRUST_ANCHORS_ENV);
  if (env !== undefined && env.trim() !== '') return normalizePem(env) !== normalizePem(bundlePem);
  const annotation = pod.metadata?.annotations?.[ANNOTATION_TRUST_ROOT_SHA256];
  if (annotation) return !digests.has(annotation.trim().toLowerCase());
  return null;
}
