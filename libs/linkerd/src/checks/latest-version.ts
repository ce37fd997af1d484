// "Is up to date" logic shared by the control-plane, proxy and viz checks.
import { compareLinkerdVersions, parseLinkerdVersion, type LinkerdVersion } from '../version/linkerd-version';
import type { CheckContext } from './check-context';

/** The latest known release on the same channel as `v`, if the caller told us one. */
export function latestFor(ctx: CheckContext, v: LinkerdVersion): LinkerdVersion | null {
  return ctx.latest.find((l) => l.channel === v.channel) ?? null;
}

/**
 * Null when current; otherwise why not. Against the latest release of its channel when known,
 * else (proxies only) against the control plane's version.
 */
export function outdatedReason(
  ctx: CheckContext,
  raw: string | null,
  compareToControlPlane: boolean,
): string | null {
  if (raw === null) return null; // digest-pinned: the CLI cannot judge it either
  const v = parseLinkerdVersion(raw);
  if (!v) return `is running an unrecognised version ${raw}`;
  const latest = latestFor(ctx, v);
  if (latest) {
    return (compareLinkerdVersions(v, latest) ?? 0) < 0
      ? `is running version ${v.raw} but the latest ${v.channel} version is ${latest.raw}`
      : null;
  }
  const cp = ctx.controlPlaneVersion;
  if (compareToControlPlane && cp) {
    const cmp = compareLinkerdVersions(v, cp);
    return cmp !== null && cmp < 0
      ? `is running version ${v.raw} but the control plane runs ${cp.raw}`
      : null;
  }
  return null;
}
