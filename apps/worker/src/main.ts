import { ConfigError, loadConfig } from '@meshfleet/config';
import { createWorker } from './worker';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`meshfleet-worker: ${e.message}`);
      process.exit(2);
    }
    throw e;
  }
  const ctx = await createWorker(config);
  const stop = (signal: string) => {
    console.error(`meshfleet-worker: ${signal}, finishing current work`);
    ctx.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

main().catch((e: unknown) => {
  console.error('meshfleet-worker failed to start:', e instanceof Error ? e.message : e);
  process.exit(1);
});
