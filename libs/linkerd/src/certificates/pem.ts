// PEM handling: bundles hold several certificates; anything that is not a CERTIFICATE block
// (notably private keys) is ignored here so it can never reach the output.

const BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

export function splitPemCertificates(text: string): string[] {
  return text.match(BLOCK) ?? [];
}

/** Normalises a PEM bundle for equality: line endings and surrounding whitespace. */
export function normalizePem(text: string): string {
  return text.replace(/\r\n/g, '\n').trim();
}
