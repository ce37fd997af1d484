// Heartbeat: cheap liveness signal every ~15 s. Kept tiny on purpose (8 KiB limit).
import { z } from 'zod';
import { HealthStatusSchema, sequenceNumber, shortString, timestamp } from './common.schema';

export const QuickStatusSchema = z.object({
  linkerdInstalled: z.boolean().optional(),
  kubernetesReachable: z.boolean().optional(),
  /** The agent's own view of the last report it produced. */
  health: HealthStatusSchema.optional(),
  lastReportSequence: sequenceNumber.optional(),
  runningTaskId: shortString.optional(),
});

export const HeartbeatSchema = z.object({
  agentVersion: shortString,
  /** Added in protocol 2; version-1 agents omit it. */
  sequence: sequenceNumber.optional(),
  uptimeSeconds: z.number().min(0),
  status: QuickStatusSchema.optional(),
});
export type Heartbeat = z.infer<typeof HeartbeatSchema>;

export const HeartbeatResponseSchema = z.object({
  serverTime: timestamp,
  heartbeatIntervalSeconds: z.int().min(1).max(3600),
  reportIntervalSeconds: z.int().min(1).max(3600),
  /** The API asks for a full report now (e.g. after a restart it has no snapshot). */
  reportRequested: z.boolean().optional(),
});
export type HeartbeatResponse = z.infer<typeof HeartbeatResponseSchema>;
