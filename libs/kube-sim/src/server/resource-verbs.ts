// The Kubernetes verbs on a resource (get, list, watch, create, update, patch, delete,
// deletecollection): which HTTP method means which, and one handler per verb.
import { IncomingMessage, ServerResponse } from 'node:http';
import { badRequest, KubeError } from '../api/kube-error';
import { PatchType } from '../api/object-service';
import { ResourceType } from '../api/resource-types';
import { fieldFilter, labelFilter } from '../api/selectors';
import type { SimCluster } from '../cluster/sim-cluster';
import { applyMergePatch } from '../patch/merge-patch';
import { KubeObject } from '../store/types';
import { decodeBody, decodeRequest, readBody, readBodyBytes, sendJson, successStatus } from './http-util';
import { toTable, wantsTable } from './table';

export interface Target {
  type: ResourceType;
  version: string;
  namespace?: string;
  name?: string;
  subresource?: string;
  /** Rest of the path after `proxy/`. */
  proxyPath?: string;
  proxyPort?: string;
}

const PATCH_TYPES: Record<string, PatchType> = {
  'application/json-patch+json': 'json',
  'application/merge-patch+json': 'merge',
  'application/strategic-merge-patch+json': 'strategic',
  'application/apply-patch+yaml': 'apply',
};

function bool(q: URLSearchParams, key: string): boolean {
  const v = q.get(key);
  return v === 'true' || v === '1';
}

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

/** The Kubernetes verb of each HTTP method, on a collection and on one named object. */
const ROUTES: Record<string, { collection?: Verb; object?: Verb }> = {
  GET: { collection: 'list', object: 'get' },
  POST: { collection: 'create' },
  PUT: { object: 'update' },
  PATCH: { object: 'patch' },
  DELETE: { collection: 'deletecollection', object: 'delete' },
};

/** Undefined when the method has no verb on this target (answered 405). */
export function verbOf(method: string, t: Target, q: URLSearchParams): Verb | undefined {
  const route = Object.hasOwn(ROUTES, method) ? ROUTES[method] : undefined;
  const verb = t.name ? route?.object : route?.collection;
  return verb === 'list' && bool(q, 'watch') ? 'watch' : verb;
}

/** What every verb handler reads from the request. */
export interface VerbRequest {
  req: IncomingMessage;
  res: ServerResponse;
  t: Target;
  q: URLSearchParams;
  render: (o: KubeObject) => KubeObject;
  dryRun: boolean;
  fieldManager: string | undefined;
}

/** labelSelector and fieldSelector together, as list and watch apply them. */
function selectorFilter(q: URLSearchParams): (o: KubeObject) => boolean {
  const labels = labelFilter(q.get('labelSelector') ?? undefined);
  const fields = fieldFilter(q.get('fieldSelector') ?? undefined);
  return (o) => labels(o) && fields(o);
}

/** A request body decoded by its content type (JSON, YAML or protobuf). */
export async function readRequestBody(req: IncomingMessage): Promise<unknown> {
  return decodeRequest(await readBodyBytes(req), req.headers['content-type']);
}

export class ResourceVerbs {
  constructor(private readonly cluster: SimCluster) {}

  /** One handler per Kubernetes verb; verbOf picks it from the method and the path. */
  readonly handlers: Record<Verb, (c: VerbRequest) => Promise<void> | void> = {
    list: (c) => this.list(c),
    watch: (c) => this.watch(c),
    get: (c) => this.get(c),
    create: (c) => this.create(c),
    update: (c) => this.update(c),
    patch: (c) => this.patch(c),
    delete: (c) => this.delete(c),
    deletecollection: (c) => this.deleteCollection(c),
  };

  private list({ req, res, t, q, render }: VerbRequest): void {
    const limit = q.get('limit');
    const cont = q.get('continue');
    const result = this.cluster.objects.list(t.type, t.namespace, {
      filter: selectorFilter(q),
      ...(limit ? { limit: Number(limit) } : {}),
      ...(cont ? { continueToken: cont } : {}),
    });
    const items = result.items.map(render);
    if (wantsTable(req.headers.accept))
      return sendJson(res, 200, toTable(t.type.kind, items, result.resourceVersion, result.continueToken));
    return sendJson(res, 200, {
      kind: `${t.type.kind}List`,
      apiVersion: t.type.group ? `${t.type.group}/${t.version}` : t.version,
      metadata: {
        resourceVersion: result.resourceVersion,
        ...(result.continueToken
          ? { continue: result.continueToken, remainingItemCount: result.remainingItemCount }
          : {}),
      },
      items,
    });
  }

  private watch({ req, res, t, q, render }: VerbRequest): void {
    const objects = this.cluster.objects;
    const timeout = q.get('timeoutSeconds');
    const rv = q.get('resourceVersion');
    this.cluster.watches.serve(this.cluster.store, res, {
      resourceKey: objects.key(t.type),
      ...(t.namespace ? { namespace: t.namespace } : {}),
      filter: selectorFilter(q),
      ...(rv ? { resourceVersion: rv } : {}),
      ...(timeout ? { timeoutSeconds: Number(timeout) } : {}),
      bookmarks: bool(q, 'allowWatchBookmarks'),
      bookmarkIntervalMs: this.cluster.settings.bookmarkIntervalMs,
      initial: () => objects.list(t.type, t.namespace).items,
      // `kubectl get -w` asks for Tables; each event then carries a one-row Table.
      render: wantsTable(req.headers.accept)
        ? (o) => toTable(t.type.kind, [render(o)], o.metadata.resourceVersion ?? '')
        : render,
    });
  }

  private get({ req, res, t, render }: VerbRequest): void {
    const obj = this.cluster.objects.get(t.type, t.namespace, t.name!);
    if (t.subresource === 'scale') return sendJson(res, 200, toScale(obj));
    if (wantsTable(req.headers.accept))
      return sendJson(res, 200, toTable(t.type.kind, [render(obj)], obj.metadata.resourceVersion ?? ''));
    return sendJson(res, 200, render(obj));
  }

  private async create({ req, res, t, render, dryRun, fieldManager }: VerbRequest): Promise<void> {
    const body = (await readRequestBody(req)) as KubeObject;
    const created = this.cluster.objects.create(t.type, t.namespace, body, {
      dryRun,
      ...(fieldManager ? { fieldManager } : { fieldManager: managerFromAgent(req) }),
    });
    return sendJson(res, 201, render(created));
  }

  private async update({ req, res, t, render, dryRun, fieldManager }: VerbRequest): Promise<void> {
    const body = (await readRequestBody(req)) as KubeObject;
    if (t.subresource === 'scale')
      return sendJson(
        res,
        200,
        toScale(
          this.setReplicas(
            t,
            (body as { spec?: { replicas?: number } })?.spec?.replicas,
            dryRun,
            fieldManager ?? managerFromAgent(req),
          ),
        ),
      );
    const updated = this.cluster.objects.update(t.type, t.namespace, t.name!, body, {
      dryRun,
      fieldManager: fieldManager ?? managerFromAgent(req),
      ...(t.subresource === 'status' ? { subresource: 'status' as const } : {}),
    });
    return sendJson(res, 200, render(updated));
  }

  private async patch({ req, res, t, q, render, dryRun, fieldManager }: VerbRequest): Promise<void> {
    const objects = this.cluster.objects;
    const name = t.name!;
    const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
    const patchType = PATCH_TYPES[contentType];
    if (!patchType)
      throw new KubeError(
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: ${Object.keys(PATCH_TYPES).join(', ')}`,
      );
    const patch = decodeBody(await readBody(req), contentType);
    if (t.subresource === 'scale') {
      const current = toScale(objects.get(t.type, t.namespace, name));
      const next = applyMergePatch(current, patch) as { spec?: { replicas?: number } };
      return sendJson(
        res,
        200,
        toScale(this.setReplicas(t, next.spec?.replicas, dryRun, fieldManager ?? managerFromAgent(req))),
      );
    }
    const existed = !!objects.find(t.type, t.namespace, name);
    const patched = objects.patch(t.type, t.namespace, name, patchType, patch, {
      dryRun,
      force: bool(q, 'force'),
      ...(fieldManager
        ? { fieldManager }
        : patchType === 'apply'
          ? {}
          : { fieldManager: managerFromAgent(req) }),
      ...(t.subresource === 'status' ? { subresource: 'status' as const } : {}),
    });
    return sendJson(res, existed ? 200 : 201, render(patched));
  }

  private async delete({ req, res, t, q, render, dryRun }: VerbRequest): Promise<void> {
    const objects = this.cluster.objects;
    const name = t.name!;
    const body = ((await readRequestBody(req)) ?? {}) as {
      propagationPolicy?: string;
      preconditions?: { uid?: string; resourceVersion?: string };
    };
    const policy = q.get('propagationPolicy') ?? body.propagationPolicy;
    const result = objects.delete(t.type, t.namespace, name, {
      dryRun,
      ...(policy ? { propagationPolicy: policy } : {}),
      ...(body.preconditions?.uid ? { preconditionUid: body.preconditions.uid } : {}),
      ...(body.preconditions?.resourceVersion ? { preconditionRv: body.preconditions.resourceVersion } : {}),
    });
    const stillThere = objects.find(t.type, t.namespace, name);
    if (stillThere && stillThere.metadata.uid === result.metadata.uid)
      return sendJson(res, 200, render(stillThere));
    // Pods delete gracefully in Kubernetes and answer with the pod; other kinds answer with a Status.
    if (t.type.group === '' && t.type.plural === 'pods') return sendJson(res, 200, render(result));
    return sendJson(
      res,
      200,
      successStatus({ name, group: t.type.group, kind: t.type.plural, uid: result.metadata.uid }),
    );
  }

  private deleteCollection({ res, t, q, render, dryRun }: VerbRequest): void {
    const objects = this.cluster.objects;
    const filter = labelFilter(q.get('labelSelector') ?? undefined);
    const items = objects.list(t.type, t.namespace, { filter }).items;
    for (const o of items) objects.delete(t.type, o.metadata.namespace, o.metadata.name!, { dryRun });
    return sendJson(res, 200, {
      kind: `${t.type.kind}List`,
      apiVersion: render(items[0] ?? ({} as KubeObject)).apiVersion,
      metadata: {},
      items: items.map(render),
    });
  }

  /** A write through /scale is recorded on the parent object with subresource "scale". */
  private setReplicas(
    t: Target,
    replicas: number | undefined,
    dryRun: boolean,
    fieldManager: string,
  ): KubeObject {
    if (typeof replicas !== 'number' || replicas < 0)
      throw badRequest('spec.replicas must be a non-negative integer');
    return this.cluster.objects.patch(
      t.type,
      t.namespace,
      t.name!,
      'merge',
      { spec: { replicas } },
      { dryRun, fieldManager, subresource: 'scale' },
    );
  }
}

/** Kubernetes defaults the manager to the client's user agent (its first token). */
function managerFromAgent(req: IncomingMessage): string {
  const ua = req.headers['user-agent'] ?? 'unknown';
  return ua.split('/')[0]!.slice(0, 128) || 'unknown';
}

function toScale(obj: KubeObject): unknown {
  const spec = (obj['spec'] ?? {}) as {
    replicas?: number;
    selector?: { matchLabels?: Record<string, string> };
  };
  const status = (obj['status'] ?? {}) as { replicas?: number };
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: obj.metadata.name,
      namespace: obj.metadata.namespace,
      uid: obj.metadata.uid,
      resourceVersion: obj.metadata.resourceVersion,
      creationTimestamp: obj.metadata.creationTimestamp,
    },
    spec: { replicas: spec.replicas ?? 1 },
    status: {
      replicas: status.replicas ?? 0,
      selector: Object.entries(spec.selector?.matchLabels ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(','),
    },
  };
}
