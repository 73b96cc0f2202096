/**
 * The server configuration file (JSON): object field overrides, test users and TLS files.
 *
 *   { "MtaStageAuth": { "saslMechanisms": { "match": [...], "else": "false" } },
 *     "MtaStageConnect": { "smtpGreeting": { "else": "'hello'" } },
 *     "users": [{ "username": "jane@example.org", "password": "secret", "tokens": ["t0k3n"] }],
 *     "tls": { "key": "key.pem", "cert": "cert.pem" },
 *     "tokens": [{ "token": "…", "permissions": ["sysMtaStageAuthGet"], "name": "ci" }],
 *     "stores": { "rate": { "type": "redis", "url": "redis://127.0.0.1:6379" } },
 *     "directory": { "domains": ["example.org"] },
 *     "dns": { "servers": ["127.0.0.1:53"], "timeout": "3s" },
 *     "configStore": { "type": "postgresql", "url": "postgresql://mta@db/mail" },
 *     "api": { "maxConnections": 512, "headersTimeout": "10s", "maxSizeRequest": 10000000 } }
 *
 * `stores`, `directory` and `dns` back the host lookups (lookups/stores.ts); `configStore`
 * is the configuration shared by a cluster (config/postgres-store.ts), used by `serve`;
 * `api` the limits of `serve`'s management API (its connections, timeouts and JMAP limits).
 *
 * What a server runs on is built here once, for `smtp`, `serve` and the tools that show what
 * the server would do (`simulate`, `test`, `replay`): the objects (`serverObjects`: the
 * file's, or the shared store's) and the environment of the expressions
 * (`serverEnvironment`: the host values and the opened lookups).
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { BlockInput, Environment, Lookups } from '../../language/index.js';
import { DEFAULT_HTTP_LIMITS, httpLimits, type HttpLimits } from '../api/http.js';
import { DEFAULT_LIMITS, type ApiLimits } from '../api/session.js';
import { ADMIN_NAME, type TokenEntry } from '../api/tokens.js';
import { buildObjects, LiveConfig, type ConfigObjects } from '../config/live.js';
import { ConfigError } from '../config/object.js';
import { SCHEMA, type Schema } from '../config/schema.js';
import { configStoreSettings, PostgresConfigStore, type PostgresStoreSettings } from '../config/postgres-store.js';
import { objectOverrides } from '../config/source.js';
import type { ConfigStore } from '../config/store.js';
import { isObject, Settings, SettingsError } from '../json.js';
import { LOOKUP_KEYS, lookupSettings, openLookups, type LookupSettings, type StoreLookups } from '../lookups/stores.js';
import type { SmtpUser } from '../smtp/server.js';
import { CommandError, type Io } from './io.js';

export interface ServerConfig {
  /** Every object of the schema, compiled with the file's overrides. */
  objects: ConfigObjects;
  /** The field overrides as written (they seed the management API's store). */
  overrides: Record<string, Record<string, BlockInput>>;
  /** Management API tokens and their permissions. */
  tokens: TokenEntry[];
  users: SmtpUser[];
  tls?: { key: string; cert: string };
  /** The stores, directory and DNS settings behind the host lookups. */
  lookups: LookupSettings;
  /** The shared configuration store of a cluster, when configured. */
  configStore?: PostgresStoreSettings;
  /** The limits of the management API the file sets (its `api`); the others keep their defaults. */
  api: { limits: Partial<ApiLimits>; connections: Partial<HttpLimits> };
}

/** The keys of the file that are not configuration objects. */
export const SERVER_KEYS = ['users', 'tls', 'tokens', ...LOOKUP_KEYS, 'configStore', 'api'];

/** The timeouts among the management API's connection limits (written as durations). */
const TIMEOUTS: ReadonlyArray<keyof HttpLimits> = ['headersTimeout', 'requestTimeout', 'keepAliveTimeout'];

/** The `api` section: connection limits and timeouts, and the JMAP request limits. */
export function apiSettings(value: unknown): ServerConfig['api'] {
  const api: ServerConfig['api'] = { limits: {}, connections: {} };
  if (value === undefined) return api;
  const s = Settings.of(value, 'api', [...Object.keys(DEFAULT_HTTP_LIMITS), ...Object.keys(DEFAULT_LIMITS)]);
  for (const name of Object.keys(DEFAULT_HTTP_LIMITS) as Array<keyof HttpLimits>) {
    if (!s.has(name)) continue;
    api.connections[name] = TIMEOUTS.includes(name) ? s.duration(name, 0) : s.integer(name, 0, 1, Number.MAX_SAFE_INTEGER);
  }
  for (const name of Object.keys(DEFAULT_LIMITS) as Array<keyof ApiLimits>) if (s.has(name)) api.limits[name] = s.integer(name, 0, 1, Number.MAX_SAFE_INTEGER);
  try {
    httpLimits(api.connections);
  } catch (e) {
    throw new SettingsError('api', (e as Error).message);
  }
  return api;
}

/** A faulty setting, as the configuration's error. */
function settings<T>(read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (e instanceof SettingsError) throw new ConfigError('config', e.path, e.reason);
    throw e;
  }
}

/** Builds the configuration from parsed JSON; throws ConfigError naming the faulty part. */
export function serverConfig(json: unknown, baseDir = '.', schema: Schema = SCHEMA): ServerConfig {
  const overrides = objectOverrides(json, schema, SERVER_KEYS);
  if (!isObject(json)) throw new ConfigError('config', '*', 'the configuration must be a JSON object');
  const users = (json.users ?? []) as unknown;
  if (!Array.isArray(users) || !users.every((u) => isObject(u) && typeof u.username === 'string' && typeof u.password === 'string')) {
    throw new ConfigError('config', 'users', 'users must be a list of {username, password, addresses?, tokens?}');
  }
  let tls: ServerConfig['tls'];
  if (json.tls !== undefined) {
    const t = json.tls;
    if (!isObject(t) || typeof t.key !== 'string' || typeof t.cert !== 'string') throw new ConfigError('config', 'tls', 'tls must be {key, cert} file paths');
    const pem = (file: string): string => {
      try {
        return readFileSync(resolve(baseDir, file), 'utf8');
      } catch (e) {
        throw new ConfigError('config', 'tls', `cannot read ${resolve(baseDir, file)}: ${(e as Error).message}`);
      }
    };
    tls = { key: pem(t.key), cert: pem(t.cert) };
  }
  const tokens = (json.tokens ?? []) as unknown;
  if (!Array.isArray(tokens) || !tokens.every((t) => isObject(t) && typeof t.token === 'string' && Array.isArray(t.permissions) && (t.name === undefined || typeof t.name === 'string'))) {
    throw new ConfigError('config', 'tokens', 'tokens must be a list of {token, permissions, name?}');
  }
  if (tokens.some((t) => (t as TokenEntry).name === ADMIN_NAME)) throw new ConfigError('config', 'tokens', `the token name ${ADMIN_NAME} is the administrator's ($MTA_EXPR_ADMIN_TOKEN): give this token another name`);
  const lookups = settings(() => lookupSettings(json, baseDir));
  const configStore = json.configStore === undefined ? undefined : settings(() => configStoreSettings(json.configStore));
  const api = settings(() => apiSettings(json.api));
  return { objects: buildObjects(overrides, schema), overrides, tokens: tokens as TokenEntry[], users: users as SmtpUser[], tls, lookups, ...(configStore ? { configStore } : {}), api };
}

/** Where the lines of a running server go: events on stdout, troubles on stderr. */
export type ServerLog = Pick<Io, 'stdout' | 'stderr'>;

/** The environment of a server's expressions, and what closes the lookups opened for it. */
export interface ServerEnvironment {
  env: Environment;
  /** The stores opened for it (their reachability, for the health report); null when the lookups were given. */
  stores: StoreLookups | null;
  close(): Promise<void>;
}

/**
 * The environment the expressions of a server run in: `system('hostname')` and
 * `system('domain')` from the hostname, and the lookups of the configuration file (its
 * `stores`, `directory` and `dns`, opened and ready: `openLookups`; each change of a
 * store's reachability is one `lookups: …` line on stderr), unless `lookups` are given (the
 * tools' in-memory data). The SMTP server and the tools that show what it would do take it
 * from here, so they evaluate alike, on the same backends.
 */
export async function serverEnvironment(config: ServerConfig, hostname: string, log: ServerLog, lookups?: Lookups): Promise<ServerEnvironment> {
  const domain = hostname.includes('.') ? hostname.slice(hostname.indexOf('.') + 1) : hostname;
  const system = { hostname, domain };
  if (lookups !== undefined) return { env: { system, lookups }, stores: null, close: async () => undefined };
  let stores: StoreLookups;
  try {
    stores = await openLookups(config.lookups, (line) => log.stderr.write(`lookups: ${line}\n`));
  } catch (e) {
    throw new CommandError((e as Error).message);
  }
  return { env: { system, lookups: stores }, stores, close: () => stores.close() };
}

/** The states of objects, for a log line: `MtaStageAuth 3, MtaStageConnect 1`. */
const statesText = (states: Readonly<Record<string, string>>): string =>
  Object.entries(states)
    .map(([name, state]) => `${name} ${state}`)
    .join(', ');

/**
 * Opens the live configuration on its store (seeded with the file's overrides when it holds
 * nothing yet) and follows it: what other nodes store is put in force, and each change of the
 * store's reachability is one line.
 */
export async function openLive(store: ConfigStore & { describe(): string }, config: ServerConfig, log: ServerLog): Promise<LiveConfig> {
  let live: LiveConfig;
  try {
    live = await LiveConfig.open(store, config.overrides);
  } catch (e) {
    await store.close?.();
    throw new CommandError(`cannot open the configuration in ${store.describe()}: ${(e as Error).message}`);
  }
  live.follow({
    onEvent: (e) => {
      if (e.kind === 'reloaded') log.stdout.write(`config: from the store: ${statesText(e.changed)}\n`);
      else if (e.kind === 'invalid') log.stderr.write(`config: the stored configuration does not compile, keeping the last good one: ${e.error.message}\n`);
      else if (e.kind === 'lost') log.stderr.write(`config: store unreachable (${e.error?.message ?? 'unknown error'}): serving the last good configuration\n`);
      else log.stderr.write('config: store reachable again\n');
    },
  });
  return live;
}

/** The configuration objects a server runs on, and what closes the store they come from. */
export interface ServerObjects {
  /** The objects in force now (asked for at the start of each session). */
  objects: () => ConfigObjects;
  /** Where they come from: the shared store's description, or null for the file's own objects. */
  store: string | null;
  close(): Promise<void>;
}

/**
 * The objects a server with this configuration runs on: the file's, or, when it names a
 * `configStore`, the configuration the cluster shares there (followed: see `openLive`).
 */
export async function serverObjects(config: ServerConfig, log: ServerLog): Promise<ServerObjects> {
  if (config.configStore === undefined) return { objects: () => config.objects, store: null, close: async () => undefined };
  const live = await openLive(new PostgresConfigStore(config.configStore), config, log);
  return { objects: () => live.objects(), store: live.health().store ?? 'the configStore', close: () => live.close() };
}

export function loadServerConfig(path: string, schema: Schema = SCHEMA): ServerConfig {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ConfigError('config', path, `cannot read: ${(e as Error).message}`);
  }
  return serverConfig(json, dirname(path), schema);
}
