// Wakes the outbox consumer when new DomainEvent rows commit: a trigger on the table sends
// NOTIFY meshfleet_outbox (see the outbox_notify migration), and this LISTENs on a connection of
// its own (a pooled one may be handed to someone else; LISTEN is per session). A lost connection
// is reopened with backoff, and each (re)connect wakes the consumer once, since notifications sent
// while it was down are gone. The consumer's poll stays the safety net for anything missed.
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import pg from 'pg';
import { AppConfig } from '@meshfleet/config';
import { OutboxConsumer } from './outbox';

export const OUTBOX_CHANNEL = 'meshfleet_outbox';

export interface OutboxListenerOptions {
  connectionString: string;
  /** Called on every notification and after every (re)connect. */
  onWake: () => void;
  log?: Pick<Logger, 'warn' | 'log'>;
  /** First reconnect delay, doubled up to maxRetryMs. */
  retryMs?: number;
  maxRetryMs?: number;
}

/** One LISTEN connection that survives errors. */
export class OutboxListener {
  private client: pg.Client | null = null;
  private stopped = true;
  private retryTimer: NodeJS.Timeout | null = null;
  private attempt = 0;
  private connected = false;
  /** Times a connection was established (a test watches the reconnect). */
  connects = 0;
  notifications = 0;

  constructor(private readonly o: OutboxListenerOptions) {}

  get listening(): boolean {
    return this.connected;
  }

  /** The backend pid of the LISTEN session, or null while disconnected. */
  get backendPid(): number | null {
    return this.connected ? ((this.client as unknown as { processID?: number })?.processID ?? null) : null;
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const c = this.client;
    this.client = null;
    this.connected = false;
    await c?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new pg.Client({ connectionString: this.o.connectionString });
    this.client = client;
    let failed = false;
    const lost = (why: string) => {
      if (failed) return;
      failed = true;
      this.connected = false;
      if (this.client === client) this.client = null;
      client.removeAllListeners('notification');
      void client.end().catch(() => undefined);
      if (!this.stopped) this.retry(why);
    };
    client.on('error', (e) => lost(e.message));
    client.on('end', () => lost('connection ended'));
    client.on('notification', (n) => {
      if (n.channel !== OUTBOX_CHANNEL) return;
      this.notifications++;
      this.o.onWake();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${OUTBOX_CHANNEL}`);
    } catch (e) {
      lost((e as Error).message);
      return;
    }
    if (this.stopped || failed) return;
    this.connected = true;
    this.attempt = 0;
    this.connects++;
    // Whatever committed while no one listened.
    this.o.onWake();
  }

  private retry(why: string): void {
    const base = this.o.retryMs ?? 500;
    const delay = Math.min(this.o.maxRetryMs ?? 30_000, base * 2 ** this.attempt++);
    this.o.log?.warn(`outbox LISTEN connection lost (${why}); reconnecting in ${delay} ms`);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.connect();
    }, delay);
    this.retryTimer.unref();
  }
}

/** The worker's listener: wakes every outbox loop of this process on commit of new events. */
@Injectable()
export class OutboxWakeup implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger(OutboxWakeup.name);
  private listener: OutboxListener | null = null;

  constructor(
    private readonly consumer: OutboxConsumer,
    @Inject(AppConfig) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.outbox.listen) return;
    this.listener = new OutboxListener({
      connectionString: this.config.databaseUrl,
      onWake: () => this.consumer.poke(),
      log: this.log,
    });
    await this.listener.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.listener?.stop();
  }
}
