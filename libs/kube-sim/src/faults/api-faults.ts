// API-level faults for one cluster: error rates, latency, a full cut-off and denied access.
// The HTTP layer consults this before serving each request.
import { KubeError } from '../api/kube-error';

export interface ErrorFault {
  /** 0..1 share of requests that fail. */
  rate: number;
  code: 500 | 429;
}

export interface ApiFaultSnapshot {
  error?: ErrorFault;
  latencyMs: number;
  cutOff: boolean;
  /** Resources (plural names, or "*") that every verb is forbidden on. */
  deniedResources: string[];
}

export class ApiFaults {
  error: ErrorFault | undefined;
  latencyMs = 0;
  cutOff = false;
  deniedResources: string[] = [];
  /** Injectable for deterministic tests. */
  random: () => number = Math.random;

  snapshot(): ApiFaultSnapshot {
    return {
      ...(this.error ? { error: this.error } : {}),
      latencyMs: this.latencyMs,
      cutOff: this.cutOff,
      deniedResources: [...this.deniedResources],
    };
  }

  clear(): void {
    this.error = undefined;
    this.latencyMs = 0;
    this.cutOff = false;
    this.deniedResources = [];
  }

  /** The error this request should fail with, if the error fault fires. */
  injectedError(): KubeError | undefined {
    if (!this.error || this.random() >= this.error.rate) return undefined;
    return this.error.code === 429
      ? new KubeError(
          'TooManyRequests',
          'the server has received too many requests and has asked us to try again later',
          { retryAfterSeconds: 1 },
        )
      : new KubeError('InternalError', 'Internal error occurred: injected fault');
  }

  accessAllowed(_verb: string, resource: string): boolean {
    return !this.deniedResources.some((r) => r === '*' || r === resource);
  }

  assertAllowed(method: string, resource: string): void {
    if (this.accessAllowed(method, resource)) return;
    const verb =
      { GET: 'get', POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' }[method] ??
      method.toLowerCase();
    throw new KubeError(
      'Forbidden',
      `${resource} is forbidden: User "system:serviceaccount:meshfleet:agent" cannot ${verb} resource "${resource}"`,
      { kind: resource },
    );
  }
}
