import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { CliError, type Connection } from './api';

/** ~/.config/meshfleet/config.json (or $XDG_CONFIG_HOME/meshfleet/config.json), mode 0600. */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.MESHFLEET_CONFIG) return env.MESHFLEET_CONFIG;
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(base, 'meshfleet', 'config.json');
}

export async function readStored(env: NodeJS.ProcessEnv = process.env): Promise<Partial<Connection>> {
  try {
    const raw = JSON.parse(await readFile(configPath(env), 'utf8')) as Partial<Connection>;
    return {
      apiUrl: typeof raw.apiUrl === 'string' ? raw.apiUrl : undefined,
      apiKey: typeof raw.apiKey === 'string' ? raw.apiKey : undefined,
    };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new CliError(`Cannot read ${configPath(env)}: ${(e as Error).message}`, 'CONFIG');
  }
}

export async function store(conn: Connection, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const path = configPath(env);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify({ apiUrl: conn.apiUrl, apiKey: conn.apiKey }, null, 2)}\n`, {
    mode: 0o600,
  });
  await chmod(tmp, 0o600);
  await rename(tmp, path);
  return path;
}

/** Flags first, then MESHFLEET_API_URL / MESHFLEET_API_KEY, then what `meshfleet login` stored. */
export async function resolveConnection(
  flags: { 'api-url'?: string; 'api-key'?: string },
  env: NodeJS.ProcessEnv = process.env,
): Promise<Connection> {
  const stored = await readStored(env);
  const apiUrl = flags['api-url'] ?? env.MESHFLEET_API_URL ?? stored.apiUrl;
  const apiKey = flags['api-key'] ?? env.MESHFLEET_API_KEY ?? stored.apiKey;
  if (!apiUrl || !apiKey)
    throw new CliError(
      'Not logged in: run `meshfleet login --api-url URL --api-key KEY`, or set MESHFLEET_API_URL and MESHFLEET_API_KEY',
      'NOT_LOGGED_IN',
    );
  return { apiUrl, apiKey };
}
