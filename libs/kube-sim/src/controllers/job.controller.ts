// Jobs, minimally: run `completions` pods; the kubelet completes them after the ready delay.
import type { SimCluster } from '../cluster/sim-cluster';
import { nowIso, randomSuffix } from '../api/object-service';
import { StoreEvent } from '../store/types';
import { Controller } from './controller-manager';
import { createPod, isOwnedBy, podPhase, selfAndOwnerKeys, splitKey } from './helpers';
import { PodTemplate, podFromTemplate } from './replicaset.controller';

export class JobController implements Controller {
  readonly name = 'job';
  constructor(private readonly cluster: SimCluster) {}

  keysFor(e: StoreEvent): string[] {
    return selfAndOwnerKeys(e, 'Job', 'CronJob');
  }

  reconcile(key: string): void {
    const [ns, name] = splitKey(key);
    const objects = this.cluster.objects;
    const jobType = this.cluster.type('batch', 'jobs');
    const podType = this.cluster.type('', 'pods');
    const job = objects.find(jobType, ns, name);
    if (!job || job.metadata.deletionTimestamp) return;
    const spec = job['spec'] as { completions?: number; template: PodTemplate };
    const completions = spec.completions ?? 1;
    const pods = objects.list(podType, ns).items.filter((p) => isOwnedBy(p, job));
    const succeeded = pods.filter((p) => podPhase(p) === 'Succeeded').length;
    const active = pods.filter((p) => ['Pending', 'Running'].includes(podPhase(p))).length;
    const missing = completions - succeeded - active;
    for (let i = 0; i < missing; i++) {
      // The labels the API server's Job defaulting puts on its pod template.
      const labels = {
        ...(spec.template.metadata?.labels ?? {}),
        'batch.kubernetes.io/controller-uid': job.metadata.uid ?? '',
        'batch.kubernetes.io/job-name': name,
        'controller-uid': job.metadata.uid ?? '',
        'job-name': name,
      };
      const template = {
        ...spec.template,
        metadata: { ...(spec.template.metadata ?? {}), labels },
        spec: { restartPolicy: 'Never', ...(spec.template.spec ?? {}) },
      };
      createPod(
        this.cluster,
        job,
        podFromTemplate(job, template, `${name}-${randomSuffix()}`),
        'job-controller',
      );
    }
    const prev = (job['status'] ?? {}) as { startTime?: string; completionTime?: string };
    const done = succeeded >= completions;
    const now = nowIso();
    objects.writeStatus(jobType, job, {
      startTime: prev.startTime ?? now,
      active: done ? 0 : Math.max(active, missing > 0 ? missing : 0),
      succeeded,
      ...(done
        ? {
            completionTime: prev.completionTime ?? now,
            conditions: [
              {
                type: 'Complete',
                status: 'True',
                lastProbeTime: prev.completionTime ?? now,
                lastTransitionTime: prev.completionTime ?? now,
              },
            ],
          }
        : {}),
    });
  }
}
