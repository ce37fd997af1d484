// "opaque ports are properly annotated" (healthcheck.go checkMisconfiguredOpaquePortAnnotations):
// for every non-headless Service and every pod behind it, the `config.linkerd.io/opaque-ports`
// annotations of the two must agree on the ports the Service targets. Reproduced rule by rule,
// quirks included, so a cluster warns here exactly when the CLI warns:
// - annotation values are split on "," and each item parsed as a plain integer (a range such as
//   "4000-5000", or a space after a comma, is "failed to convert" as in the CLI);
// - only the first problem of each (Service, pod) pair is reported;
// - an int targetPort also "matches" an unnamed container port (Go compares the empty StrVal with
//   the empty port name).
// The CLI finds the pods through the Service's Endpoints (ready addresses with a Pod targetRef).
// The snapshot has no Endpoints; the pods are what the endpoints controller would put there: the
// Service's selector matches their labels, they have an IP, are not terminating and are ready.
// Services without a selector (hand-managed Endpoints) are therefore not checked.
import type { V1Pod, V1Service, V1ServicePort } from '@kubernetes/client-node';
import { allContainersReady, isFinished } from '../cluster/pods';

export const OPAQUE_PORTS_ANNOTATION = 'config.linkerd.io/opaque-ports';

class OpaquePortError extends Error {}

/** Go's strconv.Atoi on a port item: an optional sign and decimal digits only. */
function atoi(item: string, pod: V1Pod): number {
  if (!/^[+-]?\d+$/.test(item)) {
    throw new OpaquePortError(`failed to convert ${item} to port number for pod ${pod.metadata?.name ?? ''}`);
  }
  return Number.parseInt(item, 10);
}

function annotationPorts(annotations: Record<string, string> | undefined): string[] {
  const v = annotations?.[OPAQUE_PORTS_ANNOTATION];
  return v === undefined ? [] : v.split(',');
}

/**
 * corev1 IntOrString as Go sees it: Type 0 (int, IntVal) unless the JSON value is a string. The
 * API server defaults an omitted targetPort to the port, so the CLI never sees it unset; a
 * snapshot built without that defaulting gets it here.
 */
function targetPort(sp: V1ServicePort): { isInt: boolean; intVal: number; strVal: string } {
  const t = sp.targetPort as number | string | undefined;
  if (typeof t === 'string') return { isInt: false, intVal: 0, strVal: t };
  return { isInt: true, intVal: t ?? sp.port, strVal: '' };
}

function containerPorts(pod: V1Pod) {
  return [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].flatMap((c) => c.ports ?? []);
}

function checkPodPorts(svc: V1Service, pod: V1Pod, podPorts: string[], port: number): void {
  for (const sp of svc.spec?.ports ?? []) {
    if (sp.port !== port) continue;
    const tp = targetPort(sp);
    for (const cp of containerPorts(pod)) {
      if (cp.containerPort === tp.intVal || (cp.name ?? '') === tp.strVal) {
        const strPort = String(tp.isInt ? tp.intVal : cp.containerPort);
        if (podPorts.includes(strPort)) return;
        throw new OpaquePortError(
          `service ${svc.metadata?.name ?? ''} expects target port ${strPort} to be opaque; add it to pod ${pod.metadata?.name ?? ''} ${OPAQUE_PORTS_ANNOTATION} annotation`,
        );
      }
    }
  }
}

function checkServiceIntPorts(svc: V1Service, svcPorts: string[], port: number): boolean {
  const name = svc.metadata?.name ?? '';
  for (const sp of svc.spec?.ports ?? []) {
    const tp = targetPort(sp);
    if (tp.isInt && tp.intVal === 0 && sp.port === port) {
      throw new OpaquePortError(
        `service ${name} targets the opaque port ${port}; add it to its ${OPAQUE_PORTS_ANNOTATION} annotation`,
      );
    }
    if (tp.intVal === port) {
      if (svcPorts.includes(String(sp.port))) return true;
      throw new OpaquePortError(
        `service ${name} targets the opaque port ${port} through ${sp.port}; add ${sp.port} to its ${OPAQUE_PORTS_ANNOTATION} annotation`,
      );
    }
  }
  return false;
}

function checkServiceNamePorts(svc: V1Service, pod: V1Pod, port: number, svcPorts: string[]): void {
  for (const sp of svc.spec?.ports ?? []) {
    const tp = targetPort(sp);
    if (tp.strVal === '') continue;
    for (const cp of containerPorts(pod)) {
      if (cp.containerPort !== port || cp.name !== tp.strVal) continue;
      if (svcPorts.includes(String(sp.port))) return;
      throw new OpaquePortError(
        `service ${svc.metadata?.name ?? ''} targets the opaque port ${cp.name} through ${sp.port}; add ${sp.port} to its ${OPAQUE_PORTS_ANNOTATION} annotation`,
      );
    }
  }
}

/** The first disagreement between a Service and one pod behind it, or null. */
export function misconfiguredOpaqueAnnotation(svc: V1Service, pod: V1Pod): string | null {
  const svcPorts = annotationPorts(svc.metadata?.annotations);
  const podPorts = annotationPorts(pod.metadata?.annotations);
  try {
    // Ports the Service marks opaque must be opaque on the pod when the pod exposes them.
    for (const p of svcPorts) checkPodPorts(svc, pod, podPorts, atoi(p, pod));
    // Ports the pod marks opaque must be opaque on the Service when the Service targets them.
    for (const p of podPorts) {
      if (svcPorts.includes(p)) continue;
      const port = atoi(p, pod);
      if (checkServiceIntPorts(svc, svcPorts, port)) continue;
      checkServiceNamePorts(svc, pod, port, svcPorts);
    }
    return null;
  } catch (e) {
    if (e instanceof OpaquePortError) return e.message;
    throw e;
  }
}

/** The pods a selector Service's Endpoints would list as ready addresses. */
export function endpointPods(svc: V1Service, pods: readonly V1Pod[]): V1Pod[] {
  const selector = svc.spec?.selector;
  if (!selector || Object.keys(selector).length === 0) return [];
  const ns = svc.metadata?.namespace;
  return pods.filter((p) => {
    if (p.metadata?.namespace !== ns || p.metadata?.deletionTimestamp) return false;
    if (!p.status?.podIP || isFinished(p) || !allContainersReady(p)) return false;
    const labels = p.metadata?.labels ?? {};
    return Object.entries(selector).every(([k, v]) => labels[k] === v);
  });
}

/** Every problem over `services`, each line as the CLI prints it ("\t* ..."), with its namespace. */
export function opaquePortProblems(
  services: readonly V1Service[],
  pods: readonly V1Pod[],
): Array<{ namespace: string; line: string }> {
  const out: Array<{ namespace: string; line: string }> = [];
  // Pods grouped by namespace once: a Service only selects pods of its own namespace, and a
  // scan of every pod per Service was quadratic (800 Services × 4,000 pods per report).
  const byNamespace = new Map<string, V1Pod[]>();
  for (const pod of pods) {
    const ns = pod.metadata?.namespace ?? '';
    const list = byNamespace.get(ns);
    if (list) list.push(pod);
    else byNamespace.set(ns, [pod]);
  }
  for (const svc of services) {
    if (svc.spec?.clusterIP === 'None') continue; // headless: handled differently, as in the CLI
    for (const pod of endpointPods(svc, byNamespace.get(svc.metadata?.namespace ?? '') ?? [])) {
      const problem = misconfiguredOpaqueAnnotation(svc, pod);
      if (problem) out.push({ namespace: svc.metadata?.namespace ?? '', line: `\t* ${problem}` });
    }
  }
  return out;
}
