// The `values` document of `linkerd-config`: the chart values the release was rendered with,
// minus private keys, as `linkerd check` and meshfleet's own parser read them back.
import { Document, visit } from 'yaml';
import { placeholder } from '../placeholders';
import { image, type RenderContext } from './render-context';

const CLUSTER_NETWORKS = '10.0.0.0/8,100.64.0.0/10,172.16.0.0/12,192.168.0.0/16,fd00::/8';
const PROXY_INIT_VERSION = 'v2.4.3';

export function chartValues(ctx: RenderContext): Record<string, unknown> {
  const tag = (ref: string): { name: string; version: string } => {
    const [name = ref, version = ''] = ref.split(/:(?=[^:]+$)/);
    return { name, version };
  };
  return {
    clusterDomain: 'cluster.local',
    clusterNetworks: CLUSTER_NETWORKS,
    cniEnabled: false,
    controllerImage: tag(image(ctx, 'controller')).name,
    controllerLogFormat: 'plain',
    controllerLogLevel: 'info',
    controllerReplicas: ctx.replicas,
    disableHeartBeat: false,
    enableEndpointSlices: true,
    enableH2Upgrade: true,
    enablePodAntiAffinity: ctx.ha,
    enablePodDisruptionBudget: ctx.ha,
    highAvailability: ctx.ha,
    identity: {
      externalCA: false,
      issuer: {
        clockSkewAllowance: '20s',
        issuanceLifetime: '24h0m0s',
        scheme: 'linkerd.io/tls',
        // The public issuer certificate is part of the values; its key never is.
        tls: { crtPEM: placeholder('issuerCertPEM') },
      },
    },
    identityTrustAnchorsPEM: placeholder('trustAnchorsPEM'),
    identityTrustDomain: placeholder('trustDomain'),
    imagePullPolicy: 'IfNotPresent',
    linkerdVersion: ctx.release.version,
    policyController: { image: tag(image(ctx, 'policy-controller')), logLevel: 'info' },
    proxy: {
      defaultInboundPolicy: 'all-unauthenticated',
      image: tag(image(ctx, 'proxy')),
      logLevel: 'warn,linkerd=info,hickory=error',
      nativeSidecar: nativeSidecar(ctx),
      ports: { admin: 4191, control: 4190, inbound: 4143, outbound: 4140 },
    },
    proxyInit: { image: { name: 'cr.l5d.io/linkerd/proxy-init', version: PROXY_INIT_VERSION } },
    proxyInjector: { externalSecret: false },
    webhookFailurePolicy: ctx.ha ? 'Fail' : 'Ignore',
  };
}

/** 2.20 injects the proxy as a native sidecar (init container with restartPolicy Always). */
export function nativeSidecar(ctx: RenderContext): boolean {
  return ctx.release.major >= 20;
}

/**
 * Emits the values as YAML with PEM tokens as block scalars (`|-` + token on its own line), the
 * only form in which a multi-line PEM can later replace the token and leave valid YAML.
 */
export function stringifyChartValues(values: unknown): string {
  const doc = new Document(values, { aliasDuplicateObjects: false });
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === 'string' && /^\{\{meshfleet\.\w+PEM\}\}$/.test(node.value)) {
        node.type = 'BLOCK_LITERAL';
      }
    },
  });
  return doc.toString({ lineWidth: 0 });
}
