// The earliest expiry per certificate role, stored next to the report at ingest so fleet-wide
// reads (the Prometheus endpoint) never open the report to find it.
import type { CertificateEntry, CertificateRole } from '@meshfleet/agent-protocol';

export type CertificateExpiryByRole = Partial<Record<CertificateRole, string>>;

/** For each role present, the notAfter (ISO-8601, UTC) of its certificate that expires first. */
export function certificateExpiryByRole(certs: readonly CertificateEntry[]): CertificateExpiryByRole {
  const out: CertificateExpiryByRole = {};
  const at: Partial<Record<CertificateRole, number>> = {};
  for (const c of certs) {
    const t = Date.parse(c.notAfter);
    if (Number.isNaN(t)) continue;
    const seen = at[c.role];
    if (seen === undefined || t < seen) {
      at[c.role] = t;
      out[c.role] = new Date(t).toISOString();
    }
  }
  return out;
}
