// What the lifecycle executor needs from the outside world: the API's half of the contract
// (release bundles, issuer signing, step events) and the cluster. Production wires the gateway
// client (gateway-lifecycle-context.ts); tests wire the catalog and PKI libraries directly.
import type {
  ExtensionBundleResponse,
  ExtensionName,
  IssuerCsrResponse,
  LifecycleStep,
  ReleaseBundlesResponse,
  ReleaseRef,
} from '@meshfleet/agent-protocol';
import type { ClusterOps } from '../../kube/cluster-ops';
import type { DesiredState } from '../../drift/desired-state';

export type StepStatus = 'started' | 'progress' | 'succeeded' | 'failed' | 'skipped';

export interface LifecycleContext {
  taskId: string;
  /** Waits give up at this instant (the task's deadlineAt, or a default). */
  deadline: Date;
  signal: AbortSignal;
  kube: ClusterOps;
  fetchBundles(release: ReleaseRef): Promise<ReleaseBundlesResponse>;
  fetchExtension(ref: { version: string; extension: ExtensionName }): Promise<ExtensionBundleResponse>;
  signIssuerCsr(taskId: string, csrPem: string): Promise<IssuerCsrResponse>;
  /** Where the applied control plane is kept as drift detection's desired state (absent in some tests). */
  desired?: Pick<DesiredState, 'record' | 'clear' | 'current' | 'restore'>;
  /** Best effort: never throws. */
  event(step: LifecycleStep, status: StepStatus, message: string): Promise<void>;
}
