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
}

const digest = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

export class TokenTable {
  private readonly entries: Array<{ digest: Buffer; permissions: ReadonlySet<string> }>;

  constructor(entries: readonly TokenEntry[], schema: Schema = SCHEMA) {
    const known = permissionsOf(schema);
    for (const e of entries) {
      if (typeof e.token !== 'string' || e.token.length < MIN_TOKEN_LENGTH) throw new TypeError(`a token must be a string of at least ${MIN_TOKEN_LENGTH} characters`);
      const unknown = e.permissions.filter((p) => !known.includes(p));
      if (unknown.length > 0) throw new TypeError(`unknown permission ${unknown.join(', ')}; known: ${known.join(', ')}`);
    }
    this.entries = entries.map((e) => ({ digest: digest(e.token), permissions: new Set(e.permissions) }));
  }

  /** The permissions of a token, or null when it is unknown. */
  lookup(token: string): ReadonlySet<string> | null {
    const candidate = digest(token);
    let found: ReadonlySet<string> | null = null;
    for (const e of this.entries) if (timingSafeEqual(e.digest, candidate)) found = e.permissions;
    return found;
  }
}
