// A kubeconfig per simulated cluster: token auth against the cluster's path-prefixed URL.
import { stringify } from 'yaml';

export function renderKubeconfig(name: string, server: string, token: string, caPem?: string): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name,
        cluster: {
          server,
          ...(caPem ? { 'certificate-authority-data': Buffer.from(caPem).toString('base64') } : {}),
        },
      },
    ],
    users: [{ name: `${name}-admin`, user: { token } }],
    contexts: [{ name, context: { cluster: name, user: `${name}-admin`, namespace: 'default' } }],
    'current-context': name,
    preferences: {},
  });
}
