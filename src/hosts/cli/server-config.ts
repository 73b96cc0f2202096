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
 *     "configStore": { "type": "postgresql", "url": "postgresql://mta@db/mail" } }
 *
 * `stores`, `directory` and `dns` back the host lookups (lookups/stores.ts); `configStore`
 * is the configuration shared by a cluster (config/postgres-store.ts), used by `serve`.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { BlockInput } from '../../language/index.js';
import { ADMIN_NAME, type TokenEntry } from '../api/tokens.js';
import { buildObjects, type ConfigObjects } from '../config/live.js';
import { ConfigError } from '../config/object.js';
import { SCHEMA, type Schema } from '../config/schema.js';
import { configStoreSettings, type PostgresStoreSettings } from '../config/postgres-store.js';
import { objectOverrides } from '../config/source.js';
import { isObject, SettingsError } from '../json.js';
import { LOOKUP_KEYS, lookupSettings, type LookupSettings } from '../lookups/stores.js';
import type { SmtpUser } from '../smtp/server.js';

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
}

/** The keys of the file that are not configuration objects. */
export const SERVER_KEYS = ['users', 'tls', 'tokens', ...LOOKUP_KEYS, 'configStore'];

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
  return { objects: buildObjects(overrides, schema), overrides, tokens: tokens as TokenEntry[], users: users as SmtpUser[], tls, lookups, ...(configStore ? { configStore } : {}) };
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
