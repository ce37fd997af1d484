// The identity issuer: a new key made here whose CSR the API signs (install, rotation), or the one
// already in the cluster (upgrade, idempotent re-runs). Whatever is used is checked the way the
// identity controller checks it: a CA, matching its key, signed by one of the trust anchors.
import type { V1ConfigMap } from '@kubernetes/client-node';
import type { IssuerCsrResponse } from '@meshfleet/agent-protocol';
import {
  chainsToAny,
  ISSUER_SECRET,
  parseCertificateBundle,
  parseCertificatePem,
  TRUST_ROOTS_CONFIG_MAP,
  TRUST_ROOTS_KEY,
} from '@meshfleet/linkerd';
import type { ClusterOps } from '../../kube/cluster-ops';
import { errorMessage } from '../../util/errors';
import { TaskFailure } from '../task-failure';
import { certMatchesKey, createIssuerRequest, issuerSubject } from './agent-pki';
import type { LifecycleContext } from './lifecycle-context';
import { lifecycleFailure } from './lifecycle-failure';

export interface IssuerMaterial {
  certPem: string;
  keyPem: string;
}

/** Issuer cert and key from the cluster Secret (linkerd.io/tls or kubernetes.io/tls keys). */
export async function currentIssuer(ops: ClusterOps, namespace: string): Promise<IssuerMaterial | null> {
  const data = await ops.secretText(namespace, ISSUER_SECRET);
  const certPem = data?.['crt.pem'] ?? data?.['tls.crt'];
  const keyPem = data?.['key.pem'] ?? data?.['tls.key'];
  return certPem && keyPem ? { certPem, keyPem } : null;
}

export async function currentTrustRoots(ops: ClusterOps, namespace: string): Promise<string | null> {
  const cm = await ops.get<V1ConfigMap>({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    namespace,
    name: TRUST_ROOTS_CONFIG_MAP,
  });
  return cm?.data?.[TRUST_ROOTS_KEY] ?? null;
}

/** Why identity would refuse this issuer, or null when it is usable for at least `minDays`. */
export async function issuerProblem(
  issuer: IssuerMaterial,
  anchorsPem: string,
  opts: { trustDomain?: string; minDays?: number; now?: Date } = {},
): Promise<string | null> {
  const now = opts.now ?? new Date();
  let cert;
  try {
    cert = parseCertificatePem(issuer.certPem);
  } catch (e) {
    return `the issuer certificate cannot be read: ${errorMessage(e)}`;
  }
  if (!cert.isCA) return 'the issuer certificate is not a CA';
  if (opts.trustDomain && cert.subject !== issuerSubject(opts.trustDomain))
    return `the issuer subject is ${cert.subject}, expected ${issuerSubject(opts.trustDomain)}`;
  const left = (cert.notAfter.getTime() - now.getTime()) / 86_400_000;
  if (cert.notBefore > now || left <= (opts.minDays ?? 0))
    return `the issuer certificate is valid ${cert.notBefore.toISOString()} – ${cert.notAfter.toISOString()}`;
  if (!(await certMatchesKey(issuer.certPem, issuer.keyPem)))
    return 'the issuer certificate does not match its private key';
  const anchors = parseCertificateBundle(anchorsPem).certificates;
  if (!anchors.length) return 'the trust anchors hold no certificate';
  if (!(await chainsToAny(cert, anchors))) return 'the issuer is not signed by any trust anchor';
  return null;
}

/** New key in the cluster, CSR to the API, signed issuer back; verified before it is used. */
export async function issueNewIssuer(
  ctx: LifecycleContext,
  trustDomain: string,
): Promise<{ issuer: IssuerMaterial; signed: IssuerCsrResponse }> {
  const { csrPem, keyPem } = await createIssuerRequest(trustDomain);
  let signed: IssuerCsrResponse;
  try {
    signed = await ctx.signIssuerCsr(ctx.taskId, csrPem);
  } catch (e) {
    if (e instanceof TaskFailure) throw e;
    throw lifecycleFailure('CSR_REJECTED', `the API did not sign the issuer CSR: ${errorMessage(e)}`);
  }
  const issuer = { certPem: signed.issuerCertPem, keyPem };
  const problem = await issuerProblem(issuer, signed.trustAnchorsPem, { trustDomain });
  if (problem) throw lifecycleFailure('CSR_REJECTED', `the signed issuer is unusable: ${problem}`);
  return { issuer, signed };
}
