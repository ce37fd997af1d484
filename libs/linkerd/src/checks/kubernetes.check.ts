// kubernetes-api and kubernetes-version (reference §2.2).
import {
  compareKubernetesVersions,
  formatKubernetesVersion,
  minimumKubernetesFor,
  parseKubernetesVersion,
} from '../version/kubernetes-version';
import { fail, ok, type CategoryDefinition } from './check.types';

export const kubernetesApiCategory: CategoryDefinition = {
  name: 'kubernetes-api',
  checks: () => [
    // The agent built its snapshot through a client, so this one is true by construction.
    { description: 'can initialize the client', hintAnchor: 'k8s-api', fatal: true, run: () => ok() },
    {
      description: 'can query the Kubernetes API',
      hintAnchor: 'k8s-api',
      fatal: true,
      run: (ctx) =>
        ctx.snapshot.kubernetesVersion
          ? ok()
          : fail('could not read the server version from the Kubernetes API'),
    },
  ],
};

export const kubernetesVersionCategory: CategoryDefinition = {
  name: 'kubernetes-version',
  checks: () => [
    {
      description: 'is running the minimum Kubernetes API version',
      hintAnchor: 'k8s-version',
      run: (ctx) => {
        const raw = ctx.snapshot.kubernetesVersion ?? '';
        const actual = parseKubernetesVersion(raw);
        if (!actual) return fail(`could not parse the Kubernetes version "${raw}"`);
        const min = minimumKubernetesFor(ctx.controlPlaneVersion?.major ?? null);
        return compareKubernetesVersions(actual, min) >= 0
          ? ok()
          : fail(
              `Kubernetes is on version [${formatKubernetesVersion(actual)}], but version [${formatKubernetesVersion(min)}] or more recent is required`,
            );
      },
    },
  ],
};
