// RBAC for restricted tokens (e.g. an agent's service account): each request is authorized
// against the token's rules the way Kubernetes' RBAC authorizer does (verb, API group,
// resource/subresource, resourceNames, namespace), and writes of roles and bindings get
// Kubernetes' escalation checks: a role may only grant what its creator holds unless the creator
// has `escalate` on it; a binding needs `bind` on its role or every permission the role grants.
// The cluster's own admin token is not restricted. Server-side apply is authorized as `patch`
// and `create` (Kubernetes checks `create` only when the apply creates: this is stricter).
import { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import { parse as parseYaml } from 'yaml';
import { KubeError } from '../api/kube-error';
import { resourceKey } from '../api/resource-types';
import type { ObjectStore } from '../store/object-store';
import type { Target } from './resource-verbs';

export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  verbs: string[];
  resourceNames?: string[];
}

export interface RbacPrincipal {
  user: string;
  /** Granted in every namespace and on cluster-scoped objects (a ClusterRoleBinding). */
  clusterRules: PolicyRule[];
  /** Granted only in that namespace (RoleBindings). */
  namespaceRules: Record<string, PolicyRule[]>;
}

interface Attributes {
  verb: string;
  apiGroup: string;
  resource: string;
  namespace?: string;
  name?: string;
}

const RBAC_GROUP = 'rbac.authorization.k8s.io';
const ROLE_KINDS = new Set(['roles', 'clusterroles']);
const BINDING_KINDS = new Set(['rolebindings', 'clusterrolebindings']);

function ruleMatches(r: PolicyRule, a: Attributes): boolean {
  const has = (list: string[] | undefined, v: string) => !!list && (list.includes(v) || list.includes('*'));
  return (
    has(r.verbs, a.verb) &&
    has(r.apiGroups, a.apiGroup) &&
    has(r.resources, a.resource) &&
    (!r.resourceNames?.length || (a.name !== undefined && r.resourceNames.includes(a.name)))
  );
}

export function allows(p: RbacPrincipal, a: Attributes): boolean {
  if (p.clusterRules.some((r) => ruleMatches(r, a))) return true;
  return !!a.namespace && (p.namespaceRules[a.namespace] ?? []).some((r) => ruleMatches(r, a));
}

function forbidden(p: RbacPrincipal, a: Attributes, why = ''): KubeError {
  const what = `${a.resource}${a.apiGroup ? `.${a.apiGroup}` : ''}${a.name ? ` "${a.name}"` : ''}`;
  const scope = a.namespace ? ` in the namespace "${a.namespace}"` : ' at the cluster scope';
  return new KubeError(
    'Forbidden',
    `${what} is forbidden: User "${p.user}" cannot ${a.verb} resource "${a.resource}" in API group "${a.apiGroup}"${scope}${why}`,
  );
}

/** Whether the principal holds every permission the rules grant (in that namespace). */
function covers(p: RbacPrincipal, rules: PolicyRule[], namespace: string | undefined): boolean {
  for (const r of rules)
    for (const apiGroup of r.apiGroups ?? [''])
      for (const resource of r.resources ?? [])
        for (const verb of r.verbs)
          for (const name of r.resourceNames?.length ? r.resourceNames : [undefined]) {
            const a = { verb, apiGroup, resource, ...(namespace ? { namespace } : {}) };
            if (!allows(p, name === undefined ? a : { ...a, name })) return false;
          }
  return true;
}

async function bufferedBody(req: IncomingMessage): Promise<{ text: string; replay: IncomingMessage }> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const body = Buffer.concat(chunks);
  // The verb handler reads the request again: hand it a stream with the same body and headers.
  const replay = new PassThrough() as unknown as IncomingMessage & PassThrough;
  Object.assign(replay, { headers: req.headers, method: req.method, url: req.url, socket: req.socket });
  (replay as PassThrough).end(body);
  return { text: body.toString('utf8'), replay };
}

/**
 * Authorizes one request; returns the request the handler should read (its body may have been
 * read here for the escalation checks). Throws a 403 KubeError when it is not allowed.
 */
export async function authorize(
  p: RbacPrincipal,
  req: IncomingMessage,
  t: Target,
  verb: string,
  store: ObjectStore,
): Promise<IncomingMessage> {
  const resource = t.subresource ? `${t.type.plural}/${t.subresource}` : t.type.plural;
  const base = {
    apiGroup: t.type.group,
    resource,
    ...(t.namespace ? { namespace: t.namespace } : {}),
    ...(t.name ? { name: t.name } : {}),
  };
  // Every authenticated user may ask what it may do (system:basic-user).
  if (t.type.plural === 'selfsubjectaccessreviews' || t.type.plural === 'selfsubjectrulesreviews') return req;
  const isApply = verb === 'patch' && String(req.headers['content-type'] ?? '').includes('apply-patch');
  const verbs = isApply ? ['patch', 'create'] : [verb];
  const rbacWrite =
    t.type.group === RBAC_GROUP &&
    !t.subresource &&
    ['create', 'update', 'patch'].includes(verb) &&
    (ROLE_KINDS.has(t.type.plural) || BINDING_KINDS.has(t.type.plural));
  for (const v of verbs) if (!allows(p, { ...base, verb: v })) throw forbidden(p, { ...base, verb: v });
  if (!rbacWrite) return req;

  const { text, replay } = await bufferedBody(req);
  let obj: { metadata?: { name?: string }; rules?: PolicyRule[]; roleRef?: { kind?: string; name?: string } };
  try {
    obj = (parseYaml(text) ?? {}) as typeof obj;
  } catch {
    throw new KubeError('BadRequest', 'the request body is not valid JSON or YAML');
  }
  const name = t.name ?? obj.metadata?.name;
  const ns = t.namespace;
  const jsonPatch = String(req.headers['content-type'] ?? '').includes('json-patch');
  if (ROLE_KINDS.has(t.type.plural)) {
    const escalate = { ...base, verb: 'escalate', resource: t.type.plural, ...(name ? { name } : {}) };
    // A JSON patch does not say which rules result: only `escalate` allows it.
    if (!allows(p, escalate) && (jsonPatch || !covers(p, obj.rules ?? [], ns)))
      throw forbidden(
        p,
        { ...base, verb: t.name ? verb : 'create' },
        ': attempting to grant RBAC permissions not currently held',
      );
    return replay;
  }
  const ref = obj.roleRef;
  if (!ref?.name) {
    if (jsonPatch)
      throw forbidden(p, { ...base, verb }, ': a JSON patch of a binding needs bind on its role');
    return replay;
  }
  const roleResource = ref.kind === 'Role' ? 'roles' : 'clusterroles';
  const bind = {
    verb: 'bind',
    apiGroup: RBAC_GROUP,
    resource: roleResource,
    name: ref.name,
    ...(ns ? { namespace: ns } : {}),
  };
  if (allows(p, bind)) return replay;
  const role = store.get(
    resourceKey(RBAC_GROUP, roleResource),
    ref.kind === 'Role' ? ns : undefined,
    ref.name,
  ) as { rules?: PolicyRule[] } | undefined;
  if (!role || !covers(p, role.rules ?? [], ns))
    throw forbidden(p, bind, `: cannot bind ${ref.kind} "${ref.name}" without holding its permissions`);
  return replay;
}
