// INSTALL_EXTENSION / UPGRADE_EXTENSION: the extension's bundle (checked against the task's
// digest) applied into its namespace with serving certificates issued in the cluster, then the
// objects labelled for it that the bundle no longer has deleted (`linkerd viz prune`), then its
// Deployments and APIServices awaited. Upgrading is installing the new bundle: extensions keep no
// configuration in the cluster.
import type { V1APIService, V1Deployment } from '@kubernetes/client-node';
import type {
  ExtensionBundleResponse,
  ExtensionName,
  ExtensionRef,
  TaskEnvelope,
} from '@meshfleet/agent-protocol';
import {
  allowScrapesObjects,
  bundleDigest,
  isAllowScrapesObject,
  parseLinkerdVersion,
  withExternalPrometheus,
  type KubeObject,
} from '@meshfleet/linkerd';
import { errorMessage } from '../../util/errors';
import { TaskFailure } from '../task-failure';
import { applyAll } from './apply';
import { bundleObjects, type BundleObject } from './bundle-objects';
import { deleteAll, describeRef, keyOf, labelledObjects } from './extension-objects';
import { installedControlPlane } from './installed-control-plane';
import type { LifecycleContext } from './lifecycle-context';
import { lifecycleFailure } from './lifecycle-failure';
import type { LifecycleOutput } from './lifecycle-output';
import { deploymentPending } from './rollout';
import { runStep, skipStep } from './step';
import { waitFor } from './wait-for';
import { describeServingSecrets, withServingSecrets } from './webhook-serving-secrets';

type ApplyExtensionTask = Extract<TaskEnvelope, { kind: 'INSTALL_EXTENSION' | 'UPGRADE_EXTENSION' }>;

export interface ExtensionTarget {
  extension: ExtensionName;
  release: ExtensionRef;
}

export async function fetchVerifiedExtension(
  ctx: LifecycleContext,
  { extension, release }: ExtensionTarget,
): Promise<ExtensionBundleResponse> {
  let b: ExtensionBundleResponse;
  try {
    b = await ctx.fetchExtension({ version: release.version, extension });
  } catch (e) {
    if (e instanceof TaskFailure) throw e;
    throw lifecycleFailure(
      'BUNDLE_UNAVAILABLE',
      `cannot fetch ${extension} of ${release.version}: ${errorMessage(e)}`,
    );
  }
  let actual: string;
  try {
    actual = bundleDigest(b.yaml);
  } catch (e) {
    throw lifecycleFailure(
      'DIGEST_MISMATCH',
      `the ${extension} bundle is not valid YAML: ${errorMessage(e)}`,
    );
  }
  if (
    b.extension !== extension ||
    b.version !== release.version ||
    actual !== release.digest ||
    b.digest !== release.digest
  )
    throw lifecycleFailure(
      'DIGEST_MISMATCH',
      `the ${extension} bundle of ${b.version} has digest ${actual}, but the task expects ${release.version} with ${release.digest}; nothing was applied`,
    );
  return b;
}

function apiServicePending(a: V1APIService | null): string | null {
  if (!a) return 'missing';
  const available = a.status?.conditions?.find((c) => c.type === 'Available');
  return available?.status === 'True'
    ? null
    : `not available${available?.message ? ` (${available.message})` : ''}`;
}

async function waitExtensionReady(ctx: LifecycleContext, objects: readonly BundleObject[]): Promise<string> {
  const deployments = objects.filter((o) => o.kind === 'Deployment');
  const apiServices = objects.filter((o) => o.kind === 'APIService');
  await waitFor(
    ctx,
    { step: 'rollout', what: 'the extension to be available', timeoutCode: 'ROLLOUT_TIMEOUT' },
    async () => {
      const pending: string[] = [];
      for (const o of deployments) {
        const d = await ctx.kube.get<V1Deployment>({
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          namespace: o.metadata.namespace!,
          name: o.metadata.name,
        });
        const p = deploymentPending(d);
        if (p) pending.push(`Deployment ${o.metadata.name} ${p}`);
      }
      for (const o of apiServices) {
        const p = apiServicePending(
          await ctx.kube.get<V1APIService>({ apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name }),
        );
        if (p) pending.push(`APIService ${o.metadata.name} ${p}`);
      }
      return pending.length ? pending.join('; ') : null;
    },
  );
  return `${deployments.length} Deployments and ${apiServices.length} APIServices available`;
}

export async function applyExtension(
  ctx: LifecycleContext,
  task: ApplyExtensionTask,
): Promise<LifecycleOutput> {
  const { extension, release, controlPlaneNamespace: cp } = task.params;
  let bundle!: ExtensionBundleResponse;
  let cpVersion: string | null = null;
  await runStep(ctx, 'precheck', 'PRECHECK_FAILED', async () => {
    const installed = await installedControlPlane(ctx.kube, cp);
    if (!installed.present)
      throw lifecycleFailure(
        'NOT_INSTALLED',
        `Linkerd is not installed in ${cp}: extensions need a control plane`,
      );
    cpVersion = installed.version;
    const cpMajor = installed.version ? parseLinkerdVersion(installed.version)?.major : null;
    const extMajor = parseLinkerdVersion(release.version)?.major;
    if (cpMajor != null && extMajor != null && cpMajor !== extMajor)
      throw lifecycleFailure(
        'PRECHECK_FAILED',
        `${extension} ${release.version} is Linkerd 2.${extMajor} but the control plane runs ${installed.version}`,
      );
    bundle = await fetchVerifiedExtension(ctx, task.params);
    return {
      message: `${extension} ${release.version} into ${bundle.namespace} (control plane ${installed.version ?? 'unknown'})`,
    };
  });
  await applyExtensionSteps(ctx, extension, bundle, {
    allowScrapesNamespaces: task.params.allowScrapesNamespaces,
    prometheusUrl: task.params.prometheusUrl,
  });
  await runStep(ctx, 'postcheck', 'POSTCHECK_FAILED', async () => ({
    message: `${extension} ${release.version} is available in ${bundle.namespace}`,
  }));
  return {
    kind: 'LIFECYCLE',
    controlPlaneVersion: cpVersion,
    postcheck: {
      errors: 0,
      warnings: 0,
      summary: `${extension} ${release.version} installed in ${bundle.namespace}`,
    },
  };
}

export interface ExtensionOptions {
  /** viz: namespaces that get the allow-scrapes policies. */
  allowScrapesNamespaces?: readonly string[];
  /** viz: an external Prometheus; the bundled one is left out (and pruned when it was there). */
  prometheusUrl?: string | null;
}

/** The bundle's objects as this install wants them: viz without its Prometheus for an external one. */
function extensionObjects(
  extension: ExtensionName,
  bundle: ExtensionBundleResponse,
  prometheusUrl: string | null,
): BundleObject[] {
  const objects = bundleObjects(bundle.yaml, bundle.namespace);
  return extension === 'viz' && prometheusUrl
    ? (withExternalPrometheus(
        objects as unknown as KubeObject[],
        prometheusUrl,
        bundle.namespace,
      ) as unknown as BundleObject[])
    : objects;
}

/**
 * The steps an extension's bundle goes through, in an extension task and in a core upgrade (after
 * the control plane, before the data plane): apply with serving certificates, prune, rollout.
 */
export async function applyExtensionSteps(
  ctx: LifecycleContext,
  extension: ExtensionName,
  bundle: ExtensionBundleResponse,
  options: ExtensionOptions = {},
): Promise<void> {
  const allowScrapesNamespaces = options.allowScrapesNamespaces ?? [];
  const prometheusUrl = options.prometheusUrl ?? null;
  const which = `${extension} ${bundle.version}`;
  let applied: BundleObject[] = [];
  const scrapes = allowScrapesNamespaces.flatMap(
    (ns) =>
      allowScrapesObjects(ns, { version: bundle.version, vizNamespace: bundle.namespace }) as BundleObject[],
  );
  await runStep(
    ctx,
    'extension',
    'APPLY_FAILED',
    async () => {
      const serving = await withServingSecrets(ctx.kube, extensionObjects(extension, bundle, prometheusUrl));
      applied = [...serving.objects, ...scrapes];
      await applyAll(ctx.kube, applied);
      const notes = [
        describeServingSecrets(serving),
        allowScrapesNamespaces.length ? `allow-scrapes in ${allowScrapesNamespaces.join(', ')}` : '',
        extension === 'viz' && prometheusUrl
          ? `external Prometheus ${prometheusUrl} (bundled Prometheus left out)`
          : '',
      ].filter(Boolean);
      return { message: `${which}: applied ${applied.length} objects${notes.map((n) => `; ${n}`).join('')}` };
    },
    which,
  );
  const keep = new Set(
    applied.map((o) => keyOf({ kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name })),
  );
  // allow-scrapes policies in application namespaces are no bundle's: an upgrade keeps them.
  const stale = (await labelledObjects(ctx.kube, extension)).filter(
    (r) => !keep.has(keyOf(r)) && !isAllowScrapesObject(r, bundle.namespace),
  );
  if (stale.length === 0) await skipStep(ctx, 'prune', `${which}: nothing labelled for it is left over`);
  else
    await runStep(ctx, 'prune', 'APPLY_FAILED', async () => {
      await deleteAll(ctx.kube, stale, 'APPLY_FAILED');
      return {
        message: `${which}: deleted ${stale.length} objects the release no longer has: ${stale.map(describeRef).join(', ')}`,
      };
    });
  await runStep(ctx, 'rollout', 'ROLLOUT_TIMEOUT', async () => ({
    message: `${which}: ${await waitExtensionReady(ctx, applied)}`,
  }));
}
