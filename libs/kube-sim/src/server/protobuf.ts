// Request bodies in Kubernetes' protobuf encoding (application/vnd.kubernetes.protobuf), which
// kubectl 1.32+ sends for built-in kinds from typed clients (`kubectl create secret|configmap|
// namespace|serviceaccount`, `kubectl auth can-i`). The envelope is the magic "k8s\0" and a
// runtime.Unknown whose `raw` holds the object. Only the kinds below are described; any other
// kind is answered 415 so the client learns it must send JSON, as from a server without it.
// Field numbers are those of Kubernetes' generated.proto files (proto2).
import { parse, Type } from 'protobufjs';
import { KubeError } from '../api/kube-error';

const SCHEMA = `
syntax = "proto2";
package k8s;

message TypeMeta { optional string apiVersion = 1; optional string kind = 2; }
message Unknown {
  optional TypeMeta typeMeta = 1;
  optional bytes raw = 2;
  optional string contentEncoding = 3;
  optional string contentType = 4;
}

message Time { optional int64 seconds = 1; optional int32 nanos = 2; }
message OwnerReference {
  optional string kind = 1;
  optional string name = 3;
  optional string uid = 4;
  optional string apiVersion = 5;
  optional bool controller = 6;
  optional bool blockOwnerDeletion = 7;
}
message ObjectMeta {
  optional string name = 1;
  optional string generateName = 2;
  optional string namespace = 3;
  optional string uid = 5;
  optional string resourceVersion = 6;
  optional int64 generation = 7;
  optional Time creationTimestamp = 8;
  map<string, string> labels = 11;
  map<string, string> annotations = 12;
  repeated OwnerReference ownerReferences = 13;
  repeated string finalizers = 14;
}

message Secret {
  optional ObjectMeta metadata = 1;
  map<string, bytes> data = 2;
  optional string type = 3;
  map<string, string> stringData = 4;
  optional bool immutable = 5;
}
message ConfigMap {
  optional ObjectMeta metadata = 1;
  map<string, string> data = 2;
  map<string, bytes> binaryData = 3;
  optional bool immutable = 4;
}
message NamespaceSpec { repeated string finalizers = 1; }
message Namespace { optional ObjectMeta metadata = 1; optional NamespaceSpec spec = 2; }
message ObjectReference {
  optional string kind = 1;
  optional string namespace = 2;
  optional string name = 3;
  optional string uid = 4;
  optional string apiVersion = 5;
  optional string resourceVersion = 6;
  optional string fieldPath = 7;
}
message LocalObjectReference { optional string name = 1; }
message ServiceAccount {
  optional ObjectMeta metadata = 1;
  repeated ObjectReference secrets = 2;
  repeated LocalObjectReference imagePullSecrets = 3;
  optional bool automountServiceAccountToken = 4;
}
message ResourceAttributes {
  optional string namespace = 1;
  optional string verb = 2;
  optional string group = 3;
  optional string version = 4;
  optional string resource = 5;
  optional string subresource = 6;
  optional string name = 7;
}
message NonResourceAttributes { optional string path = 1; optional string verb = 2; }
message SelfSubjectAccessReviewSpec {
  optional ResourceAttributes resourceAttributes = 1;
  optional NonResourceAttributes nonResourceAttributes = 2;
}
message SelfSubjectAccessReview {
  optional ObjectMeta metadata = 1;
  optional SelfSubjectAccessReviewSpec spec = 2;
}
`;

const root = parse(SCHEMA, { keepCase: true }).root;
const lookup = (name: string): Type => root.lookupType(`k8s.${name}`);
const UNKNOWN = lookup('Unknown');

/** apiVersion/kind → message type; the kinds kubectl sends as protobuf that the simulator reads. */
const KINDS: Record<string, Type> = {
  'v1/Secret': lookup('Secret'),
  'v1/ConfigMap': lookup('ConfigMap'),
  'v1/Namespace': lookup('Namespace'),
  'v1/ServiceAccount': lookup('ServiceAccount'),
  'authorization.k8s.io/v1/SelfSubjectAccessReview': lookup('SelfSubjectAccessReview'),
};

export const PROTOBUF = 'application/vnd.kubernetes.protobuf';
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

function unsupported(detail: string): KubeError {
  return new KubeError(
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (${detail})`,
  );
}

/** Decodes a protobuf request body into the object its JSON form would be. */
export function decodeProtobuf(body: Buffer): Record<string, unknown> {
  if (body.length < MAGIC.length || !body.subarray(0, MAGIC.length).equals(MAGIC))
    throw unsupported('protobuf body without the k8s envelope');
  let envelope: {
    typeMeta?: { apiVersion?: string; kind?: string };
    raw?: Uint8Array;
    contentEncoding?: string;
  };
  try {
    envelope = UNKNOWN.toObject(UNKNOWN.decode(body.subarray(MAGIC.length))) as typeof envelope;
  } catch {
    throw new KubeError('BadRequest', 'the request body could not be decoded: malformed protobuf envelope');
  }
  const apiVersion = envelope.typeMeta?.apiVersion ?? '';
  const kind = envelope.typeMeta?.kind ?? '';
  const type = KINDS[`${apiVersion}/${kind}`];
  if (!type || envelope.contentEncoding)
    throw unsupported(`the simulator reads protobuf only for ${Object.keys(KINDS).join(', ')}`);
  let decoded: Record<string, unknown>;
  try {
    decoded = type.toObject(type.decode(envelope.raw ?? new Uint8Array()), {
      longs: Number,
      bytes: String,
    }) as Record<string, unknown>;
  } catch {
    throw new KubeError('BadRequest', `the request body could not be decoded: malformed protobuf ${kind}`);
  }
  return { apiVersion, kind, ...(toJsonShape(decoded) as Record<string, unknown>) };
}

/** Map fields: their values are data, so an empty string there is kept. */
const MAPS = new Set(['data', 'stringData', 'binaryData', 'labels', 'annotations']);

/**
 * proto2 sends empty strings and zero numbers that the JSON form omits (omitempty), and
 * Time as seconds/nanos where JSON has RFC 3339; booleans are pointers in Go and kept.
 */
function toJsonShape(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(toJsonShape);
  if (!v || typeof v !== 'object') return v === '' || v === 0 ? undefined : v;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o);
  if (keys.length > 0 && keys.every((k) => k === 'seconds' || k === 'nanos')) {
    const seconds = Number(o['seconds'] ?? 0);
    return seconds === 0 ? undefined : new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    const c = MAPS.has(k) ? o[k] : toJsonShape(o[k]);
    if (c === undefined) continue;
    if (Array.isArray(c) && c.length === 0) continue;
    if (typeof c === 'object' && c !== null && !Array.isArray(c) && Object.keys(c).length === 0) continue;
    out[k] = c;
  }
  return out;
}
