// The desired state in the cluster: a ConfigMap in the control-plane namespace holding the applied
// objects (never Secrets) gzipped, so an agent restart does not forget what Meshfleet applied.
// Written by server-side apply under the agent's manager, read once when the agent starts.
import { gunzipSync, gzipSync } from 'node:zlib';
import { DESIRED_STATE_CONFIGMAP } from '@meshfleet/agent-protocol';
import type { ClusterOps } from '../kube/cluster-ops';
import type { DesiredObject, DesiredSnapshot } from './desired-state';

const KEY = 'objects.json.gz';
const DIGEST = 'meshfleet.io/desired-digest';
const APPLIED_AT = 'meshfleet.io/applied-at';

export interface DesiredStore {
  save(s: DesiredSnapshot): Promise<void>;
  load(): Promise<Omit<DesiredSnapshot, 'generation'> | null>;
}

export function clusterDesiredStore(ops: Pick<ClusterOps, 'apply' | 'get'>, namespace: string): DesiredStore {
  return {
    async save(s) {
      await ops.apply({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: DESIRED_STATE_CONFIGMAP,
          namespace,
          labels: { 'app.kubernetes.io/managed-by': 'meshfleet' },
          annotations: { [DIGEST]: s.digest, [APPLIED_AT]: s.appliedAt },
        },
        binaryData: { [KEY]: gzipSync(JSON.stringify(s.objects)).toString('base64') },
      });
    },
    async load() {
      const cm = (await ops.get({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        namespace,
        name: DESIRED_STATE_CONFIGMAP,
      })) as {
        metadata?: { annotations?: Record<string, string> };
        binaryData?: Record<string, string>;
      } | null;
      const data = cm?.binaryData?.[KEY];
      const a = cm?.metadata?.annotations ?? {};
      if (!data || !a[DIGEST] || !a[APPLIED_AT]) return null;
      const objects = JSON.parse(gunzipSync(Buffer.from(data, 'base64')).toString('utf8')) as DesiredObject[];
      return { objects, digest: a[DIGEST], appliedAt: a[APPLIED_AT] };
    },
  };
}
