// Everything checks need, derived once per run from the snapshot (parsing certificates once).
import type { V1Pod } from '@kubernetes/client-node';
import { findConfigMap } from '../cluster/objects';
import { parseLinkerdConfig, type LinkerdConfigValues } from '../cluster/linkerd-config';
import { isDataPlanePodOf } from '../cluster/pods';
import { locateIssuer, locateTrustAnchors, type LocatedBundle } from '../certificates/identity-material';
import { LINKERD_CONFIG_MAP } from '../constants';
import type { ClusterSnapshot } from '../snapshot';
import { parseLinkerdVersion, type LinkerdVersion } from '../version/linkerd-version';
import { resolveCheckOptions, type CheckOptions, type ResolvedCheckOptions } from './check-options';

export interface CheckContext {
  snapshot: ClusterSnapshot;
  options: ResolvedCheckOptions;
  cpNs: string;
  now: Date;
  /** Present when `linkerd-config` exists and parses. */
  config: LinkerdConfigValues | null;
  configError: string | null;
  configMapExists: boolean;
  controlPlaneVersion: LinkerdVersion | null;
  latest: LinkerdVersion[];
  anchors: LocatedBundle | null;
  issuer: ReturnType<typeof locateIssuer>;
  /** Pods in the control-plane namespace. */
  controlPlanePods: V1Pod[];
  /** Pods injected by this control plane (in `dataPlaneNamespace` when set). */
  dataPlanePods: V1Pod[];
}

export function buildCheckContext(snapshot: ClusterSnapshot, options: CheckOptions = {}): CheckContext {
  const o = resolveCheckOptions(options);
  const cpNs = o.controlPlaneNamespace;
  const cm = findConfigMap(snapshot, cpNs, LINKERD_CONFIG_MAP);
  const parsed = cm ? parseLinkerdConfig(cm) : null;
  const config = parsed?.ok ? parsed.values : null;
  return {
    snapshot,
    options: o,
    cpNs,
    now: snapshot.now,
    config,
    configError: parsed && !parsed.ok ? parsed.error : null,
    configMapExists: cm !== undefined,
    controlPlaneVersion: config?.linkerdVersion ? parseLinkerdVersion(config.linkerdVersion) : null,
    latest: o.latestKnownVersions.map(parseLinkerdVersion).filter((v): v is LinkerdVersion => v !== null),
    anchors: locateTrustAnchors(snapshot, cpNs),
    issuer: locateIssuer(snapshot, cpNs),
    controlPlanePods: snapshot.pods.filter((p) => p.metadata?.namespace === cpNs),
    dataPlanePods: snapshot.pods.filter(
      (p) =>
        isDataPlanePodOf(p, cpNs) &&
        (o.dataPlaneNamespace === null || p.metadata?.namespace === o.dataPlaneNamespace),
    ),
  };
}

/** The CLI links hints of stable-2.X builds to the 2.X docs, everything else to /2/. */
export function hintUrl(ctx: CheckContext, anchor: string): string {
  const v = ctx.controlPlaneVersion;
  const base =
    v?.channel === 'stable' ? `https://linkerd.io/2.${v.parts[1]}/checks/` : 'https://linkerd.io/2/checks/';
  return `${base}#${anchor}`;
}
