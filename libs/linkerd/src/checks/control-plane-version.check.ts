// control-plane-version (not with --proxy in the CLI; we report it in the same run).
import { outdatedReason } from './latest-version';
import { fail, ok, skip, type CategoryDefinition } from './check.types';

export const controlPlaneVersionCategory: CategoryDefinition = {
  name: 'control-plane-version',
  checks: () => [
    {
      description: 'can retrieve the control plane version',
      hintAnchor: 'l5d-version-control',
      fatal: true,
      run: (ctx) =>
        ctx.config?.linkerdVersion ? ok() : fail('linkerd-config does not carry values.linkerdVersion'),
    },
    {
      // The CLI asks versioncheck.linkerd.io; we use the caller's latestKnownVersion and skip without it.
      description: 'control plane is up-to-date',
      hintAnchor: 'l5d-version-control',
      warning: true,
      run: (ctx) => {
        const v = ctx.controlPlaneVersion;
        if (!v || !ctx.latest.some((l) => l.channel === v.channel)) return skip();
        const reason = outdatedReason(ctx, v.raw, false);
        return reason ? fail(reason) : ok();
      },
    },
  ],
};
