// The agent binary: `npm run agent` outside a cluster (KUBECONFIG, MESHFLEET_API_URL,
// MESHFLEET_BOOTSTRAP_TOKEN), or the container's entry point in a cluster.
import { AgentConfigError, loadAgentConfig } from './config/agent-config';
import { startAgent } from './agent';
import { createLogger } from './observability/logger';

async function main(): Promise<void> {
  let config;
  try {
    config = loadAgentConfig();
  } catch (e) {
    if (e instanceof AgentConfigError) {
      console.error(`meshfleet-agent: ${e.message}`);
      process.exitCode = 2;
      return;
    }
    throw e;
  }
  const log = createLogger(config.logLevel);
  const agent = await startAgent(config, { logger: log, processMetrics: true });
  log.info({ url: agent.url }, 'meshfleet agent started');
  const shutdown = (signal: string): void => {
    log.info({ signal }, 'shutting down');
    agent.stop().then(
      () => {
        process.exitCode = 0;
      },
      () => {
        process.exitCode = 1;
      },
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

main().catch((e: unknown) => {
  console.error('meshfleet-agent failed to start:', e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
