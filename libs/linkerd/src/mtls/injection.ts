// Injection setting (reference §3.4): annotation `linkerd.io/inject` on namespace, workload or pod.
import type { InjectionSetting } from '@meshfleet/agent-protocol';
import { ANNOTATION_INJECT } from '../constants';

export function injectionFrom(annotations: Record<string, string> | undefined): InjectionSetting | null {
  const v = annotations?.[ANNOTATION_INJECT];
  return v === 'enabled' || v === 'disabled' || v === 'ingress' ? v : null;
}
