// Workload-level faults: pods that crash, stall before starting, or never turn Ready (always,
// or only while they carry a linkerd-proxy: meshing breaks them, un-meshing heals them).
// Rules match pods by namespace and labels so they cover existing and future pods alike.

export type WorkloadFaultKind = 'crash' | 'stall' | 'notReady' | 'notReadyMeshed';

export interface WorkloadFaultRule {
  id: number;
  kind: WorkloadFaultKind;
  namespace: string;
  /** Every label here must be on the pod; empty = every pod in the namespace. */
  matchLabels: Record<string, string>;
}

export class WorkloadFaults {
  private rules: WorkloadFaultRule[] = [];
  private nextId = 1;

  add(kind: WorkloadFaultKind, namespace: string, matchLabels: Record<string, string>): WorkloadFaultRule {
    const rule = { id: this.nextId++, kind, namespace, matchLabels };
    this.rules.push(rule);
    return rule;
  }

  remove(id: number): void {
    this.rules = this.rules.filter((r) => r.id !== id);
  }

  clear(): void {
    this.rules = [];
  }

  list(): WorkloadFaultRule[] {
    return [...this.rules];
  }

  /** The first fault that applies to a pod, in rule order; `meshed`-only rules need a proxy. */
  match(
    namespace: string | undefined,
    labels: Record<string, string> = {},
    meshed = false,
  ): WorkloadFaultRule | undefined {
    return this.rules.find(
      (r) =>
        r.namespace === namespace &&
        (r.kind !== 'notReadyMeshed' || meshed) &&
        Object.entries(r.matchLabels).every(([k, v]) => labels[k] === v),
    );
  }
}
