// Multi-document YAML bundles: parsing operator input, one canonical text form, its digest and the
// list of objects it holds. The canonical form is what gets stored and hashed, so the same
// objects always produce the same digest regardless of comments or spacing in the input.
import { createHash } from 'node:crypto';
import { parseAllDocuments, stringify } from 'yaml';
import { ValidationError } from '@meshfleet/core';
import type { InventoryItem } from './release.types';

export interface KubeMetadata {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [key: string]: unknown;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: KubeMetadata;
  [key: string]: unknown;
}

export interface ParsedBundle {
  objects: unknown[];
  errors: string[];
}

/** Every non-empty document; `kind: List` is flattened because `kubectl ... -o yaml` emits it. */
export function parseBundleDocuments(yaml: string): ParsedBundle {
  const objects: unknown[] = [];
  const errors: string[] = [];
  parseAllDocuments(yaml).forEach((doc, i) => {
    if (doc.errors.length > 0) {
      errors.push(
        `document ${i + 1} is not valid YAML: ${(doc.errors[0]?.message ?? 'parse error').split('\n')[0]}`,
      );
      return;
    }
    let value: unknown;
    try {
      value = doc.toJS();
    } catch (e) {
      // e.g. alias expansion beyond the parser's limit (a "billion laughs" document)
      errors.push(`document ${i + 1} cannot be read: ${(e as Error).message}`);
      return;
    }
    if (value === null || value === undefined) return;
    if (isRecord(value) && value['kind'] === 'List' && Array.isArray(value['items'])) {
      objects.push(...(value['items'] as unknown[]));
    } else {
      objects.push(value);
    }
  });
  return { objects, errors };
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Why a document is not a Kubernetes object, or null when it is one. */
export function kubeObjectProblem(value: unknown): string | null {
  if (!isRecord(value)) return 'is not a mapping';
  const missing = ['apiVersion', 'kind'].filter((k) => typeof value[k] !== 'string' || value[k] === '');
  const meta = value['metadata'];
  if (!isRecord(meta) || typeof meta['name'] !== 'string' || meta['name'] === '') {
    missing.push('metadata.name');
  }
  return missing.length ? `has no ${missing.join(', ')}` : null;
}

export function isKubeObject(value: unknown): value is KubeObject {
  return kubeObjectProblem(value) === null;
}

/** Canonical text: one document per object, no comments, no line folding. */
export function stringifyObjects(objects: readonly unknown[]): string {
  return objects.map((o) => stringify(o, { lineWidth: 0, aliasDuplicateObjects: false })).join('---\n');
}

/** Parses and re-emits a bundle; throws when a document is not YAML. */
export function normalizeBundle(yaml: string): string {
  const { objects, errors } = parseBundleDocuments(yaml);
  if (errors.length) throw new ValidationError(errors.join('; '), 'yaml');
  return stringifyObjects(objects);
}

export function bundleDigest(yaml: string): string {
  return canonicalDigest(normalizeBundle(yaml));
}

/** Digest of text already produced by stringifyObjects (saves a second parse). */
export function canonicalDigest(canonicalYaml: string): string {
  return createHash('sha256').update(canonicalYaml).digest('hex');
}

export function inventoryOf(objects: readonly KubeObject[]): InventoryItem[] {
  return objects.map((o) => ({
    apiVersion: o.apiVersion,
    kind: o.kind,
    namespace: o.metadata.namespace ?? null,
    name: o.metadata.name,
  }));
}

/** kind/namespace/name of every object; throws when a document is not a Kubernetes object. */
export function objectInventory(yaml: string): InventoryItem[] {
  const { objects, errors } = parseBundleDocuments(yaml);
  objects.forEach((o, i) => {
    const problem = kubeObjectProblem(o);
    if (problem) errors.push(`object ${i + 1} ${problem}`);
  });
  if (errors.length) throw new ValidationError(errors.join('; '), 'yaml');
  return inventoryOf(objects as KubeObject[]);
}
