// The API's half of the lifecycle contract, in-process: release bundles from the simulated catalog
// and issuer signing with the fleet PKI (real crypto), both validated with the protocol schemas,
// plus a recorder of step events. The cluster side is the real kube-sim.
import {
  ExtensionBundleResponseSchema,
  type ExtensionBundleResponse,
  IssuerCsrResponseSchema,
  LIFECYCLE_STEPS,
  ReleaseBundlesResponseSchema,
  type ReleaseBundlesResponse,
  type ReleaseRef,
  type TaskEnvelope,
} from '@meshfleet/agent-protocol';
import { createTrustAnchor, signIssuerCsr } from '@meshfleet/pki';
import { bundleDigest, simulatedExtensionBundle, simulatedReleaseBundles } from '@meshfleet/linkerd';
import { parseAllDocuments, stringify } from 'yaml';
import type { ClusterOps } from '../src/kube/cluster-ops';
import type { LifecycleContext, StepStatus } from '../src/tasks/lifecycle/lifecycle-context';

export const TRUST_DOMAIN = 'cluster.local';

/** A cluster without Linkerd, on a Kubernetes both 2.19 and 2.20 support. */
export const PLAIN_CLUSTER = {
  name: 'plain',
  provider: 'aks' as const,
  region: 'westeurope',
  kubernetesVersion: '1.33.2',
  nodes: 2,
  namespaces: [
    {
      name: 'emojivoto',
      inject: 'enabled' as const,
      workloads: [
        { name: 'web', replicas: 1, port: 8080 },
        { name: 'emoji', replicas: 2, port: 8080 },
      ],
    },
    { name: 'legacy', workloads: [{ name: 'billing', replicas: 1, port: 80 }] },
  ],
};

export type Anchor = Awaited<ReturnType<typeof createTrustAnchor>>;

export interface RecordedEvent {
  step: string;
  status: StepStatus;
  message: string;
}

export type BundleSource = (
  version: string,
  variant: 'default' | 'ha',
) => { crds: { yaml: string; digest: string }; controlPlane: { yaml: string; digest: string } };

export function releaseRef(
  version: string,
  variant: 'default' | 'ha' = 'default',
  source: BundleSource = simulatedReleaseBundles,
): ReleaseRef {
  const b = source(version, variant);
  return { version, variant, crdsDigest: b.crds.digest, controlPlaneDigest: b.controlPlane.digest };
}

/**
 * The simulated render shaped like a real `linkerd install` / Helm render: the webhook serving
 * Secrets (`*-k8s-tls`) are left out although the Deployments mount them, and the webhooks carry
 * a literal dummy caBundle instead of a placeholder.
 */
export const realStyleBundles: BundleSource = (version, variant) => {
  const b = simulatedReleaseBundles(version, variant);
  const docs = parseAllDocuments(b.controlPlane.yaml)
    .map((d) => d.toJS() as Record<string, any> | null)
    .filter((o): o is Record<string, any> => !!o)
    .filter((o) => !(o.kind === 'Secret' && String(o.metadata?.name).endsWith('-k8s-tls')));
  for (const o of docs) {
    if (!String(o.kind).endsWith('WebhookConfiguration')) continue;
    for (const w of o.webhooks ?? [])
      w.clientConfig.caBundle = Buffer.from(`${o.metadata.name} dummy CA bundle`).toString('base64');
  }
  const yaml = docs.map((o) => stringify(o)).join('---\n');
  return { crds: b.crds, controlPlane: { yaml, digest: bundleDigest(yaml) } };
};

export class FakeApi {
  readonly events: RecordedEvent[] = [];
  csrCount = 0;
  constructor(
    readonly anchor: Anchor,
    private readonly source: BundleSource = simulatedReleaseBundles,
  ) {}

  static async create(source?: BundleSource): Promise<FakeApi> {
    return new FakeApi(await createTrustAnchor(TRUST_DOMAIN, 3650), source);
  }

  context(kube: ClusterOps, taskId: string, opts: { deadlineMs?: number } = {}): LifecycleContext {
    return {
      taskId,
      deadline: new Date(Date.now() + (opts.deadlineMs ?? 30_000)),
      signal: new AbortController().signal,
      kube,
      fetchBundles: async (release): Promise<ReleaseBundlesResponse> => {
        const b = this.source(release.version, release.variant);
        return ReleaseBundlesResponseSchema.parse({
          version: release.version,
          variant: release.variant,
          simulated: true,
          crds: { yaml: b.crds.yaml, digest: b.crds.digest },
          controlPlane: { yaml: b.controlPlane.yaml, digest: b.controlPlane.digest },
        });
      },
      fetchExtension: async (ref): Promise<ExtensionBundleResponse> => {
        const b = simulatedExtensionBundle(ref.version, ref.extension);
        return ExtensionBundleResponseSchema.parse({
          ...ref,
          namespace: b.namespace,
          simulated: true,
          yaml: b.yaml,
          digest: b.digest,
        });
      },
      signIssuerCsr: async (_taskId, csrPem) => {
        this.csrCount++;
        const issued = await signIssuerCsr({
          csrPem,
          trustDomain: TRUST_DOMAIN,
          anchorCertPem: this.anchor.certPem,
          anchorKeyPem: this.anchor.keyPem,
          validityDays: 365,
        });
        return IssuerCsrResponseSchema.parse({
          issuerCertPem: issued.certPem,
          trustAnchorsPem: this.anchor.certPem,
          notAfter: issued.notAfter.toISOString(),
        });
      },
      event: async (step, status, message) => {
        if (!(LIFECYCLE_STEPS as readonly string[]).includes(step)) throw new Error(`unknown step ${step}`);
        this.events.push({ step, status, message });
      },
    };
  }

  /** Final status per step of the events recorded since `from`. */
  outcomes(from = 0): Record<string, StepStatus> {
    const out: Record<string, StepStatus> = {};
    for (const e of this.events.slice(from)) if (e.status !== 'progress') out[e.step] = e.status;
    return out;
  }
}

const base = (id: string) => ({ id, issuedAt: new Date().toISOString(), attempt: 1 });

export const installTask = (
  id: string,
  release: ReleaseRef,
): Extract<TaskEnvelope, { kind: 'LINKERD_INSTALL' }> => ({
  ...base(id),
  kind: 'LINKERD_INSTALL',
  params: {
    operationId: `op-${id}`,
    controlPlaneNamespace: 'linkerd',
    release,
    identity: { mode: 'MANAGED', trustDomain: TRUST_DOMAIN },
    gatewayApiCrds: false,
  },
});

export const upgradeTask = (
  id: string,
  release: ReleaseRef,
): Extract<TaskEnvelope, { kind: 'LINKERD_UPGRADE' }> => ({
  ...base(id),
  kind: 'LINKERD_UPGRADE',
  params: {
    operationId: `op-${id}`,
    controlPlaneNamespace: 'linkerd',
    release,
    identity: { mode: 'MANAGED', trustDomain: TRUST_DOMAIN },
    restartDataPlane: true,
    allowDowngrade: false,
    extensions: [],
  },
});

export const uninstallTask = (
  id: string,
  force: boolean,
): Extract<TaskEnvelope, { kind: 'LINKERD_UNINSTALL' }> => ({
  ...base(id),
  kind: 'LINKERD_UNINSTALL',
  params: { operationId: `op-${id}`, controlPlaneNamespace: 'linkerd', force },
});

export const rotateTask = (id: string): Extract<TaskEnvelope, { kind: 'ROTATE_ISSUER' }> => ({
  ...base(id),
  kind: 'ROTATE_ISSUER',
  params: {
    operationId: `op-${id}`,
    controlPlaneNamespace: 'linkerd',
    identity: { mode: 'MANAGED', trustDomain: TRUST_DOMAIN },
  },
});

export const restartTask = (id: string): Extract<TaskEnvelope, { kind: 'RESTART_DATA_PLANE' }> => ({
  ...base(id),
  kind: 'RESTART_DATA_PLANE',
  params: { operationId: `op-${id}`, controlPlaneNamespace: 'linkerd', namespaces: [] },
});

/** Gateway API CRDs a cluster must bring for Linkerd 2.19+ (the platform team installs them). */
export function gatewayApiCrds(): Array<
  Record<string, unknown> & { apiVersion: string; kind: string; metadata: { name: string } }
> {
  return [
    ['grpcroutes', 'GRPCRoute'],
    ['httproutes', 'HTTPRoute'],
  ].map(([plural, kind]) => ({
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.gateway.networking.k8s.io` },
    spec: {
      group: 'gateway.networking.k8s.io',
      scope: 'Namespaced',
      names: { plural, kind, singular: kind!.toLowerCase(), listKind: `${kind}List` },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
        },
      ],
    },
  }));
}
