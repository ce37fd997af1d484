// What the agent knows about itself, readable by tests, the demo and /healthz.
import type { HealthStatus } from '@meshfleet/agent-protocol';

export type AgentPhase = 'starting' | 'syncing' | 'enrolling' | 'running' | 'stopping' | 'stopped';

export interface AgentState {
  phase: AgentPhase;
  informersSynced: boolean;
  enrolled: boolean;
  clusterId: string | null;
  /** Last successful answer from the API. */
  lastContactAt: Date | null;
  lastReport: { sequence: number; generatedAt: string; health: HealthStatus; accepted: boolean } | null;
  /** From the last report built; null before the first. */
  linkerdInstalled: boolean | null;
  heartbeatsSent: number;
  heartbeatsFailed: number;
  reportsSent: number;
  /** Of those, sent early because what the health verdict turns on changed. */
  earlyReportsSent: number;
  tasksRun: number;
  runningTaskId: string | null;
  intervals: { heartbeatSeconds: number; reportSeconds: number; taskPollSeconds: number };
}

export function initialState(): AgentState {
  return {
    phase: 'starting',
    informersSynced: false,
    enrolled: false,
    clusterId: null,
    lastContactAt: null,
    lastReport: null,
    linkerdInstalled: null,
    heartbeatsSent: 0,
    heartbeatsFailed: 0,
    reportsSent: 0,
    earlyReportsSent: 0,
    tasksRun: 0,
    runningTaskId: null,
    // Until the API tells us (enroll or heartbeat response), the documented defaults. The poll
    // wait stays below any sensible server maximum.
    intervals: { heartbeatSeconds: 15, reportSeconds: 60, taskPollSeconds: 20 },
  };
}
