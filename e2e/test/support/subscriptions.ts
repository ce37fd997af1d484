// GraphQL subscriptions over graphql-ws, as a portal would open them: every message is kept in
// arrival order so a test can assert on the sequence, and can wait for the one it needs.
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

export interface Watched<T> {
  /** Every payload received so far, oldest first. */
  readonly items: T[];
  /** Resolves with the first payload (already received or coming) that satisfies `ok`. */
  until(ok: (v: T) => boolean, timeoutMs: number, what: string): Promise<T>;
  close(): void;
}

export function wsClient(apiUrl: string, apiKey: string): Client {
  return createClient({
    url: `${apiUrl.replace(/^http/, 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${apiKey}` },
    lazy: false,
  });
}

/** Subscribes and collects `data[field]` of every message; a GraphQL error fails every wait. */
export function watch<T>(
  client: Client,
  query: string,
  variables: Record<string, unknown>,
  field: string,
): Watched<T> {
  const items: T[] = [];
  let failure: Error | undefined;
  const waiters = new Set<() => void>();
  const wake = () => waiters.forEach((w) => w());
  const unsubscribe = client.subscribe<Record<string, T>>(
    { query, variables },
    {
      next: (m) => {
        if (m.errors?.length) failure = new Error(`subscription error: ${JSON.stringify(m.errors)}`);
        else if (m.data?.[field] !== undefined) items.push(m.data[field]);
        wake();
      },
      error: (e) => {
        failure = new Error(`subscription failed: ${e instanceof Error ? e.message : JSON.stringify(e)}`);
        wake();
      },
      complete: () => {
        failure ??= new Error('subscription completed by the server');
        wake();
      },
    },
  );
  return {
    items,
    until(ok, timeoutMs, what) {
      return new Promise<T>((resolve, reject) => {
        const check = (): boolean => {
          const found = items.find(ok);
          if (found !== undefined) {
            done();
            resolve(found);
            return true;
          }
          if (failure) {
            done();
            reject(failure);
            return true;
          }
          return false;
        };
        const timer = setTimeout(() => {
          done();
          const last = JSON.stringify(items.at(-1) ?? null).slice(0, 1500);
          reject(new Error(`timed out waiting for ${what} (${items.length} messages; last ${last})`));
        }, timeoutMs);
        const waiter = () => void check();
        const done = () => {
          clearTimeout(timer);
          waiters.delete(waiter);
        };
        if (!check()) waiters.add(waiter);
      });
    },
    close: unsubscribe,
  };
}
