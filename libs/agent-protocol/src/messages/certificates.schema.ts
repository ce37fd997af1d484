// Certificate inventory: public parts only. There is deliberately no field that could carry a key.
import { z } from 'zod';
import { LIMITS } from '../limits';
import { shortString, timestamp } from './common.schema';

export const CertificateRoleSchema = z.enum(['trust-anchor', 'issuer', 'webhook']);
export type CertificateRole = z.infer<typeof CertificateRoleSchema>;

export const CertificateSourceSchema = z.object({
  kind: z.enum(['ConfigMap', 'Secret']),
  namespace: shortString,
  name: shortString,
  key: shortString,
});

export const CertificateEntrySchema = z
  .object({
    role: CertificateRoleSchema,
    /** Human name: the component, e.g. "proxy-injector", or the anchor's subject. */
    name: shortString,
    source: CertificateSourceSchema,
    subject: z.string().max(LIMITS.shortString * 4),
    issuer: z.string().max(LIMITS.shortString * 4),
    serialNumber: z
      .string()
      .regex(/^[0-9a-f]+$/)
      .max(128),
    notBefore: timestamp,
    notAfter: timestamp,
    /** e.g. "ECDSA P-256", "RSA 2048". */
    keyAlgorithm: shortString,
    signatureAlgorithm: shortString,
    isCA: z.boolean(),
    dnsNames: z.array(shortString).max(LIMITS.certificateDnsNames),
    sha256Fingerprint: z.string().regex(/^[0-9a-f]{64}$/),
    /** Issuer: signature verifies against one of the anchors. Anchors: true. Webhooks: null. */
    chainsToAnchors: z.boolean().nullable(),
  })
  .strict();
export type CertificateEntry = z.infer<typeof CertificateEntrySchema>;

export const CertificateInventorySchema = z.array(CertificateEntrySchema).max(LIMITS.certificates);
