// Small HTTP helpers: body reading, JSON/YAML decoding, Status responses.
import { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { badRequest, KubeError, MetaStatus } from '../api/kube-error';
import { decodeProtobuf, PROTOBUF } from './protobuf';

const MAX_BODY = 3 * 1024 * 1024;

export async function readBody(req: IncomingMessage): Promise<string> {
  return (await readBodyBytes(req)).toString('utf8');
}

export async function readBodyBytes(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new KubeError('BadRequest', 'request entity too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

const JSON_TYPES = new Set(['', 'application/json', '*/*']);
const YAML_TYPES = new Set(['application/yaml', 'application/x-yaml', 'text/yaml']);

/**
 * A create/update/delete body by its Content-Type, as the API server negotiates it: JSON,
 * YAML or protobuf (for the kinds server/protobuf.ts knows); anything else is 415.
 */
export function decodeRequest(raw: Buffer, contentTypeHeader: string | undefined): unknown {
  const mediaType = (contentTypeHeader ?? '').split(';')[0]!.trim().toLowerCase();
  if (raw.length === 0) return undefined;
  if (mediaType === PROTOBUF) return decodeProtobuf(raw);
  if (JSON_TYPES.has(mediaType)) return decodeBody(raw.toString('utf8'), 'application/json');
  if (YAML_TYPES.has(mediaType)) return decodeBody(raw.toString('utf8'), 'application/yaml');
  throw new KubeError(
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, ${PROTOBUF}`,
  );
}

export function decodeBody(raw: string, contentType: string): unknown {
  if (raw.trim() === '') return undefined;
  try {
    if (contentType.includes('yaml')) return parseYaml(raw) as unknown;
    return JSON.parse(raw) as unknown;
  } catch (e) {
    throw badRequest(`the request body could not be decoded: ${e instanceof Error ? e.message : 'invalid'}`);
  }
}

export function sendJson(
  res: ServerResponse,
  code: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(code, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function sendText(
  res: ServerResponse,
  code: number,
  text: string,
  contentType = 'text/plain; charset=utf-8',
): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(code, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendStatus(res: ServerResponse, err: KubeError, headers: Record<string, string> = {}): void {
  sendJson(res, err.code, err.toStatus(), headers);
}

export function successStatus(
  details: Record<string, unknown>,
): MetaStatus & { details: Record<string, unknown> } {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    message: '',
    details,
    code: 200,
  };
}
