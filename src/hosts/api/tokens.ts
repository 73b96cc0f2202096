/**
 * Bearer tokens and their permissions. Tokens are compared in constant time: each known
 * token's SHA-256 digest is compared with the candidate's using timingSafeEqual, and every
 * entry is compared whatever the outcome, so timing reveals neither which token nor how
 * much of one matched.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { SCHEMA, type Schema } from '../config/schema.js';

/** The permission to read (`Get`) or change (`Update`) an object: `sys<Object>Get`, `sys<Object>Update`. */
export function permission(object: string, action: 'Get' | 'Update'): string {
  return `sys${object}${action}`;
}

/** Every permission of a schema. */
export function permissionsOf(schema: Schema): string[] {
  return Object.keys(schema).flatMap((name) => [permission(name, 'Get'), permission(name, 'Update')]);
}

/** Every permission of the built-in schema. */
export const PERMISSIONS: readonly string[] = permissionsOf(SCHEMA);

/** Shortest accepted token. */
export const MIN_TOKEN_LENGTH = 8;

export interface TokenEntry {
  token: string;
  permissions: readonly string[];
  /** Who uses the token: the session's `username` and the name kept in the history (default `token-N`, N its place in the list). */
  name?: string;
}

/** The name of the administrator's token. */
export const ADMIN_NAME = 'admin';

/** Who a request is made by: the token's name and permissions. */
export interface Caller {
  name: string;
  permissions: ReadonlySet<string>;
}

const digest = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

export class TokenTable {
  private readonly entries: Array<{ digest: Buffer; caller: Caller }>;

  constructor(entries: readonly TokenEntry[], schema: Schema = SCHEMA) {
    const known = permissionsOf(schema);
    const names = new Set<string>();
    this.entries = entries.map((e, i) => {
      if (typeof e.token !== 'string' || e.token.length < MIN_TOKEN_LENGTH) throw new TypeError(`a token must be a string of at least ${MIN_TOKEN_LENGTH} characters`);
      const unknown = e.permissions.filter((p) => !known.includes(p));
      if (unknown.length > 0) throw new TypeError(`unknown permission ${unknown.join(', ')}; known: ${known.join(', ')}`);
      const name = e.name ?? `token-${i + 1}`;
      if (typeof name !== 'string' || !/^[^\x00-\x1f\x7f]{1,64}$/.test(name)) throw new TypeError(`a token name must be 1 to 64 printable characters, not ${JSON.stringify(name)}`);
      if (names.has(name)) throw new TypeError(`two tokens are named ${JSON.stringify(name)}: each token needs a name of its own (the history says who changed what by it)`);
      names.add(name);
      return { digest: digest(e.token), caller: { name, permissions: new Set(e.permissions) } };
    });
  }

  /** Who holds a token, or null when it is unknown. */
  lookup(token: string): Caller | null {
    const candidate = digest(token);
    let found: Caller | null = null;
    for (const e of this.entries) if (timingSafeEqual(e.digest, candidate)) found = e.caller;
    return found;
  }

  /** Every token holder. */
  callers(): Caller[] {
    return this.entries.map((e) => e.caller);
  }
}
