// The Kubernetes REST surface of one cluster: discovery, CRUD, watch and subresources.
// It only parses, dispatches and renders; semantics live in ObjectService and the model.
import { IncomingMessage, ServerResponse } from 'node:http';
import { KubeError, notFound } from '../api/kube-error';
import type { SimCluster } from '../cluster/sim-cluster';
import { KubeObject } from '../store/types';
import { apiGroup, apiGroupList, apiVersions, resourceList } from './discovery';
import { sendJson, sendText } from './http-util';
import { openapiGroupVersion, openapiRoot, openapiV2 } from './openapi';
import { authorize, type RbacPrincipal } from './rbac-authorizer';
import { readRequestBody, ResourceVerbs, Target, verbOf } from './resource-verbs';

export class ApiHandler {
  private readonly verbs: ResourceVerbs;

  constructor(private readonly cluster: SimCluster) {
    this.verbs = new ResourceVerbs(cluster);
  }

  async handle(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    query: URLSearchParams,
    principal?: RbacPrincipal,
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
    if (principal) {
      // Subresources (proxy, log, status) and reviews map to RBAC verbs by method, as Kubernetes does.
      const method = req.method ?? 'GET';
      const verb =
        verbOf(method, target, query) ??
        (
          { GET: 'get', POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' } as Record<
            string,
            string
          >
        )[method] ??
        'get';
      req = await authorize(principal, req, target, verb, this.cluster.store);
    }
    return this.dispatch(req, res, target, query);
  }

  private sendDiscovery(res: ServerResponse, group: string, version: string): void {
    const list = resourceList(this.cluster.registry, group, version);
    if (!list) throw new KubeError('NotFound', 'the server could not find the requested resource');
    if (this.cluster.registry.all().some((t) => t.metrics && t.group === group))
      this.cluster.metrics?.assertAvailable();
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
    this.cluster.faults.assertAllowed(method, t.type.plural);
    if (t.subresource === 'log') return this.log(res, t, q);
    if (t.subresource === 'proxy') return this.proxy(res, t);
    if (t.subresource === 'eviction') return this.evict(req, res, t, q);
    if (t.subresource && !t.type.subresources.includes(t.subresource as 'status'))
      throw new KubeError('NotFound', 'the server could not find the requested resource');
    if (t.type.metrics) return this.metrics(req, res, t, q);
    if (t.type.virtual) return this.review(req, res, t);
    const verb = verbOf(method, t, q);
    if (!verb)
      throw new KubeError(
        'MethodNotAllowed',
        `the server does not allow this method on the requested resource`,
      );
    return this.verbs.handlers[verb]({
      req,
      res,
      t,
      q,
      render: this.render(t),
      dryRun: q.getAll('dryRun').includes('All'),
      fieldManager: q.get('fieldManager') ?? undefined,
    });
  }

  private metrics(req: IncomingMessage, res: ServerResponse, t: Target, q: URLSearchParams): void {
    if (req.method !== 'GET' || t.subresource || !this.cluster.metrics)
      throw new KubeError(
        'MethodNotAllowed',
        'the server does not allow this method on the requested resource',
      );
    sendJson(res, 200, this.cluster.metrics.read(t.type, t.namespace, t.name, q));
  }

  private review(req: IncomingMessage, res: ServerResponse, t: Target): Promise<void> {
    if (req.method !== 'POST') throw new KubeError('MethodNotAllowed', 'only create is supported');
    return readRequestBody(req).then((body) => {
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

  /** POST pods/<name>/eviction: a budget-respecting delete (201 Success, or 429 from the budget). */
  private async evict(
    req: IncomingMessage,
    res: ServerResponse,
    t: Target,
    q: URLSearchParams,
  ): Promise<void> {
    if (req.method !== 'POST')
      throw new KubeError(
        'MethodNotAllowed',
        'the server does not allow this method on the requested resource',
      );
    if (!t.name) throw new KubeError('NotFound', 'the server could not find the requested resource');
    const body = await readRequestBody(req);
    this.cluster.controllers.disruption.evict(
      t.namespace ?? '',
      t.name,
      body,
      q.getAll('dryRun').includes('All'),
    );
    sendJson(res, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
  }

  private proxy(res: ServerResponse, t: Target): void {
    if (t.type.plural !== 'pods' || !t.name) throw notFound(t.type.plural, t.type.group, t.name ?? '');
    const out = this.cluster.podProxy(t.namespace ?? '', t.name, t.proxyPort ?? '80', t.proxyPath ?? '/');
    sendText(res, out.code, out.body, out.contentType);
  }
}
