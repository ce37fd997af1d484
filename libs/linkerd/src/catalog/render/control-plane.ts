// The control-plane bundle of a simulated release, in the order `linkerd install` prints it, so
// a plain apply creates namespaces, RBAC and config before the pods that need them.
import { ANNOTATION_INJECT, LABEL_CONTROL_PLANE_NS } from '../../constants';
import type { KubeObject } from '../yaml-bundle';
import { deployment, disruptionBudget } from './deployments';
import { renderIdentityObjects } from './identity-objects';
import { componentRbac, heartbeatRbac, policyRbac } from './rbac';
import { componentLabels, image, kubeObject, type RenderContext } from './render-context';
import { renderServices } from './services';
import { renderWebhookConfig, renderWebhookSecret } from './webhooks';

function namespace(ctx: RenderContext): KubeObject {
  return kubeObject(
    ctx,
    'v1',
    'Namespace',
    ctx.namespace,
    {},
    {
      namespaced: false,
      labels: {
        'linkerd.io/is-control-plane': 'true',
        'config.linkerd.io/admission-webhooks': 'disabled',
        [LABEL_CONTROL_PLANE_NS]: ctx.namespace,
        'pod-security.kubernetes.io/enforce': 'privileged',
      },
      annotations: { [ANNOTATION_INJECT]: 'disabled' },
    },
  );
}

// Reports anonymous usage to Linkerd upstream once a day; kept because real installs have it.
function heartbeat(ctx: RenderContext): KubeObject {
  const labels = componentLabels(ctx, 'heartbeat');
  const container = {
    name: 'heartbeat',
    image: image(ctx, 'controller'),
    args: ['heartbeat', `-controller-namespace=${ctx.namespace}`, '-log-level=info', '-log-format=plain'],
  };
  return kubeObject(
    ctx,
    'batch/v1',
    'CronJob',
    'linkerd-heartbeat',
    {
      spec: {
        schedule: '17 3 * * *',
        successfulJobsHistoryLimit: 0,
        jobTemplate: {
          spec: {
            template: {
              metadata: { labels, annotations: { 'linkerd.io/created-by': ctx.createdBy } },
              spec: {
                serviceAccountName: 'linkerd-heartbeat',
                restartPolicy: 'Never',
                containers: [container],
              },
            },
          },
        },
      },
    },
    { labels: { ...labels, 'app.kubernetes.io/name': 'heartbeat' } },
  );
}

export function renderControlPlane(ctx: RenderContext): KubeObject[] {
  return [
    namespace(ctx),
    ...componentRbac(ctx, 'identity'),
    ...componentRbac(ctx, 'destination'),
    ...renderWebhookSecret(ctx, 'sp-validator'),
    ...renderWebhookConfig(ctx, 'sp-validator'),
    ...renderWebhookSecret(ctx, 'policy-validator'),
    ...renderWebhookConfig(ctx, 'policy-validator'),
    ...policyRbac(ctx),
    ...heartbeatRbac(ctx),
    ...componentRbac(ctx, 'proxy-injector'),
    ...renderWebhookSecret(ctx, 'proxy-injector'),
    ...renderWebhookConfig(ctx, 'proxy-injector'),
    ...renderIdentityObjects(ctx),
    ...renderServices(ctx, 'identity'),
    ...disruptionBudget(ctx, 'identity'),
    deployment(ctx, 'identity'),
    ...renderServices(ctx, 'destination'),
    ...disruptionBudget(ctx, 'destination'),
    deployment(ctx, 'destination'),
    heartbeat(ctx),
    deployment(ctx, 'proxy-injector'),
    ...renderServices(ctx, 'proxy-injector'),
    ...disruptionBudget(ctx, 'proxy-injector'),
  ];
}
