#!/usr/bin/env node
// meshfleet: the platform engineer's CLI. It talks to the API over GraphQL only (HTTP and
// graphql-ws); `--help` needs no configuration and no network.
import { parseArgs } from 'node:util';
import { CliError } from './api';
import * as cmd from './commands';
import { HELP, MAIN_HELP } from './help';
import { resolveConnection } from './settings';

const OPTIONS = {
  'api-url': { type: 'string' },
  'api-key': { type: 'string' },
  output: { type: 'string', short: 'o' },
  help: { type: 'boolean', short: 'h' },
  // command options
  name: { type: 'string' },
  provider: { type: 'string' },
  region: { type: 'string' },
  label: { type: 'string', multiple: true },
  mode: { type: 'string' },
  selector: { type: 'string' },
  search: { type: 'string' },
  first: { type: 'string' },
  version: { type: 'string' },
  'identity-domain': { type: 'string' },
  ha: { type: 'boolean' },
  'restart-data-plane': { type: 'boolean' },
  'allow-downgrade': { type: 'boolean' },
  detach: { type: 'boolean' },
  follow: { type: 'boolean' },
  'canary-count': { type: 'string' },
  'health-gate-seconds': { type: 'string' },
  'max-failures': { type: 'string' },
  status: { type: 'string' },
  cluster: { type: 'string' },
  format: { type: 'string' },
  out: { type: 'string' },
} as const;

type Handler = (ctx: cmd.Ctx) => Promise<void>;
/** command words → handler; the first word picks the help text. */
const COMMANDS: Array<[string[], Handler]> = [
  [['login'], cmd.login],
  [['clusters', 'list'], cmd.clustersList],
  [['clusters'], cmd.clustersList],
  [['cluster', 'register'], cmd.clusterRegister],
  [['install'], cmd.install],
  [['upgrade'], cmd.upgrade],
  [['operation'], cmd.operation],
  [['rollout', 'start'], cmd.rolloutStart],
  [['rollout', 'status'], cmd.rolloutStatus],
  [['alerts'], cmd.alerts],
  [['identity-domains'], cmd.identityDomains],
  [['gitops', 'export'], cmd.gitopsExport],
];

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    process.stderr.write(`meshfleet: ${(e as Error).message}\nRun \`meshfleet --help\`.\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  const word = positionals[0];
  if (!word || word === 'help') {
    const topic = positionals[1];
    process.stdout.write(topic && HELP[topic] ? HELP[topic] : MAIN_HELP);
    return word || values.help ? 0 : 2;
  }
  if (values.help) {
    process.stdout.write(HELP[word] ?? MAIN_HELP);
    return HELP[word] ? 0 : 2;
  }
  const match = COMMANDS.find(([words]) => words.every((w, i) => positionals[i] === w));
  if (!match) {
    process.stderr.write(
      `meshfleet: unknown command "${positionals.join(' ')}"\nRun \`meshfleet --help\`.\n`,
    );
    return 2;
  }
  const output = values.output ?? 'table';
  if (output !== 'table' && output !== 'json') {
    process.stderr.write('meshfleet: -o must be table or json\n');
    return 2;
  }
  try {
    const conn = await resolveConnection(values);
    await match[1]({
      conn,
      flags: values as cmd.Flags,
      args: positionals.slice(match[0].length),
      json: output === 'json',
      out: (s) => process.stdout.write(s),
    });
    return 0;
  } catch (e) {
    if (e instanceof CliError) {
      process.stderr.write(`meshfleet: ${e.message}${e.code && e.code !== 'USAGE' ? ` (${e.code})` : ''}\n`);
      return e.exitCode;
    }
    process.stderr.write(`meshfleet: unexpected error: ${(e as Error)?.stack ?? String(e)}\n`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`meshfleet: ${String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
