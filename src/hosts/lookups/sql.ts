/**
 * SQL stores for `sql_query` and for directories kept in a table: PostgreSQL through `pg`
 * (a pool, a statement timeout on the server and a query timeout on the client), and an
 * embedded SQLite database through `better-sqlite3` that needs no server.
 *
 * Parameters are always bound (`$1`, `$2`… in PostgreSQL, `?` in SQLite); the query
 * text is never built from values. A statement that yields columns (SELECT, VALUES, WITH…,
 * RETURNING) gives its rows, any other the number of rows it changed (SPEC §10); each cell
 * is a value the language holds: text and numbers as they are, NULL as '', booleans as 1/0,
 * 64-bit integers as numbers, timestamps as ISO 8601 text, JSON as its text, bytes as
 * UTF-8 text, arrays as lists.
 */
import { createRequire } from 'node:module';
import type Database from 'better-sqlite3';
import pg from 'pg';
import type { SqlResult } from '../../language/index.js';
import { Settings, SettingsError } from '../json.js';
import { StatusTracker, type BackendStatus, type StatusListener } from './status.js';

/** A host value the language reads (strings, numbers, lists), from one SQL cell. */
export function sqlCell(cell: unknown): unknown {
  switch (typeof cell) {
    case 'string':
    case 'number':
      return cell;
    case 'boolean':
      return cell ? 1 : 0;
    case 'bigint':
      return Number(cell);
    case 'object':
      if (cell === null) return '';
      if (Array.isArray(cell)) return cell.map(sqlCell);
      if (cell instanceof Date) return Number.isNaN(cell.getTime()) ? String(cell) : cell.toISOString();
      if (Buffer.isBuffer(cell)) return cell.toString('utf8');
      return JSON.stringify(cell);
    default:
      return '';
  }
}

/** A bound parameter from a language value: constants by name, lists as JSON text for SQLite and arrays for PostgreSQL. */
function sqlParam(value: unknown, arrays: boolean): unknown {
  if (typeof value === 'string' || typeof value === 'number') return value;
  if (Array.isArray(value)) return arrays ? value.map((v) => sqlParam(v, true)) : JSON.stringify(value.map((v) => sqlParam(v, true)));
  if (value !== null && typeof value === 'object' && 'name' in value) return String((value as { name: unknown }).name);
  return value === undefined || value === null ? null : String(value);
}

export interface SqlStore {
  readonly name: string;
  readonly type: string;
  query(sql: string, params: unknown[]): Promise<SqlResult>;
  status(): BackendStatus;
  close(): Promise<void>;
}

// --- PostgreSQL ---------------------------------------------------------------------------

export interface PostgresSettings {
  /** `postgresql://user:password@host:port/database?sslmode=…`. */
  url: string;
  /** The longest a query takes, on the server (statement_timeout) and in the client (ms; default 2000). */
  timeout?: number;
  /** The longest opening a connection takes (ms; default 2000). */
  connectTimeout?: number;
  /** Connections at most (default 10). */
  pool?: number;
}

export const POSTGRES_SETTINGS = ['type', 'url', 'timeout', 'connectTimeout', 'pool'] as const;

export function postgresSettings(s: Settings): PostgresSettings {
  const url = s.requiredString('url');
  if (!/^postgres(?:ql)?:\/\//.test(url)) throw new SettingsError(s.at('url'), 'must be a postgresql:// URL');
  return { url, timeout: s.duration('timeout', 2000), connectTimeout: s.duration('connectTimeout', 2000), pool: s.integer('pool', 10, 1, 1000) };
}

/** Parsers of the pg type ids whose default JavaScript form the language cannot hold. */
const PG_TYPES = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    switch (oid) {
      case 20: // int8
        return (text: string) => Number(text);
      case 1700: // numeric
        return (text: string) => Number(text);
      default:
        return pg.types.getTypeParser(oid, format as 'text');
    }
  },
};

/** The pg pool settings for a URL (shared with the configuration store). */
export function postgresPoolConfig(settings: PostgresSettings, applicationName: string): pg.PoolConfig {
  const timeout = settings.timeout ?? 2000;
  return {
    connectionString: settings.url,
    max: settings.pool ?? 10,
    connectionTimeoutMillis: settings.connectTimeout ?? 2000,
    idleTimeoutMillis: 30_000,
    statement_timeout: timeout,
    query_timeout: timeout + 500,
    keepAlive: true,
    application_name: applicationName,
  };
}

export class PostgresStore implements SqlStore {
  readonly type = 'postgresql';
  private readonly pool: pg.Pool;
  private readonly tracker: StatusTracker;

  constructor(
    readonly name: string,
    settings: PostgresSettings,
    onStatus?: StatusListener,
  ) {
    this.tracker = new StatusTracker(name, this.type, onStatus);
    this.pool = new pg.Pool({ ...postgresPoolConfig(settings, 'mta-expr lookups'), types: PG_TYPES });
    // An idle connection that breaks (server restarted) is dropped by the pool; without a listener it would end the process.
    this.pool.on('error', (e) => this.tracker.down(e));
  }

  async query(sql: string, params: unknown[]): Promise<SqlResult> {
    let result: pg.QueryArrayResult;
    try {
      result = await this.pool.query({ text: sql, values: params.map((p) => sqlParam(p, true)), rowMode: 'array' });
    } catch (e) {
      if (isConnectionError(e)) this.tracker.down(e);
      else this.tracker.up();
      throw e;
    }
    this.tracker.up();
    if (result.fields.length > 0) return { rows: result.rows.map((row) => row.map(sqlCell)) };
    return { affected: result.rowCount ?? 0 };
  }

  status(): BackendStatus {
    return this.tracker.status();
  }

  async close(): Promise<void> {
    this.tracker.closing();
    await this.pool.end();
  }
}

/** A failure to reach the server (rather than a fault of the query). */
export function isConnectionError(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return /^(?:E[A-Z]+|08...|57P0[1-3])$/.test(code);
  return /timeout|terminated|Connection/i.test(e instanceof Error ? e.message : '');
}

// --- SQLite -------------------------------------------------------------------------------

export interface SqliteSettings {
  /** The database file (relative paths: to the configuration file); `:memory:` for a private one. */
  path: string;
  readonly?: boolean;
  /** How long a statement waits for a lock held by another process (ms; default 1000). */
  timeout?: number;
}

export const SQLITE_SETTINGS = ['type', 'path', 'readonly', 'timeout'] as const;

export function sqliteSettings(s: Settings): SqliteSettings {
  return { path: s.requiredString('path'), readonly: s.boolean('readonly', false), timeout: s.duration('timeout', 1000) };
}

type SqliteDatabase = Database.Database;
type SqliteStatement = Database.Statement<unknown[], unknown>;

/** Loaded on first use: a server that configures no SQLite store never loads the native module. */
let sqliteModule: typeof Database | undefined;
function openSqlite(path: string, options: Database.Options): SqliteDatabase {
  sqliteModule ??= createRequire(import.meta.url)('better-sqlite3') as typeof Database;
  return new sqliteModule(path, options);
}

/** Prepared statements kept at most per database. */
const STATEMENT_CACHE = 256;

/**
 * An embedded SQLite database. Queries run synchronously in the server's thread (SQLite is
 * a library, and a lookup takes microseconds); WAL mode lets other processes write the file
 * while the server reads it.
 */
export class SqliteStore implements SqlStore {
  readonly type = 'sqlite';
  private readonly db: SqliteDatabase;
  private readonly statements = new Map<string, SqliteStatement>();
  private readonly tracker: StatusTracker;

  constructor(
    readonly name: string,
    settings: SqliteSettings,
    onStatus?: StatusListener,
  ) {
    this.tracker = new StatusTracker(name, this.type, onStatus);
    this.db = openSqlite(settings.path, { readonly: settings.readonly ?? false, timeout: settings.timeout ?? 1000, fileMustExist: settings.readonly ?? false });
    if (!settings.readonly && settings.path !== ':memory:') this.db.pragma('journal_mode = WAL');
  }

  private statement(sql: string): SqliteStatement {
    let stmt = this.statements.get(sql);
    if (stmt === undefined) {
      stmt = this.db.prepare(sql);
      if (this.statements.size >= STATEMENT_CACHE) this.statements.delete(this.statements.keys().next().value!);
      this.statements.set(sql, stmt);
    }
    return stmt;
  }

  /** Runs a statement now (synchronously). Throws the SQLite error (SQLITE_ERROR, SQLITE_BUSY, …). */
  run(sql: string, params: unknown[]): SqlResult {
    const stmt = this.statement(sql);
    const values = params.map((p) => sqlParam(p, false));
    if (stmt.reader) return { rows: (stmt.raw(true).all(...values) as unknown[][]).map((row) => row.map(sqlCell)) };
    return { affected: stmt.run(...values).changes };
  }

  async query(sql: string, params: unknown[]): Promise<SqlResult> {
    return this.run(sql, params);
  }

  status(): BackendStatus {
    return this.tracker.status();
  }

  async close(): Promise<void> {
    this.tracker.closing();
    this.statements.clear();
    this.db.close();
  }
}
