// Small accessors over client-node objects, so checks read like the CLI's descriptions.
import type { V1ConfigMap, V1Namespace, V1Secret } from '@kubernetes/client-node';
import type { ClusterSnapshot } from '../snapshot';

export function findConfigMap(s: ClusterSnapshot, namespace: string, name: string): V1ConfigMap | undefined {
  return s.configMaps.find((c) => c.metadata?.namespace === namespace && c.metadata?.name === name);
}

export function findSecret(s: ClusterSnapshot, namespace: string, name: string): V1Secret | undefined {
  return s.secrets.find((c) => c.metadata?.namespace === namespace && c.metadata?.name === name);
}

export function findNamespace(s: ClusterSnapshot, name: string): V1Namespace | undefined {
  return s.namespaces.find((n) => n.metadata?.name === name);
}

/** A Secret value as UTF-8 text; Kubernetes stores `data` base64-encoded. */
export function secretText(secret: V1Secret | undefined, key: string): string | undefined {
  const b64 = secret?.data?.[key];
  if (b64 !== undefined) return Buffer.from(b64, 'base64').toString('utf8');
  return secret?.stringData?.[key];
}

export function hasSecretKey(secret: V1Secret | undefined, key: string): boolean {
  return secret?.data?.[key] !== undefined || secret?.stringData?.[key] !== undefined;
}

export function nameOf(o: { metadata?: { name?: string } }): string {
  return o.metadata?.name ?? '';
}
