// Prints the GraphQL schema built from the resolvers to apps/api/schema.graphql,
// or with --check fails when the committed file differs from the code.
import 'reflect-metadata';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import { GraphQLSchemaBuilderModule, GraphQLSchemaFactory } from '@nestjs/graphql';
import { lexicographicSortSchema, printSchema } from 'graphql';
import { API_RESOLVERS } from './resolvers';

const SCHEMA_FILE = join(__dirname, '..', '..', 'schema.graphql');

async function main(): Promise<void> {
  const app = await NestFactory.create(GraphQLSchemaBuilderModule, { logger: false });
  await app.init();
  const factory = app.get(GraphQLSchemaFactory);
  const schema = await factory.create(API_RESOLVERS, { noDuplicatedFields: true });
  const text = `# Generated from the resolvers by \`npm run schema:print\`. Do not edit.\n\n${printSchema(lexicographicSortSchema(schema))}\n`;
  await app.close();
  if (process.argv.includes('--check')) {
    let committed = '';
    try {
      committed = readFileSync(SCHEMA_FILE, 'utf8');
    } catch {
      /* missing counts as different */
    }
    if (committed !== text) {
      console.error(
        'apps/api/schema.graphql is out of date: run `npm run build && npm run schema:print` and commit it',
      );
      process.exit(1);
    }
    console.log('schema.graphql matches the code');
    return;
  }
  writeFileSync(SCHEMA_FILE, text);
  console.log(`wrote ${SCHEMA_FILE}`);
}

void main();
