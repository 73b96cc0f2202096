/**
 * The lookups of a server, from its configuration file: each store name an expression uses
 * (`key_get('blocklist', …)`, `sql_query('main', …)`) maps to a configured backend, the
 * directory answers `is_local_domain`/`is_local_address`, and DNS goes through a cached
 * resolver. Everything sits behind the language's `Lookups` interface.
 *
 *   "stores": {
 *     "rate":  { "type": "redis", "url": "redis://127.0.0.1:6379/0", "counterExpiry": "1m" },
 *     "main":  { "type": "postgresql", "url": "postgresql://mta@db/mail", "timeout": "2s" },
 *     "local": { "type": "sqlite", "path": "lookups.sqlite" },
 *     "trusted": { "type": "memory", "entries": { "example.org": "yes" } } },
 *   "directory": { "domains": ["example.org"],
 *                  "addresses": { "store": "main", "query": "SELECT 1 FROM addresses WHERE address = $1" } },
 *   "dns": { "servers": ["192.0.2.53"], "timeout": "3s" }
 *
 * The same three keys configure every host that evaluates policy: `mta-expr smtp` and
 * `serve` (their configuration file), the Postfix policy service (`policyd --config` or
 * `--lookups`) and the Haraka plugin (`config` or `lookups` in mta-expr.ini), each read by
 * `loadLookupSettings`/`lookupSettings` and opened by `openLookups`.
 *
 * With none of it, the zero-setup defaults apply: the default store `''` in memory, empty
 * directories, the system's name servers. A store that fails or does not answer in time
 * makes the lookup fail (an EvaluationError with the code `lookup`); nothing waits longer
 * than the store's timeout.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve as resolvePath } from 'node:path';
import type { DnsRecordType, Lookups, SqlResult } from '../../language/index.js';
import { hasOwn, isObject, parseJson, Settings, SettingsError } from '../json.js';
import { withDeadline } from './deadline.js';
import { DnsLookup, dnsSettings, type DnsAnswer, type DnsSettings } from './dns.js';
import { MemoryKeyStore } from './memory.js';
import { REDIS_SETTINGS, redisSettings, RedisStore, type RedisSettings } from './redis.js';
import { POSTGRES_SETTINGS, postgresSettings, PostgresStore, SQLITE_SETTINGS, sqliteSettings, SqliteStore, type PostgresSettings, type SqliteSettings, type SqlStore } from './sql.js';
import { StatusTracker, type BackendStatus, type StatusListener } from './status.js';

export type StoreSettings =
  | ({ type: 'redis' } & RedisSettings)
  | ({ type: 'postgresql' } & PostgresSettings)
  | ({ type: 'sqlite' } & SqliteSettings)
  | { type: 'memory'; entries: Record<string, unknown>; counterExpiry: number; keyExpiry: number };

/** Where a directory looks a name up. */
export type DirectorySource = { list: string[] } | { store: string; query: string } | { store: string; set: string };

export interface LookupSettings {
  stores: Record<string, StoreSettings>;
  directory: { domains?: DirectorySource; addresses?: DirectorySource };
  dns: DnsSettings;
}

export const STORE_TYPES = ['redis', 'postgresql', 'sqlite', 'memory'] as const;
const MEMORY_SETTINGS = ['type', 'entries', 'counterExpiry', 'keyExpiry'] as const;

function storeSettings(value: unknown, path: string, baseDir: string): StoreSettings {
  const type = isObject(value) ? value.type : undefined;
  switch (type) {
    case 'redis':
      return { type, ...redisSettings(Settings.of(value, path, REDIS_SETTINGS)) };
    case 'postgresql':
      return { type, ...postgresSettings(Settings.of(value, path, POSTGRES_SETTINGS)) };
    case 'sqlite': {
      const s = sqliteSettings(Settings.of(value, path, SQLITE_SETTINGS));
      return { type, ...s, path: s.path === ':memory:' ? s.path : resolvePath(baseDir, s.path) };
    }
    case 'memory': {
      const s = Settings.of(value, path, MEMORY_SETTINGS);
      const entries = s.raw('entries') ?? {};
      if (!isObject(entries)) throw new SettingsError(s.at('entries'), 'must be an object of keys and values');
      return { type, entries, counterExpiry: s.duration('counterExpiry', 0, true), keyExpiry: s.duration('keyExpiry', 0, true) };
    }
    default:
      throw new SettingsError(`${path}.type`, `must be one of ${STORE_TYPES.join(', ')}`);
  }
}

function directorySource(value: unknown, path: string, stores: Record<string, StoreSettings>): DirectorySource {
  if (Array.isArray(value)) {
    if (!value.every((v) => typeof v === 'string' && v !== '')) throw new SettingsError(path, 'must be a list of names, or {store, query} or {store, set}');
    return { list: value as string[] };
  }
  const s = Settings.of(value, path, ['store', 'query', 'set']);
  const store = s.requiredString('store');
  const target = hasOwn(stores, store) ? stores[store] : undefined;
  if (target === undefined) throw new SettingsError(s.at('store'), `no store \`${store}\` in stores`);
  if (target.type === 'redis') {
    if (s.has('query')) throw new SettingsError(s.at('query'), `\`${store}\` is a Redis store: give the set that holds the names ("set")`);
    return { store, set: s.requiredString('set') };
  }
  if (target.type === 'memory') throw new SettingsError(s.at('store'), `\`${store}\` is a memory store: list the names instead`);
  if (s.has('set')) throw new SettingsError(s.at('set'), `\`${store}\` is an SQL store: give a query with one parameter ("query")`);
  return { store, query: s.requiredString('query') };
}

/** Reads the `stores`, `directory` and `dns` sections of a configuration file (absent: the defaults). Throws SettingsError. */
export function lookupSettings(json: { stores?: unknown; directory?: unknown; dns?: unknown }, baseDir = '.'): LookupSettings {
  const stores: Record<string, StoreSettings> = {};
  if (json.stores !== undefined) {
    if (!isObject(json.stores)) throw new SettingsError('stores', 'must be an object of named stores');
    for (const [name, value] of Object.entries(json.stores)) stores[name] = storeSettings(value, `stores.${name === '' ? "''" : name}`, baseDir);
  }
  const directory: LookupSettings['directory'] = {};
  if (json.directory !== undefined) {
    const d = Settings.of(json.directory, 'directory', ['domains', 'addresses']);
    if (d.has('domains')) directory.domains = directorySource(d.raw('domains'), d.at('domains'), stores);
    if (d.has('addresses')) directory.addresses = directorySource(d.raw('addresses'), d.at('addresses'), stores);
  }
  return { stores, directory, dns: json.dns === undefined ? {} : dnsSettings(json.dns) };
}

/** The keys of a configuration file that configure the lookups (a reader of the file's other keys passes these by). */
export const LOOKUP_KEYS: readonly string[] = ['stores', 'directory', 'dns'];

/**
 * The lookup settings of a JSON configuration file (its `stores`, `directory` and `dns`;
 * other keys are left to the file's other readers, so a server configuration file serves as
 * it is). Relative paths are relative to the file. Throws SettingsError naming the file.
 */
export function loadLookupSettings(path: string): LookupSettings {
  let json: unknown;
  try {
    json = parseJson(readFileSync(path, 'utf8'), path);
  } catch (e) {
    throw new SettingsError(path, `cannot read: ${(e as Error).message}`);
  }
  if (!isObject(json)) throw new SettingsError(path, 'must be a JSON object');
  try {
    return lookupSettings(json, dirname(path));
  } catch (e) {
    if (e instanceof SettingsError) throw new SettingsError(`${path}: ${e.path}`, e.reason);
    throw e;
  }
}

/** How long a starting server waits for its network stores before it answers. */
export const STORES_READY_MS = 2000;

/**
 * Opens the lookups of a host and waits (STORES_READY_MS at most) for its network stores to
 * connect, so the first sessions find them ready; each change of a store's reachability is
 * one line given to `log`. Throws on a store that cannot be opened (an SQLite file).
 */
export async function openLookups(settings: LookupSettings | undefined, log: (line: string) => void): Promise<StoreLookups> {
  const lookups = new StoreLookups(settings, {
    onStatus: (s) => log(s.ok ? `store ${s.name} (${s.type}) reachable again` : `store ${s.name} (${s.type}) unreachable: ${s.error ?? 'unknown error'}; its lookups fail with a temporary error`),
  });
  await lookups.ready(STORES_READY_MS);
  return lookups;
}

type KeyStore = MemoryKeyStore | RedisStore;
type MaybePromise<T> = T | Promise<T>;
type Backend = KeyStore | SqlStore;

const isSql = (b: Backend): b is SqlStore => b.type === 'postgresql' || b.type === 'sqlite';

/** A failure of a store: the function's error message names the store. */
class StoreError extends Error {
  override readonly name = 'StoreError';
}

const storeError = (store: string, e: unknown): StoreError =>
  new StoreError(`store \`${store}\`: ${e instanceof Error ? e.message || (e as { code?: string }).code || e.name : String(e)}`, { cause: e });

export interface StoreLookupsOptions {
  /** Receives each change of a store's reachability (for the log). */
  onStatus?: StatusListener;
  /** A lookup that takes longer fails, whatever the store's own timeouts (ms; default 10000). */
  deadline?: number;
}

/** Every lookup of a server: stores by name, the directory and DNS. */
export class StoreLookups implements Lookups {
  private readonly backends = new Map<string, Backend>();
  private readonly domains: DirectorySource | undefined;
  private readonly addresses: DirectorySource | undefined;
  private readonly domainSet: ReadonlySet<string> | undefined;
  private readonly addressSet: ReadonlySet<string> | undefined;
  readonly dns: DnsLookup;
  private readonly dnsTracker: StatusTracker;
  private readonly deadline: number;

  /** Opens every configured store (network stores connect in the background). Throws on a store that cannot be opened (an SQLite file). */
  constructor(settings: LookupSettings = { stores: {}, directory: {}, dns: {} }, options: StoreLookupsOptions = {}) {
    this.deadline = options.deadline ?? 10_000;
    try {
      for (const [name, s] of Object.entries(settings.stores)) this.backends.set(name, open(name, s, options.onStatus));
    } catch (e) {
      void this.close();
      throw e;
    }
    if (!this.backends.has('')) this.backends.set('', new MemoryKeyStore(''));
    this.domains = settings.directory.domains;
    this.addresses = settings.directory.addresses;
    this.domainSet = this.domains && 'list' in this.domains ? new Set(this.domains.list.map((d) => d.toLowerCase())) : undefined;
    this.addressSet = this.addresses && 'list' in this.addresses ? new Set(this.addresses.list.map((a) => a.toLowerCase())) : undefined;
    this.dns = new DnsLookup(settings.dns);
    this.dnsTracker = new StatusTracker('dns', 'dns', options.onStatus);
  }

  /** Waits (at most `ms`) for the network stores to connect, so the first sessions find them ready. */
  async ready(ms: number): Promise<void> {
    await Promise.all([...this.backends.values()].map((b) => (b instanceof RedisStore ? b.ready(ms) : undefined)));
  }

  /** Each configured store and the resolver: reachable or not, since when. */
  status(): BackendStatus[] {
    // Stores in the process are always there: only those over the network (and the resolver) are told.
    const remote = [...this.backends.values()].filter((b): b is RedisStore | SqlStore => 'status' in b);
    return [...remote.map((b) => b.status()), this.dnsTracker.status()];
  }

  async close(): Promise<void> {
    this.dns?.close();
    await Promise.all([...this.backends.values()].map((b) => ('close' in b ? b.close().catch(() => undefined) : undefined)));
  }

  /**
   * A backend call. One in the process (memory, SQLite) runs at once and cannot hang; one
   * over the network is bounded in time whatever the backend does. A failure names the store.
   */
  private call<T>(store: string, backend: Backend, work: () => T | Promise<T>): T | Promise<T> {
    if (backend.type === 'memory' || backend.type === 'sqlite') {
      try {
        return work();
      } catch (e) {
        throw storeError(store, e);
      }
    }
    const running = Promise.resolve().then(work).catch((e: unknown) => {
      throw storeError(store, e);
    });
    return withDeadline(running, this.deadline, () => new StoreError(`store \`${store}\` did not answer within ${this.deadline} ms`));
  }

  private keyStore(store: string, fn: string): KeyStore | undefined {
    const b = this.backends.get(store);
    if (b === undefined) return undefined;
    if (isSql(b)) throw new StoreError(`store \`${store}\` is an SQL store: ${fn} needs a key-value store (redis or memory)`);
    return b;
  }

  keyGet(store: string, key: string): unknown {
    const b = this.keyStore(store, 'key_get');
    return b && this.call(store, b, () => b.get(key));
  }

  keyExists(store: string, key: string): MaybePromise<boolean> | undefined {
    const b = this.keyStore(store, 'key_exists');
    return b && this.call(store, b, () => b.exists(key));
  }

  keySet(store: string, key: string, value: unknown): MaybePromise<boolean> | undefined {
    const b = this.keyStore(store, 'key_set');
    return b && this.call(store, b, () => b.set(key, value));
  }

  counterIncr(store: string, key: string, delta: number): MaybePromise<number> | undefined {
    const b = this.keyStore(store, 'counter_incr');
    return b && this.call(store, b, () => b.incr(key, delta));
  }

  counterGet(store: string, key: string): MaybePromise<number> | undefined {
    const b = this.keyStore(store, 'counter_get');
    return b && this.call(store, b, () => b.counter(key));
  }

  sqlQuery(store: string, query: string, params: unknown[]): MaybePromise<SqlResult> | undefined {
    const b = this.backends.get(store);
    if (b === undefined) return undefined;
    if (!isSql(b)) throw new StoreError(`store \`${store}\` is a ${b.type} store: sql_query needs an SQL store (postgresql or sqlite)`);
    return this.call(store, b, () => (b instanceof SqliteStore ? b.run(query, params) : b.query(query, params)));
  }

  async dnsResolve(name: string, type: DnsRecordType): Promise<DnsAnswer> {
    try {
      const answer = await this.dns.resolve(name, type);
      this.dnsTracker.up();
      return answer;
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      if (code === 'ENOTFOUND' || code === 'ENODATA') this.dnsTracker.up();
      else this.dnsTracker.down(e);
      throw e;
    }
  }

  isLocalDomain(domain: string): Promise<boolean> | boolean {
    return this.inDirectory(this.domains, this.domainSet, domain.toLowerCase());
  }

  isLocalAddress(address: string): Promise<boolean> | boolean {
    return this.inDirectory(this.addresses, this.addressSet, address.toLowerCase());
  }

  private inDirectory(source: DirectorySource | undefined, list: ReadonlySet<string> | undefined, name: string): Promise<boolean> | boolean {
    if (source === undefined) return false;
    if (list !== undefined) return list.has(name);
    if ('set' in source) {
      const b = this.backends.get(source.store) as RedisStore;
      return this.call(source.store, b, () => b.isMember(source.set, name));
    }
    const q = source as { store: string; query: string };
    const b = this.backends.get(q.store) as SqlStore;
    const found = (r: SqlResult): boolean => (r.rows?.length ?? 0) > 0;
    return this.call(q.store, b, () => (b instanceof SqliteStore ? found(b.run(q.query, [name])) : b.query(q.query, [name]).then(found)));
  }
}

function open(name: string, s: StoreSettings, onStatus?: StatusListener): Backend {
  switch (s.type) {
    case 'redis':
      return new RedisStore(name, s, onStatus);
    case 'postgresql':
      return new PostgresStore(name, s, onStatus);
    case 'sqlite':
      try {
        return new SqliteStore(name, s, onStatus);
      } catch (e) {
        throw new SettingsError(`stores.${name}.path`, `cannot open ${s.path}: ${(e as Error).message}`);
      }
    case 'memory':
      return new MemoryKeyStore(name, s.entries, s.counterExpiry, s.keyExpiry);
  }
}
