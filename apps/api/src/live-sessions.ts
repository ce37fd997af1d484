// Open graphql-ws connections, by who opened them. A credential that stops being valid closes its
// connections on every API replica: revoking an API key or removing a member publishes a
// revocation over Redis (LiveUpdates), and each replica closes the sockets it holds for that
// principal; a JWT's connection closes when the token expires. Closing with 4401 tells clients
// to re-authenticate.
import { Global, Injectable, Module, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { Principal } from '@meshfleet/auth';
import { CREDENTIAL_REVOKED, type CredentialRevoked } from '@meshfleet/tenancy';
import { LiveUpdates } from '@meshfleet/redis';

export const REVOKED_CLOSE_CODE = 4401;

interface Closable {
  close(code: number, reason: string): void;
}

const keyOf = (r: { kind: string; actorId: string; organizationId: string }) =>
  `${r.kind}:${r.actorId}:${r.organizationId}`;

/** The `exp` claim of a JWT, in ms, or null (API keys, malformed tokens). */
export function jwtExpiryMs(token: string): number | null {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  try {
    const payload = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof payload.exp === 'number' ? payload.exp * 1000 : null;
  } catch {
    return null;
  }
}

@Injectable()
export class LiveSessions implements OnModuleInit, OnModuleDestroy {
  private readonly open = new Map<string, Set<Closable>>();
  private readonly timers = new Map<Closable, NodeJS.Timeout>();
  private iterator: AsyncIterableIterator<CredentialRevoked> | null = null;

  constructor(private readonly live: LiveUpdates) {}

  onModuleInit(): void {
    this.listen();
  }

  async onModuleDestroy(): Promise<void> {
    await this.stop();
  }

  /** Starts listening for revocations published by any replica. */
  private listen(): void {
    const it = this.live.iterator<CredentialRevoked>(CREDENTIAL_REVOKED);
    this.iterator = it;
    void (async () => {
      for await (const r of it) this.closeAll(keyOf(r), 'credential revoked');
    })().catch(() => undefined);
  }

  track(principal: Principal, token: string, socket: Closable): void {
    const key = keyOf(principal);
    let set = this.open.get(key);
    if (!set) this.open.set(key, (set = new Set()));
    set.add(socket);
    const exp = principal.kind === 'USER' ? jwtExpiryMs(token) : null;
    if (exp !== null) {
      const timer = setTimeout(
        () => this.closeOne(key, socket, 'token expired'),
        Math.max(0, Math.min(exp - Date.now(), 2 ** 31 - 1)),
      );
      timer.unref();
      this.timers.set(socket, timer);
    }
  }

  untrack(principal: Principal, socket: Closable): void {
    const key = keyOf(principal);
    this.open.get(key)?.delete(socket);
    if (this.open.get(key)?.size === 0) this.open.delete(key);
    clearTimeout(this.timers.get(socket));
    this.timers.delete(socket);
  }

  private closeOne(key: string, socket: Closable, reason: string): void {
    this.open.get(key)?.delete(socket);
    clearTimeout(this.timers.get(socket));
    this.timers.delete(socket);
    socket.close(REVOKED_CLOSE_CODE, reason);
  }

  private closeAll(key: string, reason: string): void {
    for (const socket of [...(this.open.get(key) ?? [])]) this.closeOne(key, socket, reason);
    this.open.delete(key);
  }

  async stop(): Promise<void> {
    for (const t of this.timers.values()) clearTimeout(t);
    await this.iterator?.return?.();
  }
}

@Global()
@Module({ providers: [LiveSessions], exports: [LiveSessions] })
export class LiveSessionsModule {}
