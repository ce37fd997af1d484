// Watch streams: newline-delimited JSON events. Replays from the store's event log when the
// client resumes at a resourceVersion, answers 410 Expired (as an ERROR event, like the real
// API server) when the log no longer reaches back, and translates selector transitions into
// ADDED/DELETED so filtered watches stay consistent.
import { ServerResponse } from 'node:http';
import { KubeError } from '../api/kube-error';
import { ObjectFilter } from '../api/selectors';
import { ObjectStore } from '../store/object-store';
import { KubeObject, StoreEvent } from '../store/types';

export interface WatchRequest {
  resourceKey: string;
  namespace?: string;
  filter: ObjectFilter;
  resourceVersion?: string;
  timeoutSeconds?: number;
  bookmarks: boolean;
  bookmarkIntervalMs: number;
  /** Current objects for a watch that starts "now" (no resourceVersion or "0"). */
  initial: () => KubeObject[];
  render: (o: KubeObject) => unknown;
  /** Called when the watch ends, so the cluster can track open watches. */
  onClose?: () => void;
}

export class WatchRegistry {
  private readonly open = new Set<ServerResponse>();

  get size(): number {
    return this.open.size;
  }

  /** Ends every open watch (a cut-off cluster drops its connections). */
  closeAll(destroy: boolean): void {
    for (const res of this.open) {
      if (destroy) res.socket?.destroy();
      else res.end();
    }
    this.open.clear();
  }

  serve(store: ObjectStore, res: ServerResponse, req: WatchRequest): void {
    res.writeHead(200, {
      'Content-Type': 'application/json',
      'Transfer-Encoding': 'chunked',
      'Cache-Control': 'no-cache',
    });
    res.flushHeaders();
    const send = (type: string, object: unknown): void => {
      if (!res.writableEnded) res.write(JSON.stringify({ type, object }) + '\n');
    };
    const inScope = (o: KubeObject): boolean => !req.namespace || o.metadata.namespace === req.namespace;
    const matches = (o: KubeObject | undefined): boolean => !!o && inScope(o) && req.filter(o);
    const deliver = (e: StoreEvent): void => {
      if (e.resourceKey !== req.resourceKey) return;
      const now = matches(e.object);
      const before = e.type === 'MODIFIED' ? matches(e.oldObject) : now;
      if (e.type === 'MODIFIED' && now && !before) send('ADDED', req.render(e.object));
      else if (e.type === 'MODIFIED' && !now && before) send('DELETED', req.render(e.object));
      else if (now) send(e.type, req.render(e.object));
    };

    const rv = req.resourceVersion && req.resourceVersion !== '0' ? Number(req.resourceVersion) : undefined;
    if (rv !== undefined) {
      const replay = Number.isFinite(rv) ? store.eventsSince(req.resourceKey, rv) : undefined;
      if (!replay) {
        const err = new KubeError(
          'Expired',
          `too old resource version: ${req.resourceVersion} (${store.oldestResumable})`,
        );
        send('ERROR', err.toStatus());
        res.end();
        return;
      }
      replay.forEach(deliver);
    } else {
      for (const o of req.initial()) if (matches(o)) send('ADDED', req.render(o));
    }
    this.open.add(res);
    const unsubscribe = store.subscribe(deliver);
    const timers: NodeJS.Timeout[] = [];
    if (req.bookmarks) {
      const bookmark = (): void =>
        send('BOOKMARK', {
          kind: 'Bookmark',
          apiVersion: 'v1',
          metadata: { resourceVersion: String(store.resourceVersion) },
        });
      timers.push(setInterval(bookmark, req.bookmarkIntervalMs));
    }
    if (req.timeoutSeconds && req.timeoutSeconds > 0)
      timers.push(setTimeout(() => res.end(), req.timeoutSeconds * 1000));
    const cleanup = (): void => {
      unsubscribe();
      timers.forEach((t) => clearTimeout(t));
      this.open.delete(res);
      req.onClose?.();
    };
    res.on('close', cleanup);
    res.on('finish', cleanup);
  }
}
