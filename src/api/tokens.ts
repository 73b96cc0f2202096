/**
 * Bearer tokens and their permissions. Tokens are compared in constant time: each known
 * token's SHA-256 digest is compared with the candidate's using timingSafeEqual, and every
 * entry is compared whatever the outcome, so timing reveals neither which token nor how
 * much of one matched.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { SCHEMA } from '../config/schema.js';

/** Permission names: `sys<Object>Get` and `sys<Object>Update` for every object of the schema. */
export const PERMISSIONS: readonly string[] = Object.keys(SCHEMA).flatMap((name) => [`sys${name}Get`, `sys${name}Update`]);

export interface TokenEntry {
  token: string;
  permissions: readonly string[];
}

const digest = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

export class TokenTable {
  private readonly entries: Array<{ digest: Buffer; permissions: ReadonlySet<string> }>;

  constructor(entries: readonly TokenEntry[]) {
    for (const e of entries) {
      if (typeof e.token !== 'string' || e.token.length < 8) throw new TypeError('a token must be a string of at least 8 characters');
      const unknown = e.permissions.filter((p) => !PERMISSIONS.includes(p));
      if (unknown.length > 0) throw new TypeError(`unknown permission ${unknown.join(', ')}; known: ${PERMISSIONS.join(', ')}`);
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
