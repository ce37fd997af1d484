// Just enough OpenAPI v3 for kubectl: the root index of group-versions and, per group-version,
// the write operations with the `fieldValidation` query parameter. Seeing that parameter,
// kubectl leaves validation to the server instead of downloading schemas to validate itself.
import { ResourceRegistry } from '../api/registry';

const gvPath = (group: string, version: string): string =>
  group ? `apis/${group}/${version}` : `api/${version}`;

export function openapiRoot(registry: ResourceRegistry, prefix: string): unknown {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const [group, versions] of registry.groups()) {
    for (const v of versions) {
      const p = gvPath(group, v);
      paths[p] = {
        serverRelativeURL: `${prefix}/openapi/v3/${p}?hash=${Buffer.from(p).toString('hex').slice(0, 16)}`,
      };
    }
  }
  return { paths };
}

export function openapiGroupVersion(
  registry: ResourceRegistry,
  group: string,
  version: string,
): unknown | undefined {
  const types = registry.all().filter((t) => t.group === group && t.versions.includes(version) && !t.virtual);
  if (types.length === 0) return undefined;
  const base = `/${gvPath(group, version)}`;
  const paths: Record<string, unknown> = {};
  const fieldValidation = {
    name: 'fieldValidation',
    in: 'query',
    schema: { type: 'string', uniqueItems: true },
  };
  for (const t of types) {
    const gvk = { 'x-kubernetes-group-version-kind': { group, version, kind: t.kind } };
    const op = (action: string) => ({
      ...gvk,
      'x-kubernetes-action': action,
      operationId: `${action}${t.kind}`,
      parameters: [fieldValidation],
      responses: { '200': { description: 'OK' } },
    });
    const collection = t.namespaced ? `${base}/namespaces/{namespace}/${t.plural}` : `${base}/${t.plural}`;
    paths[collection] = { post: op('post'), get: op('list') };
    paths[`${collection}/{name}`] = {
      get: op('get'),
      put: op('put'),
      patch: op('patch'),
      delete: op('delete'),
    };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.31.0' },
    paths,
    components: { schemas: {} },
  };
}

/**
 * An empty OpenAPI v2 document. Older kubectl (before server-side field validation) only
 * reads v2, in gnostic protobuf form, and skips validating kinds it has no schema for, so
 * `swagger` and `info` are enough: Document{1: swagger, 2: Info{1: title, 2: version}}.
 */
export function openapiV2(accept: string | undefined): { contentType: string; body: Buffer } {
  if (accept?.includes('protobuf')) {
    const str = (field: number, value: string): Buffer =>
      Buffer.concat([Buffer.from([(field << 3) | 2, Buffer.byteLength(value)]), Buffer.from(value)]);
    const info = Buffer.concat([str(1, 'Kubernetes'), str(2, 'v1.31.0')]);
    const body = Buffer.concat([str(1, '2.0'), Buffer.from([(2 << 3) | 2, info.length]), info]);
    return { contentType: 'application/octet-stream', body };
  }
  const json = {
    swagger: '2.0',
    info: { title: 'Kubernetes', version: 'v1.31.0' },
    paths: {},
    definitions: {},
  };
  return { contentType: 'application/json', body: Buffer.from(JSON.stringify(json)) };
}
