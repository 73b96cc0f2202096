/**
 * The configuration shared by a cluster, in PostgreSQL: one row per configuration (its
 * state counter and its objects), written only by compare-and-set on the state, and a
 * `NOTIFY` sent in the same statement, so every node that `LISTEN`s reloads at once.
 *
 * Why PostgreSQL rather than Redis: the configuration is the one thing a mail operator must
 * not lose, and PostgreSQL keeps it durably and transactionally without extra settings
 * (Redis persists only when configured to); compare-and-set is a plain conditional UPDATE,
 * LISTEN/NOTIFY delivers a change in milliseconds, and the counters, which want speed and
 * expiry rather than durability, stay in Redis.
 *
 *   CREATE TABLE mta_expr_config (id text PRIMARY KEY, state bigint NOT NULL,
 *                                 objects json NOT NULL, updated_at timestamptz NOT NULL)
 *
 * The table is created on first use. `json` (not `jsonb`) keeps each block as it was written.
 */
import pg from 'pg';
import { Settings, SettingsError } from '../json.js';
import type { ConfigStore, StoreWatch, StoredConfig } from './store.js';

export interface PostgresStoreSettings {
  /** `postgresql://user:password@host:port/database`. */
  url: string;
  /** The table (created when missing; default `mta_expr_config`); also the notification channel. */
  table?: string;
  /** The configuration's id in the table, so several clusters can share one (default `default`). */
  name?: string;
  /** The longest a query or a connection attempt takes (ms; default 2000). */
  timeout?: number;
}

export const CONFIG_STORE_SETTINGS = ['type', 'url', 'table', 'name', 'timeout'] as const;

/** Reads the `configStore` section of a server configuration file. */
export function configStoreSettings(json: unknown, path = 'configStore'): PostgresStoreSettings {
  const s = Settings.of(json, path, CONFIG_STORE_SETTINGS);
  if (s.raw('type') !== 'postgresql') throw new SettingsError(s.at('type'), 'must be postgresql (the shared configuration store)');
  const url = s.requiredString('url');
  if (!/^postgres(?:ql)?:\/\//.test(url)) throw new SettingsError(s.at('url'), 'must be a postgresql:// URL');
  const table = s.string('table', 'mta_expr_config');
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(table)) throw new SettingsError(s.at('table'), 'must be a lower-case SQL name (letters, digits, _)');
  return { url, table, name: s.string('name', 'default'), timeout: s.duration('timeout', 2000) };
}

const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 1000;

export class PostgresConfigStore implements ConfigStore {
  readonly kind = 'postgresql';
  private readonly pool: pg.Pool;
  private readonly table: string;
  private readonly id: string;
  private readonly clientConfig: pg.ClientConfig;
  private created: Promise<void> | undefined;

  constructor(settings: PostgresStoreSettings) {
    const timeout = settings.timeout ?? 2000;
    this.table = settings.table ?? 'mta_expr_config';
    this.id = settings.name ?? 'default';
    this.clientConfig = {
      connectionString: settings.url,
      connectionTimeoutMillis: timeout,
      statement_timeout: timeout,
      query_timeout: timeout + 500,
      keepAlive: true,
      application_name: 'mta-expr configuration',
    };
    this.pool = new pg.Pool({ ...this.clientConfig, max: 4, idleTimeoutMillis: 30_000 });
    // A pooled connection that breaks while idle (server restarted): dropped, and reported by the next query.
    this.pool.on('error', () => undefined);
  }

  /** A description for logs (no password). */
  describe(): string {
    try {
      const u = new URL(this.clientConfig.connectionString!);
      return `postgresql://${u.host}${u.pathname} table ${this.table}`;
    } catch {
      return `postgresql table ${this.table}`;
    }
  }

  private ensureTable(): Promise<void> {
    this.created ??= this.pool
      .query(`CREATE TABLE IF NOT EXISTS ${this.table} (id text PRIMARY KEY, state bigint NOT NULL, objects json NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())`)
      .then(
        () => undefined,
        (e: { code?: string }) => {
          // Two nodes creating the table at once: one of them loses the race, and the table is there.
          if (e.code === '23505' || e.code === '42P07') return;
          this.created = undefined;
          throw e;
        },
      );
    return this.created;
  }

  async load(): Promise<StoredConfig | null> {
    await this.ensureTable();
    const r = await this.pool.query<{ state: string; objects: StoredConfig['objects'] }>(`SELECT state::text AS state, objects FROM ${this.table} WHERE id = $1`, [this.id]);
    const row = r.rows[0];
    return row === undefined ? null : { state: row.state, objects: row.objects };
  }

  async save(config: StoredConfig): Promise<void> {
    await this.write(config, undefined);
  }

  async replace(expected: string | null, config: StoredConfig): Promise<boolean> {
    return this.write(config, expected);
  }

  /** Writes the row (only where the stored state is `expected` when given; only when absent for null) and notifies the listeners. */
  private async write(config: StoredConfig, expected: string | null | undefined): Promise<boolean> {
    if (!/^[0-9]{1,18}$/.test(config.state)) throw new Error(`state ${JSON.stringify(config.state)} is not a counter`);
    await this.ensureTable();
    const condition = expected === undefined ? '' : `WHERE ${this.table}.state::text = $4`;
    const r = await this.pool.query(
      `WITH written AS (
         INSERT INTO ${this.table} (id, state, objects, updated_at) VALUES ($1, $2::bigint, $3::json, now())
         ON CONFLICT (id) DO UPDATE SET state = EXCLUDED.state, objects = EXCLUDED.objects, updated_at = now() ${condition}
         RETURNING state)
       SELECT pg_notify('${this.table}', $1 || ' ' || state::text) FROM written`,
      expected === undefined ? [this.id, config.state, JSON.stringify(config.objects)] : [this.id, config.state, JSON.stringify(config.objects), expected ?? ''],
    );
    return (r.rowCount ?? 0) > 0;
  }

  /**
   * Listens for changes on a connection of its own. When the connection breaks it is opened
   * again (every 100 ms to 1 s); each time it is open, `onChange` runs once to catch up.
   */
  watch(watcher: StoreWatch): () => Promise<void> {
    let stopped = false;
    let client: pg.Client | undefined;
    let timer: NodeJS.Timeout | undefined;
    let delay = RETRY_MIN_MS;
    const lost = (c: pg.Client, e: unknown): void => {
      // Only the current connection counts: a late error of one already given up changes nothing.
      if (stopped || client !== c) return;
      client = undefined;
      c.removeAllListeners('end');
      c.end().catch(() => undefined);
      watcher.onStatus(false, e instanceof Error ? e : new Error(String(e)));
      timer = setTimeout(() => {
        timer = undefined;
        void connect();
      }, delay);
      delay = Math.min(delay * 2, RETRY_MAX_MS);
    };
    const connect = async (): Promise<void> => {
      const c = new pg.Client(this.clientConfig);
      client = c;
      c.on('error', (e) => lost(c, e));
      c.on('end', () => lost(c, new Error('the connection to the configuration store closed')));
      c.on('notification', (n) => {
        if (n.payload?.startsWith(`${this.id} `)) watcher.onChange();
      });
      try {
        await c.connect();
        await c.query(`LISTEN ${this.table}`);
      } catch (e) {
        lost(c, e);
        return;
      }
      if (stopped) return void c.end().catch(() => undefined);
      delay = RETRY_MIN_MS;
      watcher.onStatus(true);
      watcher.onChange();
    };
    void connect();
    return async () => {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      const c = client;
      client = undefined;
      c?.removeAllListeners('end');
      await c?.end().catch(() => undefined);
    };
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
