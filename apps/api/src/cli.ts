// Operator CLI: `npm run --silent cli -- org create <name>` | `org list` | `release import …` |
// `keys status` | `keys rewrap`.
// Results are JSON on stdout; messages go to stderr.
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppConfig, ConfigError, ConfigModule, loadConfig } from '@meshfleet/config';
import { DbModule } from '@meshfleet/db';
import { AuditModule } from '@meshfleet/audit';
import { OrganizationsModule, OrganizationsService } from '@meshfleet/tenancy';
import { DomainError } from '@meshfleet/core';
import { CatalogModule, CatalogService } from '@meshfleet/operations';
import { KeyRotationRepository, KeyRotationService } from '@meshfleet/certificates';
import { readFileSync } from 'node:fs';

const USAGE = [
  'usage: cli org create <name>',
  '       cli org list',
  '       cli release import --org <organizationId> --version <v> --variant default|ha --crds <file> --control-plane <file> [--replace]',
  '       cli keys status      which encryption key ids the stored secrets use',
  '       cli keys rewrap      re-wrap every stored secret under MESHFLEET_ENCRYPTION_ACTIVE_KEY',
].join('\n');

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

async function run(config: AppConfig, args: string[]): Promise<number> {
  @Module({
    imports: [ConfigModule.forRoot(config), DbModule, AuditModule, OrganizationsModule, CatalogModule],
    providers: [KeyRotationRepository, KeyRotationService],
  })
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
    if (noun === 'keys' && verb === 'status' && rest.length === 0) {
      const keys = ctx.get(KeyRotationService);
      const activeKeyId = config.encryption?.activeKeyId ?? null;
      process.stdout.write(`${JSON.stringify({ activeKeyId, keysInUse: await keys.keysInUse() })}\n`);
      return 0;
    }
    if (noun === 'keys' && verb === 'rewrap' && rest.length === 0) {
      const report = await ctx.get(KeyRotationService).rewrapAll();
      process.stdout.write(`${JSON.stringify(report)}\n`);
      return 0;
    }
    if (noun === 'release' && verb === 'import') {
      const [org, version, variant, crds, cp] = ['org', 'version', 'variant', 'crds', 'control-plane'].map(
        (f) => flag(rest, f),
      );
      if (!org || !version || !crds || !cp || (variant !== 'default' && variant !== 'ha')) {
        console.error(USAGE);
        return 64;
      }
      const organization = await orgs.get(org);
      const release = await ctx.get(CatalogService).import(
        {
          organizationId: organization.id,
          role: 'ADMIN',
          kind: 'SYSTEM',
          actorId: 'cli',
          actorName: 'operator-cli',
          ip: null,
          userAgent: null,
          requestId: null,
        },
        {
          version,
          variant,
          crdsYaml: readFileSync(crds, 'utf8'),
          controlPlaneYaml: readFileSync(cp, 'utf8'),
          replace: rest.includes('--replace'),
        },
      );
      const bundle = release.bundles.find((b) => b.variant === variant)!;
      process.stdout.write(
        `${JSON.stringify({ version: release.version, variant, major: release.major, source: 'IMPORTED', shadowsSimulated: release.shadowsSimulated, crdsDigest: bundle.crdsDigest, controlPlaneDigest: bundle.controlPlaneDigest })}\n`,
      );
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
