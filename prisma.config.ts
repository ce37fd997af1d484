// Prisma CLI configuration (migrate, generate). The runtime client gets its URL from
// the validated app config through the pg driver adapter instead.
import { existsSync } from 'node:fs';
import { defineConfig } from 'prisma/config';

// `npm run db:migrate` reads ./.env like `npm start`; a variable already set in the environment wins.
if (existsSync('.env')) process.loadEnvFile('.env');

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/meshfleet' },
});
