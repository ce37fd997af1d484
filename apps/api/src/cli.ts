// Operator CLI: `npm run --silent cli -- org create <name>` | `org list`.
// Results are JSON on stdout; messages go to stderr.
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppConfig, ConfigError, ConfigModule, loadConfig } from '@meshfleet/config';
import { DbModule } from '@meshfleet/db';
import { AuditModule } from '@meshfleet/audit';
import { OrganizationsModule, OrganizationsService } from '@meshfleet/tenancy';
import { DomainError } from '@meshfleet/core';

const USAGE = 'usage: cli org create <name> | cli org list';

async function run(config: AppConfig, args: string[]): Promise<number> {
  @Module({ imports: [ConfigModule.forRoot(config), DbModule, AuditModule, OrganizationsModule] })
  class CliModule {}
  const ctx = await NestFactory.createApplicationContext(CliModule, { logger: false });
  try {
    const orgs = ctx.get(OrganizationsService);
    const [noun, verb, ...rest] = args;
    if (noun === 'org' && verb === 'create' && rest.length === 1) {
      const { organization, apiKey } = await orgs.create(rest[0]!);
      process.stdout.write(`${JSON.stringify({ organizationId: organization.id, apiKey })}\n`);
      return 0;
    }
    if (noun === 'org' && verb === 'list' && rest.length === 0) {
      for (const o of await orgs.list()) {
        process.stdout.write(
          `${JSON.stringify({ organizationId: o.id, name: o.name, createdAt: o.createdAt })}\n`,
        );
      }
      return 0;
    }
    console.error(USAGE);
    return 64;
  } finally {
    await ctx.close();
  }
}

async function main(): Promise<void> {
  try {
    process.exitCode = await run(loadConfig(), process.argv.slice(2));
  } catch (e) {
    if (e instanceof ConfigError || e instanceof DomainError) {
      console.error(`error: ${e.message}`);
      process.exitCode = e instanceof DomainError && e.code === 'CONFLICT' ? 3 : 2;
      return;
    }
    console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  }
}

void main();
