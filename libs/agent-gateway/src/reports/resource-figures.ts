// The resource figures a health sample keeps (the trend healthHistory shows): proxy memory in
// total and at its largest, proxy CPU in cores, and the control plane's memory; all null when the
// report carried no resource block (old agent, nothing measurable).
import type { ResourceUsage } from '@meshfleet/agent-protocol';

export interface ResourceSampleFigures {
  proxyMemoryBytes: number | null;
  proxyMemoryMaxBytes: number | null;
  proxyCpuCores: number | null;
  controlPlaneMemoryBytes: number | null;
}

export function resourceSampleFigures(r: ResourceUsage | null | undefined): ResourceSampleFigures {
  if (!r)
    return {
      proxyMemoryBytes: null,
      proxyMemoryMaxBytes: null,
      proxyCpuCores: null,
      controlPlaneMemoryBytes: null,
    };
  const cp = r.controlPlane.filter((c) => c.mem !== null);
  return {
    proxyMemoryBytes: r.proxy.mem,
    proxyMemoryMaxBytes: r.proxy.max,
    proxyCpuCores: r.proxy.cpu,
    controlPlaneMemoryBytes: cp.length ? cp.reduce((s, c) => s + (c.mem ?? 0), 0) : null,
  };
}
