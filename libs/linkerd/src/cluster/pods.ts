// Pod facts used by coverage and data-plane checks (reference §4.1).
import type { V1Container, V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { ANNOTATION_PROXY_VERSION, LABEL_CONTROL_PLANE_NS, PROXY_CONTAINER } from '../constants';

/** The proxy container: a regular container, or an init container when injected as a native sidecar. */
export function proxyContainer(pod: V1Pod): V1Container | undefined {
  return (
    pod.spec?.containers?.find((c) => c.name === PROXY_CONTAINER) ??
    pod.spec?.initContainers?.find((c) => c.name === PROXY_CONTAINER)
  );
}

export function proxyStatus(pod: V1Pod): V1ContainerStatus | undefined {
  return (
    pod.status?.containerStatuses?.find((c) => c.name === PROXY_CONTAINER) ??
    pod.status?.initContainerStatuses?.find((c) => c.name === PROXY_CONTAINER)
  );
}

/** Meshed = carries a linkerd-proxy container (regular or native sidecar). */
export function isMeshed(pod: V1Pod): boolean {
  return proxyContainer(pod) !== undefined;
}

/** Belongs to the data plane of this control plane (label written by the injector). */
export function isDataPlanePodOf(pod: V1Pod, controlPlaneNamespace: string): boolean {
  return pod.metadata?.labels?.[LABEL_CONTROL_PLANE_NS] === controlPlaneNamespace;
}

export function isProxyReady(pod: V1Pod): boolean {
  return proxyStatus(pod)?.ready === true;
}

export function podPhase(pod: V1Pod): string {
  return pod.status?.phase ?? 'Unknown';
}

export function isRunning(pod: V1Pod): boolean {
  return podPhase(pod) === 'Running';
}

/** Completed or terminated pods are skipped by the CLI's readiness checks. */
export function isFinished(pod: V1Pod): boolean {
  const phase = podPhase(pod);
  return phase === 'Succeeded' || phase === 'Failed';
}

export function isEvicted(pod: V1Pod): boolean {
  return pod.status?.reason === 'Evicted';
}

/** All containers (and native sidecars) ready: what "pods are ready" means in the CLI. */
export function allContainersReady(pod: V1Pod): boolean {
  const statuses = pod.status?.containerStatuses ?? [];
  const sidecars = (pod.status?.initContainerStatuses ?? []).filter((s) =>
    pod.spec?.initContainers?.some((c) => c.name === s.name && c.restartPolicy === 'Always'),
  );
  const all = [...statuses, ...sidecars];
  return all.length > 0 && all.every((s) => s.ready);
}

/** Tag of the proxy image; null when pinned by digest or untagged (reference §4.1). */
export function proxyImageTag(pod: V1Pod): string | null {
  const image = proxyContainer(pod)?.image;
  if (!image || image.includes('@')) return null;
  const lastSlash = image.lastIndexOf('/');
  const colon = image.lastIndexOf(':');
  return colon > lastSlash ? image.slice(colon + 1) : null;
}

/** Proxy version as the CLI sees it (image tag), falling back to the injector's annotation. */
export function proxyVersion(pod: V1Pod): string | null {
  return proxyImageTag(pod) ?? pod.metadata?.annotations?.[ANNOTATION_PROXY_VERSION] ?? null;
}

export function podKey(pod: V1Pod): string {
  return `${pod.metadata?.namespace ?? ''}/${pod.metadata?.name ?? ''}`;
}

export function envValue(container: V1Container | undefined, name: string): string | undefined {
  return container?.env?.find((e) => e.name === name)?.value;
}
