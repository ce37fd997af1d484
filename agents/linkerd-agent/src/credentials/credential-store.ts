// Where the agent keeps what it needs to come back after a restart: the Secret written by the
// install manifest (in a cluster), a state file (optional, development), and memory (always).
// The Secret is the source of truth when it can be read: a redeploy writes a fresh bootstrap
// token there, and the agent must pick it up.
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from 'pino';
import { errorMessage } from '../util/errors';
import type { KubeAccess } from '../kube/kube-access';

export interface StoredState {
  apiUrl?: string;
  clusterId?: string;
  bootstrapToken?: string;
  credential?: string;
}

export interface SavedCredential {
  credential: string;
  clusterId: string;
}

export interface CredentialStoreOptions {
  kube: KubeAccess;
  secret: { namespace: string; name: string };
  stateFile: string | null;
}

const KEYS = ['apiUrl', 'clusterId', 'bootstrapToken', 'credential'] as const;

function pick(data: Record<string, unknown>): StoredState {
  const out: StoredState = {};
  for (const k of KEYS) {
    const v = data[k];
    if (typeof v === 'string' && v.trim() !== '') out[k] = v.trim();
  }
  return out;
}

export class CredentialStore {
  private memory: StoredState = {};
  private secretWritable = false;

  constructor(
    private readonly o: CredentialStoreOptions,
    private readonly log: Logger,
  ) {}

  /** Merged view: memory < state file < Secret (the Secret wins, it is what a redeploy rewrites). */
  async load(): Promise<StoredState> {
    const file = await this.readFile();
    const secret = await this.readSecret();
    return { ...this.memory, ...file, ...secret };
  }

  async save(saved: SavedCredential): Promise<void> {
    this.memory = { ...this.memory, ...saved };
    if (this.secretWritable) {
      const { namespace, name } = this.o.secret;
      try {
        await this.o.kube.patchSecretData(namespace, name, { ...saved });
      } catch (e) {
        this.log.warn({ secret: `${namespace}/${name}`, err: errorMessage(e) }, 'cannot save the credential');
      }
    }
    if (this.o.stateFile) {
      try {
        await mkdir(dirname(this.o.stateFile), { recursive: true });
        await writeFile(this.o.stateFile, JSON.stringify({ ...(await this.readFile()), ...saved }), {
          mode: 0o600,
        });
        await chmod(this.o.stateFile, 0o600);
      } catch (e) {
        this.log.warn({ file: this.o.stateFile, err: errorMessage(e) }, 'cannot write the state file');
      }
    }
  }

  private async readSecret(): Promise<StoredState> {
    const { namespace, name } = this.o.secret;
    const r = await this.o.kube.readSecret(namespace, name);
    if (r.status === 'found') {
      this.secretWritable = true;
      return pick(r.data);
    }
    if (r.status === 'unavailable') {
      this.log.debug({ secret: `${namespace}/${name}`, reason: r.reason }, 'agent Secret not readable');
    }
    return {};
  }

  private async readFile(): Promise<StoredState> {
    if (!this.o.stateFile) return {};
    try {
      return pick(JSON.parse(await readFile(this.o.stateFile, 'utf8')) as Record<string, unknown>);
    } catch {
      return {};
    }
  }
}
