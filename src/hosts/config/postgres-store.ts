/**
 * The configuration shared by a cluster, in PostgreSQL: one row per object (its state and
 * its field overrides) and one row per history entry, in two tables:
 *
 *   CREATE TABLE mta_expr_config (config text, object text, state text NOT NULL,
 *                                 overrides json NOT NULL, updated_at timestamptz NOT NULL,
 *                                 PRIMARY KEY (config, object))
 *   CREATE TABLE mta_expr_config_history (id bigserial PRIMARY KEY, config text NOT NULL,
 *                                         object text NOT NULL, entry json NOT NULL)
 *
 * A commit is one transaction: each changed object's row is updated only where its state is
 * still the expected one (compare-and-set; a row another node updated meanwhile is locked
 * until that node commits and then no longer matches), the history entries are appended,
 * and a `NOTIFY` is sent, which PostgreSQL delivers only when the transaction commits, so
 * every node that `LISTEN`s reads the change at once. Either all of it is stored or none.
 * The tables are created on first use; `json` (not `jsonb`) keeps each block as written.
 *
 * Why PostgreSQL rather than Redis: the configuration is the one thing a mail operator must
 * not lose, and PostgreSQL keeps it durably and transactionally without extra settings
 * (Redis persists only when configured to); compare-and-set is a plain conditional UPDATE,
 * LISTEN/NOTIFY delivers a change in milliseconds, and the counters, which want speed and
 * expiry rather than durability, stay in Redis.
 */
import pg from 'pg';
import { Settings, SettingsError } from '../json.js';
import { INITIAL_STATE, type ConfigChange, type ConfigStore, type HistoryEntry, type StoreWatch, type StoredConfig } from './store.js';

export interface PostgresStoreSettings {
  /** `postgresql://user:password@host:port/database`. */
  url: string;
  /** The table of the objects (created when missing; default `mta_expr_config`), also the notification channel; the history is in TABLE_history. */
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
  if (!/^[a-z_][a-z0-9_]{0,47}$/.test(table)) throw new SettingsError(s.at('table'), 'must be a lower-case SQL name of at most 48 characters (letters, digits, _)');
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
  /** The configuration was seeded (or found) once: later opens only read. */
  private seeded = false;

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

  private get historyTable(): string {
    return `${this.table}_history`;
  }

  private ensureTable(): Promise<void> {
    this.created ??= this.pool
      .query(
        `CREATE TABLE IF NOT EXISTS ${this.table} (config text NOT NULL, object text NOT NULL, state text NOT NULL, overrides json NOT NULL, updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (config, object));
         CREATE TABLE IF NOT EXISTS ${this.historyTable} (id bigserial PRIMARY KEY, config text NOT NULL, object text NOT NULL, entry json NOT NULL);
         CREATE INDEX IF NOT EXISTS ${this.historyTable}_object ON ${this.historyTable} (config, object, id)`,
      )
      .then(
        () => undefined,
        (e: { code?: string }) => {
          // Two nodes creating the tables at once: one of them loses the race, and the tables are there
          // (the loser sees a unique violation, or the table or its row type already existing).
          if (e.code === '23505' || e.code === '42P07' || e.code === '42710') return;
          this.created = undefined;
          throw e;
        },
      );
    return this.created;
  }

  async open(initial: StoredConfig): Promise<StoredConfig> {
    await this.ensureTable();
    // The first node to start seeds the configuration; every node then serves what is stored.
    const names = [...new Set([...Object.keys(initial.objects), ...Object.keys(initial.states)])];
    if (!this.seeded && names.length > 0) {
      await this.pool.query(
        `INSERT INTO ${this.table} (config, object, state, overrides)
         SELECT $1, o.name, o.state, o.overrides FROM json_to_recordset($2::json) AS o(name text, state text, overrides json)
         WHERE NOT EXISTS (SELECT 1 FROM ${this.table} WHERE config = $1)
         ON CONFLICT (config, object) DO NOTHING`,
        [this.id, JSON.stringify(names.map((name) => ({ name, state: initial.states[name] ?? INITIAL_STATE, overrides: initial.objects[name] ?? {} })))],
      );
    }
    const r = await this.pool.query<{ object: string; state: string; overrides: Record<string, never> }>(`SELECT object, state, overrides FROM ${this.table} WHERE config = $1 ORDER BY object`, [this.id]);
    this.seeded = true;
    const stored: StoredConfig = { states: {}, objects: {} };
    for (const row of r.rows) {
      stored.states[row.object] = row.state;
      stored.objects[row.object] = row.overrides;
    }
    return stored;
  }

  async commit(change: ConfigChange): Promise<boolean> {
    await this.ensureTable();
    const client = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      // In name order, so two commits of the same objects lock them in the same order.
      for (const [name, c] of Object.entries(change.objects).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        const updated = await client.query(`UPDATE ${this.table} SET state = $3, overrides = $4::json, updated_at = now() WHERE config = $1 AND object = $2 AND state = $5`, [
          this.id,
          name,
          c.state,
          JSON.stringify(c.overrides),
          c.expected,
        ]);
        // An object no row holds yet (added to the schema since the store was seeded) has the initial state.
        const inserted =
          updated.rowCount === 0 && c.expected === INITIAL_STATE
            ? await client.query(`INSERT INTO ${this.table} (config, object, state, overrides) VALUES ($1, $2, $3, $4::json) ON CONFLICT (config, object) DO NOTHING`, [this.id, name, c.state, JSON.stringify(c.overrides)])
            : null;
        if (updated.rowCount === 0 && (inserted?.rowCount ?? 0) === 0) {
          await client.query('ROLLBACK');
          return false;
        }
      }
      if (change.entries.length > 0) {
        await client.query(
          `INSERT INTO ${this.historyTable} (config, object, entry)
           SELECT $1, e.value->>'object', e.value FROM json_array_elements($2::json) WITH ORDINALITY AS e(value, n) ORDER BY e.n`,
          [this.id, JSON.stringify(change.entries)],
        );
      }
      await client.query(`SELECT pg_notify('${this.table}', $1 || ' ' || $2)`, [this.id, Object.keys(change.objects).join(',')]);
      await client.query('COMMIT');
      return true;
    } catch (e) {
      broken = e as Error;
      await client.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      // A connection that failed mid-transaction is not given back to the pool.
      client.release(broken);
    }
  }

  async history(object: string): Promise<HistoryEntry[]> {
    await this.ensureTable();
    const r = await this.pool.query<{ entry: HistoryEntry }>(`SELECT entry FROM ${this.historyTable} WHERE config = $1 AND object = $2 ORDER BY id`, [this.id, object]);
    return r.rows.map((row) => row.entry);
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
