// The agent's own version, sent on enroll, heartbeats and reports. Kept in step with package.json.
export const AGENT_VERSION = '0.1.0';
