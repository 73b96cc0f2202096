/**
 * The server configuration file (JSON): object field overrides, test users and TLS files.
 *
 *   { "MtaStageAuth": { "saslMechanisms": { "match": [...], "else": "false" } },
 *     "MtaStageConnect": { "smtpGreeting": { "else": "'hello'" } },
 *     "users": [{ "username": "jane@example.org", "password": "secret", "tokens": ["t0k3n"] }],
 *     "tls": { "key": "key.pem", "cert": "cert.pem" },
 *     "tokens": [{ "token": "…", "permissions": ["sysMtaStageAuthGet"], "name": "ci" }] }
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { BlockInput, Environment } from '../../language/index.js';
import { ADMIN_NAME, type TokenEntry } from '../api/tokens.js';
import { buildObjects, type ConfigObjects } from '../config/live.js';
import { ConfigError } from '../config/object.js';
import { SCHEMA, type Schema } from '../config/schema.js';
import { objectOverrides } from '../config/source.js';
import { isObject } from '../json.js';
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
}

/** The keys of the file that are not configuration objects. */
export const SERVER_KEYS = ['users', 'tls', 'tokens'];

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
  return { objects: buildObjects(overrides, schema), overrides, tokens: tokens as TokenEntry[], users: users as SmtpUser[], tls };
}

/**
 * The environment the expressions of a server run in: `system('hostname')` and
 * `system('domain')` from the hostname, and the lookups of the configuration file. The SMTP
 * server and the tools that show what it would do (`simulate`, `test`, `replay`) take it
 * from here, so they evaluate alike.
 */
export function serverEnvironment(_config: ServerConfig, hostname: string): Environment {
  const domain = hostname.includes('.') ? hostname.slice(hostname.indexOf('.') + 1) : hostname;
  return { system: { hostname, domain } };
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
