/**
 * Lookups held in memory: the embedded default behind the host lookup functions, for tests,
 * examples and the CLI (no server needed).
 */
import type { DnsRecordType, Lookups, MxRecord, SqlResult } from '../../language/index.js';

export interface MemoryLookupsInit {
  domains?: Iterable<string>;
  addresses?: Iterable<string>;
  /** Key-value stores by id; the default store has the id `''` and always exists. */
  stores?: Record<string, Record<string, unknown>>;
  /** DNS records by lowercase name (for PTR: by IP address). */
  dns?: Record<string, Partial<Record<DnsRecordType, string[] | MxRecord[] | string[][]>>>;
  /** SQL handler per store id. */
  sql?: Record<string, (query: string, params: unknown[]) => SqlResult>;
}

/** Lookups held in memory: for tests, examples and the CLI. */
export class MemoryLookups implements Lookups {
  readonly domains: Set<string>;
  readonly addresses: Set<string>;
  readonly stores = new Map<string, Map<string, unknown>>();
  readonly dns: NonNullable<MemoryLookupsInit['dns']>;
  readonly sql: NonNullable<MemoryLookupsInit['sql']>;

  constructor(init: MemoryLookupsInit = {}) {
    this.domains = new Set([...(init.domains ?? [])].map((d) => d.toLowerCase()));
    this.addresses = new Set([...(init.addresses ?? [])].map((a) => a.toLowerCase()));
    this.stores.set('', new Map());
    for (const [id, entries] of Object.entries(init.stores ?? {})) this.stores.set(id, new Map(Object.entries(entries)));
    this.dns = init.dns ?? {};
    this.sql = init.sql ?? {};
  }

  isLocalDomain(domain: string): boolean {
    return this.domains.has(domain.toLowerCase());
  }
  isLocalAddress(address: string): boolean {
    return this.addresses.has(address.toLowerCase());
  }
  keyGet(store: string, key: string): unknown {
    const s = this.stores.get(store);
    return s === undefined ? undefined : s.has(key) ? s.get(key) : null;
  }
  keyExists(store: string, key: string): boolean | undefined {
    return this.stores.get(store)?.has(key);
  }
  keySet(store: string, key: string, value: unknown): boolean | undefined {
    const s = this.stores.get(store);
    if (s === undefined) return undefined;
    s.set(key, value);
    return true;
  }
  counterIncr(store: string, key: string, delta: number): number | undefined {
    const s = this.stores.get(store);
    if (s === undefined) return undefined;
    const next = (Number(s.get(key)) || 0) + delta;
    s.set(key, next);
    return next;
  }
  counterGet(store: string, key: string): number | undefined {
    const s = this.stores.get(store);
    if (s === undefined) return undefined;
    return Number(s.get(key)) || 0;
  }
  dnsResolve(name: string, type: DnsRecordType): string[] | MxRecord[] | string[][] {
    const records = Object.prototype.hasOwnProperty.call(this.dns, name.toLowerCase()) ? this.dns[name.toLowerCase()]! : undefined;
    const found = records?.[type];
    if (found === undefined) throw Object.assign(new Error(`queryNotFound ${name} ${type}`), { code: 'ENOTFOUND' });
    return found;
  }
  sqlQuery(store: string, query: string, params: unknown[]): SqlResult | undefined {
    const handler = Object.prototype.hasOwnProperty.call(this.sql, store) ? this.sql[store] : undefined;
    return handler?.(query, params);
  }
}

/**
 * One key-value store held in the process, with the expiries of the Redis store: the
 * zero-setup default store (`''`) and the `memory` stores of a configuration file. Its
 * counters are this process's own: a cluster shares counters through Redis.
 */
export class MemoryKeyStore {
  readonly type = 'memory';
  private readonly values = new Map<string, { value: unknown; expires: number }>();
  private writes = 0;

  constructor(
    readonly name: string,
    entries: Record<string, unknown> = {},
    private readonly counterExpiry = 0,
    private readonly keyExpiry = 0,
    private readonly now: () => number = Date.now,
  ) {
    for (const [key, value] of Object.entries(entries)) this.values.set(key, { value, expires: Infinity });
  }

  private entry(key: string): { value: unknown; expires: number } | undefined {
    const e = this.values.get(key);
    if (e !== undefined && e.expires <= this.now()) {
      this.values.delete(key);
      return undefined;
    }
    return e;
  }

  get(key: string): unknown {
    return this.entry(key)?.value ?? null;
  }
  exists(key: string): boolean {
    return this.entry(key) !== undefined;
  }
  /** Every 1024 writes, drops the expired entries nobody read again (counters per client address pile up otherwise). */
  private sweep(): void {
    if (++this.writes % 1024 !== 0) return;
    const now = this.now();
    for (const [key, e] of this.values) if (e.expires <= now) this.values.delete(key);
  }

  set(key: string, value: unknown): boolean {
    this.sweep();
    this.values.set(key, { value, expires: this.keyExpiry > 0 ? this.now() + this.keyExpiry : Infinity });
    return true;
  }
  incr(key: string, delta: number): number {
    this.sweep();
    const e = this.entry(key);
    const next = (Number(e?.value) || 0) + delta;
    this.values.set(key, { value: next, expires: e?.expires ?? (this.counterExpiry > 0 ? this.now() + this.counterExpiry : Infinity) });
    return next;
  }
  counter(key: string): number {
    return Number(this.entry(key)?.value) || 0;
  }
}
