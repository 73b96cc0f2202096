/**
 * DNS for `dns_query`: Node's resolver (c-ares, the one behind `node:dns`) with the servers,
 * the timeout and the number of tries of the configuration, a bounded cache that honours the
 * TTLs of the answers and keeps negative answers (NXDOMAIN, no data), and one query in
 * flight per name and type however many sessions ask at once.
 *
 * c-ares picks a random query id and source port, checks that the answer matches the
 * question and retries over TCP when a UDP answer is truncated; a lookup never takes longer
 * than `timeout` (all tries included), after which it fails with ETIMEOUT.
 */
import { Resolver } from 'node:dns/promises';
import type { DnsRecordType, MxRecord } from '../../language/index.js';
import { Settings, SettingsError } from '../json.js';
import { withDeadline } from './deadline.js';

export type DnsAnswer = string[] | MxRecord[] | string[][];

export interface DnsSettings {
  /** Name servers (`IP` or `IP:PORT`, `[IPv6]:PORT`); default: the system's (/etc/resolv.conf). */
  servers?: string[];
  /** The longest one lookup takes, every try included (ms; default 5000). */
  timeout?: number;
  /** Tries per server (default 2); c-ares doubles the wait of each retry. */
  tries?: number;
  /** Cached answers at most (default 10000; 0: no cache). */
  cacheSize?: number;
  /** Bounds on the TTL of a cached answer (ms; defaults 0 and one day). */
  minTtl?: number;
  maxTtl?: number;
  /** How long an NXDOMAIN or empty answer is kept (ms; default 60000). */
  negativeTtl?: number;
  /**
   * How long MX, TXT and PTR answers are kept (ms; default 300000): Node's resolver reports
   * the TTL of address records only, so these use this value (bounded by minTtl and maxTtl).
   */
  recordTtl?: number;
}

export const DNS_SETTINGS = ['servers', 'timeout', 'tries', 'cacheSize', 'minTtl', 'maxTtl', 'negativeTtl', 'recordTtl'] as const;

/** Reads the `dns` section of a configuration file. */
export function dnsSettings(json: unknown, path = 'dns'): DnsSettings {
  const s = Settings.of(json, path, DNS_SETTINGS);
  const settings: DnsSettings = {
    timeout: s.duration('timeout', 5000),
    tries: s.integer('tries', 2, 1, 10),
    cacheSize: s.integer('cacheSize', 10_000, 0, 10_000_000),
    minTtl: s.duration('minTtl', 0, true),
    maxTtl: s.duration('maxTtl', 86_400_000),
    negativeTtl: s.duration('negativeTtl', 60_000, true),
    recordTtl: s.duration('recordTtl', 300_000, true),
  };
  const servers = s.strings('servers');
  if (servers !== undefined) {
    try {
      new Resolver().setServers(servers);
    } catch (e) {
      throw new SettingsError(s.at('servers'), `${(e as Error).message} (expected IP or IP:PORT, [IPv6]:PORT)`);
    }
    settings.servers = servers;
  }
  return settings;
}

/** A lookup that failed: the resolver's code (ETIMEOUT, ESERVFAIL, ECONNREFUSED, …) and what was asked. */
export class DnsError extends Error {
  override readonly name = 'DnsError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** NXDOMAIN and "no records of that type": answers, kept like any other. */
const NEGATIVE = new Set(['ENOTFOUND', 'ENODATA']);

interface Entry {
  expires: number;
  answer: DnsAnswer | null;
  /** For a negative answer: the resolver's code, thrown again on each hit. */
  code?: string;
}

export interface DnsStats {
  hits: number;
  misses: number;
  size: number;
}

/** DNS records for `dns_query`, cached. One instance is shared by every session of a server. */
export class DnsLookup {
  private readonly resolver: Resolver;
  private readonly cache = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<DnsAnswer>>();
  private readonly timeout: number;
  private readonly cacheSize: number;
  private readonly minTtl: number;
  private readonly maxTtl: number;
  private readonly negativeTtl: number;
  private readonly recordTtl: number;
  private hits = 0;
  private misses = 0;

  constructor(
    settings: DnsSettings = {},
    /** The clock (ms), replaceable in tests. */
    private readonly now: () => number = Date.now,
  ) {
    this.timeout = settings.timeout ?? 5000;
    const tries = settings.tries ?? 2;
    // c-ares waits `t`, then `2t`, … per try: the tries fit in the timeout.
    this.resolver = new Resolver({ timeout: Math.max(1, Math.floor(this.timeout / (2 ** tries - 1))), tries });
    if (settings.servers !== undefined) this.resolver.setServers(settings.servers);
    this.cacheSize = settings.cacheSize ?? 10_000;
    this.minTtl = settings.minTtl ?? 0;
    this.maxTtl = settings.maxTtl ?? 86_400_000;
    this.negativeTtl = settings.negativeTtl ?? 60_000;
    this.recordTtl = settings.recordTtl ?? 300_000;
  }

  /** The resolver's servers (`IP` or `IP:PORT`). */
  servers(): string[] {
    return this.resolver.getServers();
  }

  stats(): DnsStats {
    return { hits: this.hits, misses: this.misses, size: this.cache.size };
  }

  /**
   * The records of a name (for PTR: of an IP address). Rejects with an error whose `code` is
   * ENOTFOUND (NXDOMAIN) or ENODATA (no such records) for a negative answer, and with a
   * DnsError for a failure (ETIMEOUT, ESERVFAIL, …), which is never cached.
   */
  resolve(name: string, type: DnsRecordType): Promise<DnsAnswer> {
    const key = `${type} ${name.toLowerCase()}`;
    const entry = this.cache.get(key);
    if (entry !== undefined) {
      if (entry.expires > this.now()) {
        this.hits++;
        // Keep recently used answers: the oldest are dropped first when the cache is full.
        this.cache.delete(key);
        this.cache.set(key, entry);
        return entry.answer !== null ? Promise.resolve(entry.answer) : Promise.reject(negative(entry.code!, name, type));
      }
      this.cache.delete(key);
    }
    this.misses++;
    let pending = this.inFlight.get(key);
    if (pending === undefined) {
      pending = this.query(key, name, type).finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return pending;
  }

  private async query(key: string, name: string, type: DnsRecordType): Promise<DnsAnswer> {
    let answer: DnsAnswer;
    let ttl: number;
    try {
      [answer, ttl] = await withDeadline(this.ask(name, type), this.timeout + 50, () => new DnsError('ETIMEOUT', `${type} ${name}: no answer within ${this.timeout} ms`));
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      if (typeof code === 'string' && NEGATIVE.has(code)) {
        this.store(key, { expires: this.now() + this.negativeTtl, answer: null, code });
        throw negative(code, name, type);
      }
      if (e instanceof DnsError) throw e;
      throw new DnsError(typeof code === 'string' ? code : 'EFAIL', `${type} ${name}: ${describe(typeof code === 'string' ? code : '', e)}`);
    }
    const ms = Math.min(this.maxTtl, Math.max(this.minTtl, ttl));
    if (ms > 0) this.store(key, { expires: this.now() + ms, answer });
    return answer;
  }

  /** The answer and its TTL in ms. */
  private async ask(name: string, type: DnsRecordType): Promise<[DnsAnswer, number]> {
    switch (type) {
      case 'A':
      case 'AAAA': {
        const records = type === 'A' ? await this.resolver.resolve4(name, { ttl: true }) : await this.resolver.resolve6(name, { ttl: true });
        const ttl = records.reduce((min, r) => Math.min(min, r.ttl), Infinity);
        return [records.map((r) => r.address), (Number.isFinite(ttl) ? ttl : 0) * 1000];
      }
      case 'MX':
        return [(await this.resolver.resolveMx(name)).map((r) => ({ exchange: r.exchange, priority: r.priority })), this.recordTtl];
      case 'TXT':
        return [await this.resolver.resolveTxt(name), this.recordTtl];
      case 'PTR':
        return [await this.resolver.reverse(name), this.recordTtl];
    }
  }

  private store(key: string, entry: Entry): void {
    if (this.cacheSize === 0) return;
    this.cache.delete(key);
    this.cache.set(key, entry);
    while (this.cache.size > this.cacheSize) this.cache.delete(this.cache.keys().next().value!);
  }

  /** Forgets every cached answer. */
  clear(): void {
    this.cache.clear();
  }

  /** Cancels the queries in flight (they fail with ECANCELLED). */
  close(): void {
    this.resolver.cancel();
  }
}

function negative(code: string, name: string, type: DnsRecordType): Error {
  return Object.assign(new Error(`${type} ${name}: ${code === 'ENOTFOUND' ? 'no such domain' : 'no records'}`), { code });
}

function describe(code: string, e: unknown): string {
  switch (code) {
    case 'ETIMEOUT':
      return 'no answer (timeout)';
    case 'ESERVFAIL':
      return 'the server failed (SERVFAIL)';
    case 'EREFUSED':
      return 'the server refused the query';
    case 'ECONNREFUSED':
      return 'connection refused by the name server';
    default:
      return e instanceof Error ? e.message : String(e);
  }
}
