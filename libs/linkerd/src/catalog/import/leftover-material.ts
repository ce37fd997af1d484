// Last line of defence after redaction: any PEM block still present, in clear or base64 (Secret
// data, caBundle), means key material in a place meshfleet does not know, and the import is
// refused. Reasons name the place only, never the content.
import { parse } from 'yaml';
import { BASE64_TEMPLATE, isBase64Template } from '../placeholders';
import { isRecord, type KubeObject } from '../yaml-bundle';

const PEM = /-----BEGIN [A-Z0-9 ]+-----/;
const BASE64 = /^[A-Za-z0-9+/=\s]{40,}$/;

function holdsPem(s: string): boolean {
  if (PEM.test(s)) return true;
  return BASE64.test(s) && PEM.test(Buffer.from(s.replace(/\s+/g, ''), 'base64').toString('latin1'));
}

// A base64 template is a YAML document kept decoded: look inside it, and name the inner path.
function embedded(text: string): unknown {
  const body = text.slice(BASE64_TEMPLATE.length);
  try {
    return parse(body) ?? body;
  } catch {
    return body;
  }
}

const child = (path: string, key: string): string =>
  !path ? key : path.endsWith(')') ? `${path} ${key}` : `${path}.${key}`;

function walk(value: unknown, path: string, found: string[]): void {
  if (isBase64Template(value)) {
    walk(embedded(value), `${path} (decoded)`, found);
  } else if (typeof value === 'string') {
    if (holdsPem(value)) found.push(path);
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => walk(v, `${path}[${i}]`, found));
  } else if (isRecord(value)) {
    for (const [k, v] of Object.entries(value)) walk(v, child(path, k), found);
  }
}

export function leftoverKeyMaterial(objects: readonly KubeObject[], bundle: string): string[] {
  return objects.flatMap((o) => {
    const found: string[] = [];
    walk(o, '', found);
    const where = `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
    return found.map(
      (path) =>
        `${bundle}: ${where} holds certificate or key material at ${path} that meshfleet cannot replace with a placeholder`,
    );
  });
}
