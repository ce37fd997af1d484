// Last line of defence after redaction: any PEM block still present, in clear or base64 (Secret
// data, caBundle), means key material in a place meshfleet does not know, and the import is
// refused. Reasons name the place only, never the content.
import { isRecord, type KubeObject } from '../yaml-bundle';

const PEM = /-----BEGIN [A-Z0-9 ]+-----/;
const BASE64 = /^[A-Za-z0-9+/=\s]{40,}$/;

function holdsPem(s: string): boolean {
  if (PEM.test(s)) return true;
  return BASE64.test(s) && PEM.test(Buffer.from(s.replace(/\s+/g, ''), 'base64').toString('latin1'));
}

function walk(value: unknown, path: string, found: string[]): void {
  if (typeof value === 'string') {
    if (holdsPem(value)) found.push(path);
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => walk(v, `${path}[${i}]`, found));
  } else if (isRecord(value)) {
    for (const [k, v] of Object.entries(value)) walk(v, path ? `${path}.${k}` : k, found);
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
