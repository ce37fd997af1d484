// Services of the control plane; ports as the chart declares them (reference §3.3).
import type { KubeObject } from '../yaml-bundle';
import { componentLabels, kubeObject, type RenderContext } from './render-context';

interface ServiceSpec {
  name: string;
  component: string;
  ports: Array<{ name: string; port: number; targetPort: number | string }>;
  headless?: boolean;
}

const SERVICES: Record<'identity' | 'destination' | 'proxy-injector', ServiceSpec[]> = {
  identity: [
    {
      name: 'linkerd-identity',
      component: 'identity',
      ports: [{ name: 'grpc', port: 8080, targetPort: 8080 }],
    },
    {
      name: 'linkerd-identity-headless',
      component: 'identity',
      ports: [{ name: 'grpc', port: 8080, targetPort: 8080 }],
      headless: true,
    },
  ],
  destination: [
    {
      name: 'linkerd-dst',
      component: 'destination',
      ports: [{ name: 'grpc', port: 8086, targetPort: 8086 }],
    },
    {
      name: 'linkerd-dst-headless',
      component: 'destination',
      ports: [{ name: 'grpc', port: 8086, targetPort: 8086 }],
      headless: true,
    },
    {
      name: 'linkerd-sp-validator',
      component: 'destination',
      ports: [{ name: 'sp-validator', port: 443, targetPort: 'sp-validator' }],
    },
    {
      name: 'linkerd-policy',
      component: 'destination',
      ports: [{ name: 'grpc', port: 8090, targetPort: 8090 }],
      headless: true,
    },
    {
      name: 'linkerd-policy-validator',
      component: 'destination',
      ports: [{ name: 'policy-https', port: 443, targetPort: 'policy-https' }],
    },
  ],
  'proxy-injector': [
    {
      name: 'linkerd-proxy-injector',
      component: 'proxy-injector',
      ports: [{ name: 'proxy-injector', port: 443, targetPort: 'proxy-injector' }],
    },
  ],
};

export function renderServices(ctx: RenderContext, owner: keyof typeof SERVICES): KubeObject[] {
  return SERVICES[owner].map((s) =>
    kubeObject(
      ctx,
      'v1',
      'Service',
      s.name,
      {
        spec: {
          type: 'ClusterIP',
          ...(s.headless ? { clusterIP: 'None' } : {}),
          selector: { 'linkerd.io/control-plane-component': s.component },
          ports: s.ports.map((p) => ({ ...p, protocol: 'TCP' })),
        },
      },
      { labels: componentLabels(ctx, s.component) },
    ),
  );
}
