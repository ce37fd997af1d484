// Building blocks shared by the message schemas.
import { z } from 'zod';
import { LIMITS } from '../limits';

export const shortString = z.string().min(1).max(LIMITS.shortString);
export const longString = z.string().max(LIMITS.longString);
/** RFC 3339 timestamp with offset, as JSON carries dates. */
export const timestamp = z.iso.datetime({ offset: true });
export const count = z.int().min(0);
/** A share between 0 and 1; null when it cannot be known (no data is not 0%). */
export const ratio = z.number().min(0).max(1).nullable();

export const VersionCountSchema = z.object({ version: shortString, count: count });
export type VersionCount = z.infer<typeof VersionCountSchema>;

export const ProxyVersionsSchema = z.array(VersionCountSchema).max(LIMITS.proxyVersions);

export const HealthStatusSchema = z.enum(['HEALTHY', 'DEGRADED', 'UNHEALTHY', 'UNKNOWN']);
export type HealthStatus = z.infer<typeof HealthStatusSchema>;
