// linkerd-config, the trust roots and the issuer Secret: every piece of identity material is a
// placeholder here, filled by the agent with what the identity domain issued for the cluster.
import { ISSUER_SECRET, LINKERD_CONFIG_MAP, TRUST_ROOTS_CONFIG_MAP, TRUST_ROOTS_KEY } from '../../constants';
import { placeholder } from '../placeholders';
import type { KubeObject } from '../yaml-bundle';
import { chartValues, stringifyChartValues } from './chart-values';
import { componentLabels, kubeObject, type RenderContext } from './render-context';

export function renderIdentityObjects(ctx: RenderContext): KubeObject[] {
  return [
    kubeObject(
      ctx,
      'v1',
      'ConfigMap',
      LINKERD_CONFIG_MAP,
      {
        data: {
          values: stringifyChartValues(chartValues(ctx)),
          'linkerd-crds-chart-version': `linkerd-crds-${chartVersion(ctx)}`,
        },
      },
      { labels: componentLabels(ctx, 'controller') },
    ),
    kubeObject(
      ctx,
      'v1',
      'ConfigMap',
      TRUST_ROOTS_CONFIG_MAP,
      { data: { [TRUST_ROOTS_KEY]: placeholder('trustAnchorsPEM') } },
      { labels: componentLabels(ctx, 'identity') },
    ),
    kubeObject(
      ctx,
      'v1',
      'Secret',
      ISSUER_SECRET,
      {
        data: {
          'crt.pem': placeholder('issuerCertPEM', 'base64'),
          'key.pem': placeholder('issuerKeyPEM', 'base64'),
        },
      },
      { labels: componentLabels(ctx, 'identity') },
    ),
  ];
}

/** Helm chart version: edge-YY.M.N → 20YY.M.N since edge-24.3.1; stable names keep 2.X.Y. */
export function chartVersion(ctx: RenderContext): string {
  const m = /^(?:edge|preview)-(\d+)\.(\d+)\.(\d+)$/.exec(ctx.release.version);
  return m ? `20${m[1]}.${m[2]}.${m[3]}` : ctx.release.version.replace(/^[a-z]+-/, '');
}
