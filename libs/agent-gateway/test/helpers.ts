// Shared setup for this library's database-backed tests.
import { AppConfig, loadConfig } from '@meshfleet/config';
import { TestDatabase, testRedisUrl } from '@meshfleet/testing';

/** A test config pointing at `db`, with a connection pool of `poolSize`. */
export function testConfig(db: TestDatabase, poolSize: number): AppConfig {
  return loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: db.url,
    DATABASE_POOL_SIZE: String(poolSize),
    REDIS_URL: testRedisUrl(),
    MESHFLEET_PUBLIC_URL: 'https://meshfleet.example.test',
    LOG_LEVEL: 'silent',
  });
}
