// The identity controller's view of each control plane: whether its issuer is valid against
// the trust roots (re-checked when either object changes and when the issuer expires), the
// readiness gate that verdict puts on new meshed pods, and the events it records.
import type { SimCluster } from '../cluster/sim-cluster';
import { nowIso } from '../api/object-service';
import { podReady } from '../controllers/helpers';
import type { Controller } from '../controllers/controller-manager';
import { KubeObject, StoreEvent } from '../store/types';
import { CertAndKey, checkIssuer, IssuerProblem, parsePemBundle } from './certs';
import { hasProxy } from './proxy-spec';

export const ISSUER_SECRET = 'linkerd-identity-issuer';
export const TRUST_ROOTS = 'linkerd-identity-trust-roots';

interface IdentityState {
  problem: IssuerProblem | undefined;
  issuerNotAfter?: number;
}

export class LinkerdIdentity implements Controller {
  readonly name = 'linkerd';
  /** Trust anchors the simulator generated, so certificate faults can re-sign issuers. */
  readonly anchors = new Map<string, CertAndKey>();
  private readonly state = new Map<string, IdentityState>();
  private readonly checking = new Map<string, Promise<void>>();

  constructor(private readonly cluster: SimCluster) {}

  keysFor(e: StoreEvent): string[] {
    const n = e.object.metadata.name;
    if (
      (e.object.kind === 'Secret' && n === ISSUER_SECRET) ||
      (e.object.kind === 'ConfigMap' && n === TRUST_ROOTS)
    )
      return [e.object.metadata.namespace ?? ''];
    return [];
  }

  reconcile(ns: string): void {
    void this.recheck(ns);
  }

  /** The issuer problem for a control plane namespace (undefined = healthy). */
  problem(ns: string): IssuerProblem | undefined {
    return this.state.get(ns)?.problem;
  }

  /** When the issuer of a control plane namespace expires (ms since the epoch), if known. */
  issuerNotAfter(ns: string): number | undefined {
    return this.state.get(ns)?.issuerNotAfter;
  }

  /** Re-validates the issuer against the trust roots; re-evaluates pods when the verdict changes. */
  async recheck(ns: string): Promise<void> {
    const pending = this.checking.get(ns);
    if (pending) await pending;
    const run = this.validate(ns);
    this.checking.set(ns, run);
    try {
      await run;
    } finally {
      if (this.checking.get(ns) === run) this.checking.delete(ns);
    }
  }

  /** New meshed pods cannot get an identity while the issuer is broken; running ones keep theirs. */
  gate(pod: KubeObject): { container: string; reason: string } | undefined {
    if (podReady(pod)) return undefined;
    const cpNs = pod.metadata.labels?.['linkerd.io/control-plane-ns'];
    if (!cpNs || !hasProxy(pod)) return undefined;
    const problem = this.state.get(cpNs)?.problem;
    if (!problem) return undefined;
    const component = pod.metadata.labels?.['linkerd.io/control-plane-component'];
    return { container: component === 'identity' ? 'identity' : 'linkerd-proxy', reason: problem };
  }

  private async validate(ns: string): Promise<void> {
    const secret = this.cluster.objects.find(this.cluster.type('', 'secrets'), ns, ISSUER_SECRET);
    const roots = this.cluster.objects.find(this.cluster.type('', 'configmaps'), ns, TRUST_ROOTS);
    if (!secret && !roots) {
      this.state.delete(ns);
      return;
    }
    const data = (secret?.['data'] ?? {}) as Record<string, string>;
    const crt = data['crt.pem'] ?? data['tls.crt'];
    const issuerPem = crt ? Buffer.from(crt, 'base64').toString('utf8') : undefined;
    const rootsPem = (roots?.['data'] as Record<string, string> | undefined)?.['ca-bundle.crt'];
    const problem = await checkIssuer(issuerPem, rootsPem);
    let notAfter: number | undefined;
    try {
      notAfter = issuerPem ? parsePemBundle(issuerPem)[0]?.notAfter.getTime() : undefined;
    } catch {
      notAfter = undefined;
    }
    const before = this.state.get(ns)?.problem;
    this.state.set(ns, { problem, ...(notAfter ? { issuerNotAfter: notAfter } : {}) });
    if (before !== problem) {
      this.event(
        ns,
        problem ? 'IssuerValidationFailed' : 'IssuerUpdated',
        problem ? `issuer certificate is invalid: ${problem}` : 'Updated identity issuer',
      );
      this.cluster.controllers.kubelet.resyncAll();
    }
    // An issuer that is valid now expires later; look again then.
    if (!problem && notAfter)
      this.cluster.controllers.after(
        Math.min(Math.max(0, notAfter - Date.now() + 10), 2_000_000_000),
        () => void this.recheck(ns),
      );
  }

  private event(ns: string, reason: string, message: string): void {
    const events = this.cluster.type('', 'events');
    const nsObj = this.cluster.objects.find(this.cluster.type('', 'namespaces'), undefined, ns);
    if (!nsObj) return;
    const now = nowIso();
    this.cluster.objects.create(events, ns, {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { generateName: 'linkerd-identity.', namespace: ns },
      involvedObject: { kind: 'Deployment', namespace: ns, name: 'linkerd-identity', apiVersion: 'apps/v1' },
      reason,
      message,
      type: reason === 'IssuerValidationFailed' ? 'Warning' : 'Normal',
      source: { component: 'linkerd-identity' },
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    });
  }
}
