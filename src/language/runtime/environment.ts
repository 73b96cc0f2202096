/**
 * What the host supplies to an evaluation besides the variables (SPEC §9, §10): the
 * environment (`system(NAME)` values, `$NAME` globals, metrics) and the `Lookups` interface
 * a host implements to back the asynchronous functions.
 *
 * Lookup conventions:
 * a method may return a value or a promise. `undefined` from a key/counter
 * method means "no such store" (the function then gives `''`). Throwing (or rejecting)
 * makes the evaluation fail with an EvaluationError naming the function.
 */

export type DnsRecordType = 'A' | 'AAAA' | 'MX' | 'PTR' | 'TXT';

export interface MxRecord {
  exchange: string;
  priority: number;
}

export interface SqlResult {
  /** Rows of a SELECT. */
  rows?: unknown[][];
  /** Rows affected by any other statement. */
  affected?: number;
}

type MaybePromise<T> = T | Promise<T>;

export interface Lookups {
  /** Does the directory know this domain? */
  isLocalDomain?(domain: string): MaybePromise<boolean>;
  /** Does the directory resolve this address to an account or an alias? */
  isLocalAddress?(address: string): MaybePromise<boolean>;
  /** The value under key, `null` when absent, `undefined` when the store does not exist. */
  keyGet?(store: string, key: string): MaybePromise<unknown>;
  keyExists?(store: string, key: string): MaybePromise<boolean | undefined>;
  /** Stores the value; `false`/`undefined` when the store does not exist. */
  keySet?(store: string, key: string, value: unknown): MaybePromise<boolean | undefined>;
  counterIncr?(store: string, key: string, delta: number): MaybePromise<number | undefined>;
  counterGet?(store: string, key: string): MaybePromise<number | undefined>;
  /**
   * DNS records of a name; for PTR the name is the IP address itself.
   * A/AAAA/PTR: strings; MX: MxRecord; TXT: arrays of the record's character strings.
   */
  dnsResolve?(name: string, type: DnsRecordType): MaybePromise<string[] | MxRecord[] | string[][]>;
  /** Runs a query on a store; `undefined` when the store does not exist. */
  sqlQuery?(store: string, query: string, params: unknown[]): MaybePromise<SqlResult | undefined>;
}

/** Host-side inputs to an evaluation besides the variables. */
export interface Environment {
  /** Values for `system(NAME)`. */
  system?: Record<string, unknown>;
  /** Values of `$NAME` globals; unresolved ones read as 0. */
  globals?: Record<string, unknown>;
  /** Values for `metric(NAME)`: a map or a reader function. */
  metrics?: Record<string, number> | ((name: string) => number | undefined);
  /** Host lookups for the asynchronous functions. */
  lookups?: Lookups;
}

const hasOwn = Object.prototype.hasOwnProperty;

/** The host values the language reads from the environment, one row each: `system(NAME)`, `$NAME`, `metric(NAME)`. */
export const HOST_VALUES = {
  /** A `system(NAME)` value; missing → `''`. */
  system(env: Environment, name: string): unknown {
    const system = env.system;
    return system !== undefined && system !== null && hasOwn.call(system, name) ? system[name] : '';
  },
  /** A `$NAME` global; unresolved → 0. */
  global(env: Environment, name: string): unknown {
    const globals = env.globals;
    return globals !== undefined && globals !== null && hasOwn.call(globals, name) ? globals[name] : 0;
  },
  /** A `metric(NAME)` reading, always a number (a reader that fails or gives no number → 0). */
  metric(env: Environment, name: string): number {
    const m = env.metrics;
    let x: unknown;
    try {
      x = typeof m === 'function' ? m(name) : m !== undefined && m !== null && hasOwn.call(m, name) ? m[name] : undefined;
    } catch {
      x = undefined;
    }
    return typeof x === 'number' ? x : 0;
  },
} as const;
