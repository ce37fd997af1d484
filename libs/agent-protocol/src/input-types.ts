// Input types (before defaults are applied): what a sender may put on the wire.
import type { z } from 'zod';
import type { EnrollRequestSchema } from './messages/enroll.schema';
import type { HeartbeatSchema } from './messages/heartbeat.schema';
import type { HealthReportSchema } from './messages/health-report.schema';
import type { TaskEnvelopeSchema, TaskEventSchema, TaskResultSchema } from './messages/tasks.schema';

export type EnrollRequestInput = z.input<typeof EnrollRequestSchema>;
export type HeartbeatInput = z.input<typeof HeartbeatSchema>;
export type HealthReportInput = z.input<typeof HealthReportSchema>;
export type TaskEnvelopeInput = z.input<typeof TaskEnvelopeSchema>;
export type TaskEventInput = z.input<typeof TaskEventSchema>;
export type TaskResultInput = z.input<typeof TaskResultSchema>;
