// Our own structural schemas for the parts of the Argo CD and Flux CRDs the export writes,
// written from the published CRDs (argo-cd manifests/crds at 3.6.0, helm-controller
// config/crd/bases after v1.6.0, source-controller config/crd/bases after v1.9.0): the same
// types, required fields, enums and patterns. Where the real schema lists properties, unknown
// fields are an error here: the API server would prune them silently, which hides a typo as
// surely as a wrong type.

import Ajv, { type ValidateFunction } from 'ajv';

type Schema = Record<string, unknown>;

const str: Schema = { type: 'string' };
const strings: Schema = { type: 'array', items: str };
const bool: Schema = { type: 'boolean' };
const stringMap: Schema = { type: 'object', additionalProperties: str };
const anything: Schema = { 'x-kubernetes-preserve-unknown-fields': true };
const duration: Schema = { type: 'string', pattern: '^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$' };
const obj = (properties: Record<string, Schema>, required: string[] = []): Schema => ({
  type: 'object',
  properties,
  ...(required.length ? { required } : {}),
});

/** Kubernetes ObjectMeta rules the API server applies to every object (not in the CRDs). */
export const OBJECT_META: Schema = {
  type: 'object',
  required: ['name'],
  properties: {
    name: {
      type: 'string',
      maxLength: 253,
      pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$',
    },
    namespace: { type: 'string', maxLength: 63, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' },
    labels: {
      type: 'object',
      additionalProperties: {
        type: 'string',
        maxLength: 63,
        pattern: '^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$',
      },
    },
    annotations: stringMap,
  },
  additionalProperties: false,
};

const ignoreDifferences: Schema = {
  type: 'array',
  items: obj(
    {
      group: str,
      jqPathExpressions: strings,
      jsonPointers: strings,
      kind: str,
      managedFieldsManagers: strings,
      name: str,
      namespace: str,
    },
    ['kind'],
  ),
};

const applicationSource: Schema = obj(
  {
    chart: str,
    repoURL: str,
    targetRevision: str,
    path: str,
    helm: obj({
      releaseName: str,
      values: str,
      valuesObject: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      valueFiles: strings,
      parameters: { type: 'array', items: obj({ forceString: bool, name: str, value: str }) },
      skipCrds: bool,
      namespace: str,
      version: str,
    }),
  },
  ['repoURL'],
);

const syncPolicy: Schema = obj({
  automated: obj({ allowEmpty: bool, enabled: bool, prune: bool, selfHeal: bool }),
  managedNamespaceMetadata: obj({ annotations: stringMap, labels: stringMap }),
  syncOptions: strings,
});

const applicationSpec: Schema = obj(
  {
    destination: obj({ name: str, namespace: str, server: str }),
    ignoreDifferences,
    project: str,
    source: applicationSource,
    syncPolicy,
  },
  ['destination', 'project'],
);

/** argoproj.io/v1alpha1 Application. */
export const ARGO_APPLICATION: Schema = obj(
  {
    apiVersion: { const: 'argoproj.io/v1alpha1' },
    kind: { const: 'Application' },
    metadata: OBJECT_META,
    spec: applicationSpec,
  },
  ['metadata', 'spec'],
);

const templateMeta: Schema = obj({
  annotations: stringMap,
  finalizers: strings,
  labels: stringMap,
  name: str,
  namespace: str,
});

/** argoproj.io/v1alpha1 ApplicationSet (list generator, RollingSync, templatePatch). */
export const ARGO_APPLICATION_SET: Schema = obj(
  {
    apiVersion: { const: 'argoproj.io/v1alpha1' },
    kind: { const: 'ApplicationSet' },
    metadata: OBJECT_META,
    spec: obj(
      {
        generators: {
          type: 'array',
          items: obj({ list: obj({ elements: { type: 'array', items: anything }, elementsYaml: str }) }),
        },
        goTemplate: bool,
        goTemplateOptions: strings,
        strategy: obj({
          type: str,
          rollingSync: obj({
            steps: {
              type: 'array',
              items: obj({
                matchExpressions: { type: 'array', items: obj({ key: str, operator: str, values: strings }) },
                maxUpdate: { anyOf: [{ type: 'integer' }, { type: 'string' }] },
              }),
            },
          }),
        }),
        syncPolicy: obj({ preserveResourcesOnDeletion: bool, applicationsSync: str }),
        template: obj({ metadata: templateMeta, spec: applicationSpec }, ['metadata', 'spec']),
        templatePatch: str,
      },
      ['generators', 'template'],
    ),
  },
  ['metadata', 'spec'],
);

const remediation = (extra: Record<string, Schema> = {}): Schema =>
  obj({ ignoreTestFailures: bool, remediateLastFailure: bool, retries: { type: 'integer' }, ...extra });

/** helm.toolkit.fluxcd.io/v2 HelmRelease. */
export const FLUX_HELM_RELEASE: Schema = obj({
  apiVersion: { const: 'helm.toolkit.fluxcd.io/v2' },
  kind: { const: 'HelmRelease' },
  metadata: OBJECT_META,
  spec: {
    ...obj(
      {
        chart: obj(
          {
            metadata: obj({ annotations: stringMap, labels: stringMap }),
            spec: obj(
              {
                chart: { type: 'string', minLength: 1, maxLength: 2048 },
                interval: duration,
                reconcileStrategy: { type: 'string', enum: ['ChartVersion', 'Revision'] },
                sourceRef: obj(
                  {
                    apiVersion: str,
                    kind: { type: 'string', enum: ['HelmRepository', 'GitRepository', 'Bucket'] },
                    name: { type: 'string', minLength: 1, maxLength: 253 },
                    namespace: { type: 'string', minLength: 1, maxLength: 63 },
                  },
                  ['kind', 'name'],
                ),
                version: str,
              },
              ['chart', 'sourceRef'],
            ),
          },
          ['spec'],
        ),
        dependsOn: { type: 'array', items: obj({ name: str, namespace: str, readyExpr: str }, ['name']) },
        driftDetection: obj({
          ignore: {
            type: 'array',
            items: obj(
              {
                paths: strings,
                target: obj({
                  annotationSelector: str,
                  group: str,
                  kind: str,
                  labelSelector: str,
                  name: str,
                  namespace: str,
                  version: str,
                }),
              },
              ['paths'],
            ),
          },
          mode: { type: 'string', enum: ['enabled', 'warn', 'disabled'] },
        }),
        install: obj({
          crds: { type: 'string', enum: ['Skip', 'Create', 'CreateReplace'] },
          createNamespace: bool,
          remediation: remediation(),
          timeout: duration,
        }),
        interval: duration,
        releaseName: { type: 'string', minLength: 1, maxLength: 53 },
        targetNamespace: { type: 'string', minLength: 1, maxLength: 63 },
        upgrade: obj({
          crds: { type: 'string', enum: ['Skip', 'Create', 'CreateReplace'] },
          remediation: remediation({ strategy: { type: 'string', enum: ['rollback', 'uninstall'] } }),
          timeout: duration,
        }),
        values: anything,
      },
      ['interval'],
    ),
    // The CRD's CEL rule: "either chart or chartRef must be set".
    oneOf: [{ required: ['chart'] }, { required: ['chartRef'] }],
  },
});

/** source.toolkit.fluxcd.io/v1 HelmRepository. */
export const FLUX_HELM_REPOSITORY: Schema = obj({
  apiVersion: { const: 'source.toolkit.fluxcd.io/v1' },
  kind: { const: 'HelmRepository' },
  metadata: OBJECT_META,
  spec: obj(
    {
      interval: duration,
      provider: { type: 'string', enum: ['generic', 'aws', 'azure', 'gcp'] },
      type: { type: 'string', enum: ['default', 'oci'] },
      url: { type: 'string', pattern: '^(http|https|oci)://.*$' },
      secretRef: obj({ name: str }, ['name']),
    },
    ['url'],
  ),
});

/** The schema an exported object must pass, by apiVersion and kind; undefined for plain objects. */
export function crdSchemaFor(apiVersion: string, kind: string): Schema | undefined {
  const byType: Record<string, Schema> = {
    'argoproj.io/v1alpha1/Application': ARGO_APPLICATION,
    'argoproj.io/v1alpha1/ApplicationSet': ARGO_APPLICATION_SET,
    'helm.toolkit.fluxcd.io/v2/HelmRelease': FLUX_HELM_RELEASE,
    'source.toolkit.fluxcd.io/v1/HelmRepository': FLUX_HELM_REPOSITORY,
  };
  return byType[`${apiVersion}/${kind}`];
}

/**
 * OpenAPI v3 (CRD dialect) to JSON Schema: listed properties close the object unless the node
 * preserves unknown fields.
 */
export function toJsonSchema(s: unknown): unknown {
  if (Array.isArray(s)) return s.map(toJsonSchema);
  if (typeof s !== 'object' || s === null) return s;
  const src = s as Schema;
  const out: Schema = {};
  for (const [k, v] of Object.entries(src)) {
    if (k === 'x-kubernetes-preserve-unknown-fields') continue;
    if (k === 'properties')
      out[k] = Object.fromEntries(Object.entries(v as Schema).map(([p, ps]) => [p, toJsonSchema(ps)]));
    else out[k] = toJsonSchema(v);
  }
  if (src.properties && !src['x-kubernetes-preserve-unknown-fields'] && !('additionalProperties' in src))
    out.additionalProperties = false;
  return out;
}

const ajv = new Ajv({ allErrors: true, strict: false });
const compiled = new Map<Schema, ValidateFunction>();

/** Schema errors of one object against a schema above ("" paths for the root); [] when valid. */
export function schemaErrors(schema: Schema, o: unknown): string[] {
  let v = compiled.get(schema);
  if (!v) compiled.set(schema, (v = ajv.compile(toJsonSchema(schema) as object)));
  return v(o)
    ? []
    : (v.errors ?? []).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
}

/** An exported object against its CRD schema; null when it is not an Argo CD / Flux object. */
export function crdErrors(o: { apiVersion?: string; kind?: string }): string[] | null {
  const schema = crdSchemaFor(String(o.apiVersion), String(o.kind));
  return schema ? schemaErrors(schema, o) : null;
}
