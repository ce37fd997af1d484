import type { INestApplicationContext } from '@nestjs/common';
import { ConfigError, loadConfig } from '@meshfleet/config';
import { startTracing, stopTracing } from '@meshfleet/observability';
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
  let ctx: INestApplicationContext | null = null;
  // Set before start-up: a worker still waiting for Redis or Postgres must stop on SIGTERM too.
  const stop = (signal: string) => {
    console.error(`meshfleet-worker: ${signal}, finishing current work`);
    if (!ctx) process.exit(0);
    ctx.close().then(
      () => stopTracing().finally(() => process.exit(0)),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  await startTracing('meshfleet-worker', config.tracing);
  ctx = await createWorker(config);
}

main().catch((e: unknown) => {
  console.error('meshfleet-worker failed to start:', e instanceof Error ? e.message : e);
  process.exit(1);
});
