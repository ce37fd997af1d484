// Building blocks shared by the message schemas.
import { z } from 'zod';
import { LIMITS } from '../limits';

export const shortString = z.string().min(1).max(LIMITS.shortString);
export const longString = z.string().max(LIMITS.longString);
/** The largest value of a Postgres integer column, where counts are stored. */
export const INT4_MAX = 2_147_483_647;

/**
 * RFC 3339 timestamp with offset, as JSON carries dates, within years 0001–9999 once in UTC
 * (what Postgres and X.509's "no expiry" 9999-12-31T23:59:59Z need; year 0000 does not exist).
 */
export const timestamp = z.iso.datetime({ offset: true }).refine((v) => {
  const year = new Date(v).getUTCFullYear();
  return year >= 1 && year <= 9999;
}, 'must fall between years 0001 and 9999 in UTC');
/** A count of things (pods, nodes, connections): what an integer column holds. */
export const count = z.int().min(0).max(INT4_MAX);
/** A monotonic number chosen by the agent (wall-clock milliseconds): any safe integer ≥ 0. */
export const sequenceNumber = z.int().min(0);
/** A share between 0 and 1; null when it cannot be known (no data is not 0%). */
export const ratio = z.number().min(0).max(1).nullable();

export const VersionCountSchema = z.object({ version: shortString, count: count });
export type VersionCount = z.infer<typeof VersionCountSchema>;

export const ProxyVersionsSchema = z.array(VersionCountSchema).max(LIMITS.proxyVersions);

export const HealthStatusSchema = z.enum(['HEALTHY', 'DEGRADED', 'UNHEALTHY', 'UNKNOWN']);
export type HealthStatus = z.infer<typeof HealthStatusSchema>;
