// The alert rules every organization has, with defaults; stored rows only hold overrides.
import { ValidationError } from '@meshfleet/core';
import { RESOURCE_RULE_DEFAULTS, validateResourceParam } from './resource-rules';

export enum AlertKind {
  AGENT_OFFLINE = 'AGENT_OFFLINE',
  CONTROL_PLANE_UNHEALTHY = 'CONTROL_PLANE_UNHEALTHY',
  MESH_DEGRADED = 'MESH_DEGRADED',
  CERTIFICATE_EXPIRING = 'CERTIFICATE_EXPIRING',
  CERTIFICATE_EXPIRED = 'CERTIFICATE_EXPIRED',
  MTLS_COVERAGE_BELOW = 'MTLS_COVERAGE_BELOW',
  VERSION_SKEW = 'VERSION_SKEW',
  OPERATION_FAILED = 'OPERATION_FAILED',
  ROLLOUT_PAUSED = 'ROLLOUT_PAUSED',
  ROLLOUT_FAILED = 'ROLLOUT_FAILED',
  PROXY_MEMORY_HIGH = 'PROXY_MEMORY_HIGH',
  PROXY_OOMKILLED = 'PROXY_OOMKILLED',
  CONTROL_PLANE_RESOURCE = 'CONTROL_PLANE_RESOURCE',
  DRIFT_DETECTED = 'DRIFT_DETECTED',
  PROXY_CPU_HIGH = 'PROXY_CPU_HIGH',
  MESH_MEMORY_OVERHEAD = 'MESH_MEMORY_OVERHEAD',
}

export enum AlertSeverity {
  INFO = 'INFO',
  WARNING = 'WARNING',
  CRITICAL = 'CRITICAL',
}

export interface RuleParams {
  /** CERTIFICATE_EXPIRING: day thresholds, largest first; the smallest crossed sets the severity. */
  days?: number[];
  /** MTLS_COVERAGE_BELOW: minimum pod coverage and headline traffic coverage, 0..1. */
  threshold?: number;
  /** PROXY_MEMORY_HIGH: the largest proxy's working set above this warns (critical: > 80 % of its limit). */
  thresholdBytes?: number;
  /** PROXY_CPU_HIGH: the busiest proxy's CPU above this (cores) warns. */
  thresholdCores?: number;
  /** MESH_MEMORY_OVERHEAD: proxies' memory ÷ their applications' memory above this warns. */
  overheadRatio?: number;
  /** CONTROL_PLANE_RESOURCE: a container's share of its memory limit that counts as near it. */
  limitRatio?: number;
  /** Every rule: after resolving, the same alert does not fire again for this long. */
  cooldownSeconds?: number;
}

export interface EffectiveRule {
  kind: AlertKind;
  enabled: boolean;
  severity: AlertSeverity;
  forSeconds: number;
  params: RuleParams;
  /** Fires from events (operation/rollout) rather than from the cluster's current state. */
  eventDriven: boolean;
}

const COOLDOWN = 300;

export const RULE_DEFAULTS: Record<AlertKind, Omit<EffectiveRule, 'kind'>> = {
  AGENT_OFFLINE: {
    enabled: true,
    severity: AlertSeverity.CRITICAL,
    forSeconds: 0,
    params: {},
    eventDriven: false,
  },
  CONTROL_PLANE_UNHEALTHY: {
    enabled: true,
    severity: AlertSeverity.CRITICAL,
    forSeconds: 0,
    params: {},
    eventDriven: false,
  },
  MESH_DEGRADED: {
    enabled: false,
    severity: AlertSeverity.WARNING,
    forSeconds: 300,
    params: {},
    eventDriven: false,
  },
  CERTIFICATE_EXPIRING: {
    enabled: true,
    severity: AlertSeverity.WARNING,
    forSeconds: 0,
    params: { days: [30, 7, 1] },
    eventDriven: false,
  },
  CERTIFICATE_EXPIRED: {
    enabled: true,
    severity: AlertSeverity.CRITICAL,
    forSeconds: 0,
    params: {},
    eventDriven: false,
  },
  MTLS_COVERAGE_BELOW: {
    enabled: true,
    severity: AlertSeverity.WARNING,
    forSeconds: 300,
    params: { threshold: 0.9 },
    eventDriven: false,
  },
  VERSION_SKEW: {
    enabled: true,
    severity: AlertSeverity.WARNING,
    forSeconds: 600,
    params: {},
    eventDriven: false,
  },
  OPERATION_FAILED: {
    enabled: true,
    severity: AlertSeverity.WARNING,
    forSeconds: 0,
    params: {},
    eventDriven: true,
  },
  ROLLOUT_PAUSED: {
    enabled: true,
    severity: AlertSeverity.WARNING,
    forSeconds: 0,
    params: {},
    eventDriven: true,
  },
  ROLLOUT_FAILED: {
    enabled: true,
    severity: AlertSeverity.CRITICAL,
    forSeconds: 0,
    params: {},
    eventDriven: true,
  },
  ...RESOURCE_RULE_DEFAULTS,
  DRIFT_DETECTED: {
    enabled: true,
    severity: AlertSeverity.WARNING,
    forSeconds: 0,
    params: {},
    eventDriven: false,
  },
};

export const ALL_KINDS = Object.values(AlertKind);

const RANK: Record<string, number> = { INFO: 0, WARNING: 1, CRITICAL: 2 };

/** Orders severities (INFO < WARNING < CRITICAL); unknown values rank lowest. */
export function severityRank(severity: string): number {
  return RANK[severity] ?? -1;
}

export function cooldownSeconds(rule: EffectiveRule): number {
  return rule.params.cooldownSeconds ?? COOLDOWN;
}

export interface StoredRule {
  kind: string;
  enabled: boolean;
  severity: string;
  forSeconds: number;
  params: unknown;
}

/** Defaults overlaid with the organization's stored rows. */
export function effectiveRules(stored: StoredRule[]): EffectiveRule[] {
  const byKind = new Map(stored.map((r) => [r.kind, r]));
  return ALL_KINDS.map((kind) => {
    const d = RULE_DEFAULTS[kind];
    const s = byKind.get(kind);
    if (!s) return { kind, ...d, params: { ...d.params } };
    return {
      kind,
      enabled: s.enabled,
      severity: s.severity as AlertSeverity,
      forSeconds: s.forSeconds,
      params: { ...d.params, ...((s.params ?? {}) as RuleParams) },
      eventDriven: d.eventDriven,
    };
  });
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Validates user-supplied params for a rule kind; unknown keys are refused. */
export function validateParams(kind: AlertKind, raw: Record<string, unknown>): RuleParams {
  const out: RuleParams = {};
  for (const [key, v] of Object.entries(raw)) {
    if (key === 'cooldownSeconds') {
      if (!isNum(v) || !Number.isInteger(v) || v < 0 || v > 86_400)
        throw new ValidationError('params.cooldownSeconds must be an integer 0..86400', 'params');
      out.cooldownSeconds = v;
    } else if (key === 'days' && kind === AlertKind.CERTIFICATE_EXPIRING) {
      if (
        !Array.isArray(v) ||
        v.length < 1 ||
        v.length > 5 ||
        !v.every((d) => isNum(d) && d > 0 && d <= 3650)
      )
        throw new ValidationError('params.days must be 1 to 5 positive day counts', 'params');
      out.days = [...new Set(v as number[])].sort((a, b) => b - a);
    } else if (key === 'threshold' && kind === AlertKind.MTLS_COVERAGE_BELOW) {
      if (!isNum(v) || v < 0 || v > 1)
        throw new ValidationError('params.threshold must be between 0 and 1', 'params');
      out.threshold = v;
    } else if (validateResourceParam(kind, key, v, out)) {
      // set by validateResourceParam
    } else throw new ValidationError(`params.${key} is not a setting of ${kind}`, 'params');
  }
  return out;
}
