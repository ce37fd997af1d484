import { ConfigError, loadConfig } from '@meshfleet/config';
import { startTracing, stopTracing } from '@meshfleet/observability';
import { createApi } from './api';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`meshfleet-api: ${e.message}`);
      process.exit(2);
    }
    throw e;
  }
  await startTracing('meshfleet-api', config.tracing);
  const app = await createApi(config);
  await app.listen(config.port, config.host);
  console.error(`meshfleet-api listening on http://${config.host}:${config.port}/graphql`);
  const stop = (signal: string) => {
    console.error(`meshfleet-api: ${signal}, draining`);
    app.close().then(
      () => stopTracing().finally(() => process.exit(0)),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

main().catch((e: unknown) => {
  console.error('meshfleet-api failed to start:', e instanceof Error ? e.message : e);
  process.exit(1);
});
