// The simulator from outside, as kubectl and an operator would reach it: the Kubernetes API of one
// cluster through the kubeconfig fleet-sim wrote, and the fault admin API (/_sim) of the process.
import { readFile } from 'node:fs/promises';
import https from 'node:https';
import { join } from 'node:path';
import { parse } from 'yaml';

interface Kubeconfig {
  clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
  users: { user: { token: string } }[];
}

export interface SimResponse {
  status: number;
  body: any;
}

function request(
  url: string,
  ca: string,
  method: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<SimResponse> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = https.request(
      url,
      {
        method,
        ca,
        headers: {
          accept: 'application/json',
          ...(payload
            ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
            : {}),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // not JSON: keep the text
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

export interface SimulatedCluster {
  name: string;
  /** A request to the cluster's Kubernetes API (path like /api/v1/namespaces). */
  kube(method: string, path: string, body?: unknown, contentType?: string): Promise<SimResponse>;
  /** POST /_sim/clusters/<name>/faults. */
  injectFault(fault: Record<string, unknown>): Promise<SimResponse>;
  /** DELETE /_sim/clusters/<name>/faults: clears API and workload faults. */
  clearFaults(): Promise<SimResponse>;
}

/** `kubeconfigDir` is where fleet-sim wrote <cluster>.kubeconfig; `simulatorUrl` its ready line's URL. */
export async function simulatedCluster(
  simulatorUrl: string,
  kubeconfigDir: string,
  name: string,
): Promise<SimulatedCluster> {
  const kc = parse(await readFile(join(kubeconfigDir, `${name}.kubeconfig`), 'utf8')) as Kubeconfig;
  const server = kc.clusters[0]!.cluster.server;
  const ca = Buffer.from(kc.clusters[0]!.cluster['certificate-authority-data'], 'base64').toString('utf8');
  const token = kc.users[0]!.user.token;
  const faults = `${simulatorUrl}/_sim/clusters/${encodeURIComponent(name)}/faults`;
  return {
    name,
    kube: (method, path, body, contentType) =>
      request(`${server}${path}`, ca, method, body, {
        authorization: `Bearer ${token}`,
        ...(contentType ? { 'content-type': contentType } : {}),
      }),
    injectFault: (fault) => request(faults, ca, 'POST', fault),
    clearFaults: () => request(faults, ca, 'DELETE'),
  };
}
