/**
 * The server configuration file (JSON): object field overrides, test users and TLS files.
 *
 *   { "MtaStageAuth": { "saslMechanisms": { "match": [...], "else": "false" } },
 *     "MtaStageConnect": { "smtpGreeting": { "else": "'hello'" } },
 *     "users": [{ "username": "jane@example.org", "password": "secret", "tokens": ["t0k3n"] }],
 *     "tls": { "key": "key.pem", "cert": "cert.pem" },
 *     "tokens": [{ "token": "…", "permissions": ["sysMtaStageAuthGet"] }] }
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { BlockInput } from '../block.js';
import type { TokenEntry } from '../api/tokens.js';
import type { SmtpUser } from '../smtp/server.js';
import { ConfigError, ConfigObject } from './object.js';
import type { PolicyConfig } from './policy.js';
import { SCHEMA } from './schema.js';
import { isObject } from '../values.js';

export interface ServerConfig {
  objects: PolicyConfig;
  /** The field overrides as written (they seed the management API's store). */
  overrides: Record<string, Record<string, BlockInput>>;
  /** Management API tokens and their permissions. */
  tokens: TokenEntry[];
  users: SmtpUser[];
  tls?: { key: string; cert: string };
}


/** Builds the configuration from parsed JSON; throws ConfigError naming the faulty part. */
export function serverConfig(json: unknown, baseDir = '.'): ServerConfig {
  if (!isObject(json)) throw new ConfigError('config', '*', 'the configuration must be a JSON object');
  for (const key of Object.keys(json)) {
    if (!['users', 'tls', 'tokens', ...Object.keys(SCHEMA)].includes(key)) throw new ConfigError('config', key, 'unknown configuration key');
  }
  const object = (name: 'MtaStageAuth' | 'MtaStageConnect'): ConfigObject => {
    const values = json[name] ?? {};
    if (!isObject(values)) throw new ConfigError(name, '*', 'must be an object of field blocks');
    return new ConfigObject(name, values as Record<string, BlockInput>);
  };
  const users = (json.users ?? []) as unknown;
  if (!Array.isArray(users) || !users.every((u) => isObject(u) && typeof u.username === 'string' && typeof u.password === 'string')) {
    throw new ConfigError('config', 'users', 'users must be a list of {username, password, addresses?, tokens?}');
  }
  let tls: ServerConfig['tls'];
  if (json.tls !== undefined) {
    const t = json.tls;
    if (!isObject(t) || typeof t.key !== 'string' || typeof t.cert !== 'string') throw new ConfigError('config', 'tls', 'tls must be {key, cert} file paths');
    tls = { key: readFileSync(resolve(baseDir, t.key), 'utf8'), cert: readFileSync(resolve(baseDir, t.cert), 'utf8') };
  }
  const tokens = (json.tokens ?? []) as unknown;
  if (!Array.isArray(tokens) || !tokens.every((t) => isObject(t) && typeof t.token === 'string' && Array.isArray(t.permissions))) {
    throw new ConfigError('config', 'tokens', 'tokens must be a list of {token, permissions}');
  }
  const objects = { MtaStageAuth: object('MtaStageAuth'), MtaStageConnect: object('MtaStageConnect') };
  const overrides = Object.fromEntries(Object.keys(SCHEMA).map((name) => [name, (json[name] ?? {}) as Record<string, BlockInput>]));
  return { objects, overrides, tokens: tokens as TokenEntry[], users: users as SmtpUser[], tls };
}

export function loadServerConfig(path: string): ServerConfig {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ConfigError('config', path, `cannot read: ${(e as Error).message}`);
  }
  return serverConfig(json, dirname(path));
}
