// What installing metrics-server leaves in a cluster (its components.yaml, reduced to what the
// aggregator and a reader see): the Deployment, its Service on 443 → "https", and the
// v1beta1.metrics.k8s.io APIService pointing at it. Available once the pod is Ready.
import { KubeObject } from '../store/types';
import { METRICS_API_SERVICE, METRICS_GROUP, METRICS_VERSION } from './metrics-api';

export function metricsServerObjects(version = 'v0.7.2'): KubeObject[] {
  const ns = 'kube-system';
  const labels = { 'k8s-app': 'metrics-server' };
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'metrics-server', namespace: ns, labels } },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'metrics-server', namespace: ns, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: 'metrics-server',
            priorityClassName: 'system-cluster-critical',
            containers: [
              {
                name: 'metrics-server',
                image: `registry.k8s.io/metrics-server/metrics-server:${version}`,
                args: ['--cert-dir=/tmp', '--secure-port=10250', '--metric-resolution=15s'],
                ports: [{ name: 'https', containerPort: 10250, protocol: 'TCP' }],
                resources: { requests: { cpu: '100m', memory: '200Mi' } },
              },
            ],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'metrics-server', namespace: ns, labels },
      spec: {
        type: 'ClusterIP',
        selector: labels,
        ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 'https' }],
      },
    },
    {
      apiVersion: 'apiregistration.k8s.io/v1',
      kind: 'APIService',
      metadata: { name: METRICS_API_SERVICE, labels },
      spec: {
        group: METRICS_GROUP,
        version: METRICS_VERSION,
        service: { name: 'metrics-server', namespace: ns, port: 443 },
        insecureSkipTLSVerify: true,
        groupPriorityMinimum: 100,
        versionPriority: 100,
      },
    },
  ];
}
