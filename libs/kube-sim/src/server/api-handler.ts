// The Kubernetes REST surface of one cluster: discovery, CRUD, watch and subresources.
// It only parses, dispatches and renders; semantics live in ObjectService and the model.
import { IncomingMessage, ServerResponse } from 'node:http';
import { badRequest, KubeError, notFound } from '../api/kube-error';
import { PatchType } from '../api/object-service';
import { ResourceType } from '../api/resource-types';
import { fieldFilter, labelFilter } from '../api/selectors';
import type { SimCluster } from '../cluster/sim-cluster';
import { applyMergePatch } from '../patch/merge-patch';
import { KubeObject } from '../store/types';
import { apiGroup, apiGroupList, apiVersions, resourceList } from './discovery';
import {
  decodeBody,
  decodeRequest,
  readBody,
  readBodyBytes,
  sendJson,
  sendText,
  successStatus,
} from './http-util';
import { openapiGroupVersion, openapiRoot, openapiV2 } from './openapi';
import { toTable, wantsTable } from './table';

interface Target {
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

export class ApiHandler {
  constructor(private readonly cluster: SimCluster) {}

  async handle(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    query: URLSearchParams,
  ): Promise<void> {
    const segs = path
      .split('/')
      .filter((s) => s !== '')
      .map(decodeURIComponent);
    const registry = this.cluster.registry;
    if (segs.length === 0)
      return sendJson(res, 200, { paths: ['/api', '/api/v1', '/apis', '/version', '/healthz'] });
    const [head] = segs;
    if (head === 'version') return sendJson(res, 200, this.cluster.versionInfo);
    if (head === 'healthz' || head === 'readyz' || head === 'livez') return sendText(res, 200, 'ok');
    if (head === 'openapi') return this.openapi(req, res, segs);
    if (head === 'api' && segs.length === 1) return sendJson(res, 200, apiVersions());
    if (head === 'apis' && segs.length === 1) return sendJson(res, 200, apiGroupList(registry));
    if (head === 'api' && segs.length === 2) return this.sendDiscovery(res, '', segs[1]!);
    if (head === 'apis' && segs.length === 2) {
      const versions = registry.groups().get(segs[1]!);
      if (!versions) throw new KubeError('NotFound', 'the server could not find the requested resource');
      return sendJson(res, 200, apiGroup(segs[1]!, versions));
    }
    if (head === 'apis' && segs.length === 3) return this.sendDiscovery(res, segs[1]!, segs[2]!);
    const target = this.resolve(segs);
    return this.dispatch(req, res, target, query);
  }

  private sendDiscovery(res: ServerResponse, group: string, version: string): void {
    const list = resourceList(this.cluster.registry, group, version);
    if (!list) throw new KubeError('NotFound', 'the server could not find the requested resource');
    sendJson(res, 200, list);
  }

  /** kubectl reads OpenAPI v3 to learn that the server validates fields itself. */
  private openapi(req: IncomingMessage, res: ServerResponse, segs: string[]): void {
    const registry = this.cluster.registry;
    if (segs[1] === 'v2') {
      const doc = openapiV2(req.headers.accept);
      res.writeHead(200, { 'Content-Type': doc.contentType, 'Content-Length': doc.body.length });
      res.end(doc.body);
      return;
    }
    if (segs[1] === 'v3' && segs.length === 2)
      return sendJson(res, 200, openapiRoot(registry, `/clusters/${this.cluster.name}`));
    if (segs[1] === 'v3') {
      const doc =
        segs[2] === 'api'
          ? openapiGroupVersion(registry, '', segs[3] ?? '')
          : openapiGroupVersion(registry, segs[3] ?? '', segs[4] ?? '');
      if (doc) return sendJson(res, 200, doc);
    }
    throw new KubeError('NotFound', 'the server could not find the requested resource');
  }

  private resolve(segs: string[]): Target {
    let group: string;
    let version: string;
    let rest: string[];
    if (segs[0] === 'api') {
      group = '';
      version = segs[1]!;
      rest = segs.slice(2);
    } else if (segs[0] === 'apis') {
      group = segs[1]!;
      version = segs[2]!;
      rest = segs.slice(3);
    } else throw new KubeError('NotFound', 'the server could not find the requested resource');
    const registry = this.cluster.registry;
    let namespace: string | undefined;
    if (rest[0] === 'namespaces' && rest.length >= 3) {
      const candidate = registry.find(group, version, rest[2]!);
      if (candidate && candidate.namespaced) {
        namespace = rest[1];
        rest = rest.slice(2);
      }
    }
    const [plural, rawName, subresource, ...tail] = rest;
    const type = plural ? registry.find(group, version, plural) : undefined;
    if (!type) throw new KubeError('NotFound', 'the server could not find the requested resource');
    let name = rawName;
    let proxyPort: string | undefined;
    if (name && subresource === 'proxy' && name.includes(':')) {
      [name, proxyPort] = name.split(':') as [string, string];
    }
    return {
      type,
      version,
      ...(namespace ? { namespace } : {}),
      ...(name ? { name } : {}),
      ...(subresource ? { subresource } : {}),
      ...(subresource === 'proxy' ? { proxyPath: '/' + tail.join('/') } : {}),
      ...(proxyPort ? { proxyPort } : {}),
    };
  }

  private render(target: Target) {
    const { type, version } = target;
    const apiVersion = type.group ? `${type.group}/${version}` : version;
    return (o: KubeObject): KubeObject => (o.apiVersion === apiVersion ? o : { ...o, apiVersion });
  }

  private async dispatch(
    req: IncomingMessage,
    res: ServerResponse,
    t: Target,
    q: URLSearchParams,
  ): Promise<void> {
    const method = req.method ?? 'GET';
    const objects = this.cluster.objects;
    const render = this.render(t);
    this.cluster.faults.assertAllowed(method, t.type.plural);
    const dryRun = q.getAll('dryRun').includes('All');
    const fieldManager = q.get('fieldManager') ?? undefined;
    if (t.subresource === 'log') return this.log(res, t, q);
    if (t.subresource === 'proxy') return this.proxy(res, t);
    if (t.subresource && !t.type.subresources.includes(t.subresource as 'status'))
      throw new KubeError('NotFound', 'the server could not find the requested resource');
    if (t.type.virtual) return this.review(req, res, t);

    if (method === 'GET' && !t.name) {
      const filter = (
        (l, f) => (o: KubeObject) =>
          l(o) && f(o)
      )(labelFilter(q.get('labelSelector') ?? undefined), fieldFilter(q.get('fieldSelector') ?? undefined));
      if (bool(q, 'watch')) {
        const timeout = q.get('timeoutSeconds');
        const rv = q.get('resourceVersion');
        this.cluster.watches.serve(this.cluster.store, res, {
          resourceKey: objects.key(t.type),
          ...(t.namespace ? { namespace: t.namespace } : {}),
          filter,
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
        return;
      }
      const limit = q.get('limit');
      const cont = q.get('continue');
      const result = objects.list(t.type, t.namespace, {
        filter,
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
    if (method === 'GET') {
      const obj = objects.get(t.type, t.namespace, t.name!);
      if (t.subresource === 'scale') return sendJson(res, 200, toScale(obj));
      if (wantsTable(req.headers.accept))
        return sendJson(res, 200, toTable(t.type.kind, [render(obj)], obj.metadata.resourceVersion ?? ''));
      return sendJson(res, 200, render(obj));
    }
    if (method === 'POST' && !t.name) {
      const body = (await this.body(req)) as KubeObject;
      const created = objects.create(t.type, t.namespace, body, {
        dryRun,
        ...(fieldManager ? { fieldManager } : { fieldManager: managerFromAgent(req) }),
      });
      return sendJson(res, 201, render(created));
    }
    if (method === 'PUT' && t.name) {
      const body = (await this.body(req)) as KubeObject;
      if (t.subresource === 'scale')
        return sendJson(
          res,
          200,
          toScale(this.setReplicas(t, (body as { spec?: { replicas?: number } })?.spec?.replicas, dryRun)),
        );
      const updated = objects.update(t.type, t.namespace, t.name, body, {
        dryRun,
        fieldManager: fieldManager ?? managerFromAgent(req),
        ...(t.subresource === 'status' ? { subresource: 'status' as const } : {}),
      });
      return sendJson(res, 200, render(updated));
    }
    if (method === 'PATCH' && t.name) {
      const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
      const patchType = PATCH_TYPES[contentType];
      if (!patchType)
        throw new KubeError(
          'UnsupportedMediaType',
          `the body of the request was in an unknown format - accepted media types include: ${Object.keys(PATCH_TYPES).join(', ')}`,
        );
      const patch = decodeBody(await readBody(req), contentType);
      if (t.subresource === 'scale') {
        const current = toScale(objects.get(t.type, t.namespace, t.name));
        const next = applyMergePatch(current, patch) as { spec?: { replicas?: number } };
        return sendJson(res, 200, toScale(this.setReplicas(t, next.spec?.replicas, dryRun)));
      }
      const existed = !!objects.find(t.type, t.namespace, t.name);
      const patched = objects.patch(t.type, t.namespace, t.name, patchType, patch, {
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
    if (method === 'DELETE' && t.name) {
      const body = ((await this.body(req)) ?? {}) as {
        propagationPolicy?: string;
        preconditions?: { uid?: string; resourceVersion?: string };
      };
      const policy = q.get('propagationPolicy') ?? body.propagationPolicy;
      const result = objects.delete(t.type, t.namespace, t.name, {
        dryRun,
        ...(policy ? { propagationPolicy: policy } : {}),
        ...(body.preconditions?.uid ? { preconditionUid: body.preconditions.uid } : {}),
        ...(body.preconditions?.resourceVersion
          ? { preconditionRv: body.preconditions.resourceVersion }
          : {}),
      });
      const stillThere = objects.find(t.type, t.namespace, t.name);
      if (stillThere && stillThere.metadata.uid === result.metadata.uid)
        return sendJson(res, 200, render(stillThere));
      // Pods delete gracefully in Kubernetes and answer with the pod; other kinds answer with a Status.
      if (t.type.group === '' && t.type.plural === 'pods') return sendJson(res, 200, render(result));
      return sendJson(
        res,
        200,
        successStatus({ name: t.name, group: t.type.group, kind: t.type.plural, uid: result.metadata.uid }),
      );
    }
    if (method === 'DELETE' && !t.name) {
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
    throw new KubeError(
      'MethodNotAllowed',
      `the server does not allow this method on the requested resource`,
    );
  }

  private async body(req: IncomingMessage): Promise<unknown> {
    return decodeRequest(await readBodyBytes(req), req.headers['content-type']);
  }

  private setReplicas(t: Target, replicas: number | undefined, dryRun: boolean): KubeObject {
    if (typeof replicas !== 'number' || replicas < 0)
      throw badRequest('spec.replicas must be a non-negative integer');
    return this.cluster.objects.patch(
      t.type,
      t.namespace,
      t.name!,
      'merge',
      { spec: { replicas } },
      { dryRun },
    );
  }

  private review(req: IncomingMessage, res: ServerResponse, t: Target): Promise<void> {
    if (req.method !== 'POST') throw new KubeError('MethodNotAllowed', 'only create is supported');
    return this.body(req).then((body) => {
      const review = (body ?? {}) as { spec?: { resourceAttributes?: { verb?: string; resource?: string } } };
      const attrs = review.spec?.resourceAttributes ?? {};
      const allowed = this.cluster.faults.accessAllowed(attrs.verb ?? '', attrs.resource ?? '');
      sendJson(res, 201, {
        kind: t.type.kind,
        apiVersion: `${t.type.group}/${t.version}`,
        metadata: { creationTimestamp: null },
        spec: review.spec ?? {},
        status: allowed
          ? { allowed: true }
          : { allowed: false, denied: true, reason: 'denied by simulator fault' },
      });
    });
  }

  private log(res: ServerResponse, t: Target, q: URLSearchParams): void {
    if (t.type.plural !== 'pods' || !t.name)
      throw new KubeError('NotFound', 'the server could not find the requested resource');
    const tail = q.get('tailLines');
    const text = this.cluster.podLog(
      t.namespace ?? '',
      t.name,
      q.get('container') ?? undefined,
      tail ? Number(tail) : undefined,
    );
    sendText(res, 200, text);
  }

  private proxy(res: ServerResponse, t: Target): void {
    if (t.type.plural !== 'pods' || !t.name) throw notFound(t.type.plural, t.type.group, t.name ?? '');
    const out = this.cluster.podProxy(t.namespace ?? '', t.name, t.proxyPort ?? '80', t.proxyPath ?? '/');
    sendText(res, out.code, out.body, out.contentType);
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
