// Public API of @meshfleet/linkerd-agent: start agents programmatically (tests, demo) or run
// the binary (src/main.ts).
export { startAgent } from './agent';
export type { RunningAgent, StartAgentOptions } from './agent';
export type { AgentState, AgentPhase } from './agent-state';
export { loadAgentConfig, AgentConfigError } from './config/agent-config';
export type { AgentConfig } from './config/agent-config';
export { AGENT_VERSION } from './version';
export { createLogger } from './observability/logger';
