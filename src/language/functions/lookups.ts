/** Host lookup functions (SPEC §10, "Host lookups"): asynchronous, resolved through `Lookups`. */
import type { DnsRecordType, Lookups, MxRecord } from '../runtime/environment.js';
import { fromHost, toHost } from '../runtime/host-values.js';
import { numValue, toNum, toStr, type Value } from '../runtime/values.js';
import { parseIp } from './ip.js';
import { LOOKUP, type FunctionSpec } from './types.js';

function need<K extends keyof Lookups>(lookups: Lookups, method: K): NonNullable<Lookups[K]> {
  const fn = lookups[method];
  if (typeof fn !== 'function') throw new Error(`the host provides no ${String(method)} lookup`);
  return (fn as NonNullable<Lookups[K]>);
}

const stripDot = (name: string): string => (name.endsWith('.') ? name.slice(0, -1) : name);

function isNotFound(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === 'ENOTFOUND' || code === 'ENODATA' || code === 'NXDOMAIN';
}

async function resolve(lookups: Lookups, name: string, type: DnsRecordType): Promise<unknown[]> {
  try {
    return await need(lookups, 'dnsResolve').call(lookups, name, type);
  } catch (e) {
    if (isNotFound(e)) return [];
    throw e;
  }
}

async function dnsQuery(lookups: Lookups, nameValue: Value, typeValue: Value): Promise<Value> {
  const name = toStr(nameValue);
  switch (toStr(typeValue)) {
    case 'ipv4':
      return (await resolve(lookups, name, 'A')).map(String);
    case 'ipv6':
      return (await resolve(lookups, name, 'AAAA')).map(String);
    case 'ip':
      return [...(await resolve(lookups, name, 'A')), ...(await resolve(lookups, name, 'AAAA'))].map(String);
    case 'mx': {
      const records = (await resolve(lookups, name, 'MX')) as MxRecord[];
      return [...records].sort((a, b) => a.priority - b.priority).map((r) => stripDot(String(r.exchange)));
    }
    case 'ptr':
      if (parseIp(name) === null) return '';
      return (await resolve(lookups, name, 'PTR')).map((n) => stripDot(String(n)));
    case 'txt': {
      const records = (await resolve(lookups, name, 'TXT')) as string[][];
      return records.length === 0 ? '' : records[0]!.join('');
    }
    default:
      return '';
  }
}

function sqlValue(cell: unknown): Value {
  return cell === null || cell === undefined ? '' : fromHost(cell);
}

async function sqlQuery(lookups: Lookups, store: Value, query: Value, params: Value): Promise<Value> {
  const args = Array.isArray(params) ? (params as readonly Value[]).map(toHost) : [toHost(params as Value)];
  const result = await need(lookups, 'sqlQuery').call(lookups, toStr(store), toStr(query), args);
  if (result === undefined) throw new Error(`unknown store \`${toStr(store)}\``);
  if (result.rows === undefined) return result.affected ?? 0;
  const rows = result.rows;
  if (rows.length === 0) return '';
  if (rows.length === 1) {
    const row = rows[0]!;
    return row.length === 1 ? sqlValue(row[0]) : row.map(sqlValue);
  }
  return rows.map((row) => row.map(sqlValue));
}

const orEmpty = (v: unknown, f: (x: never) => Value): Value => (v === undefined || v === null ? '' : f(v as never));

export const LOOKUP_FUNCTIONS: FunctionSpec[] = [
  {
    name: 'is_local_domain',
    arity: 1,
    ...LOOKUP,
    asyncFn: async (l, d) => ((await need(l, 'isLocalDomain').call(l, toStr(d))) ? 1 : 0),
  },
  {
    name: 'is_local_address',
    arity: 1,
    ...LOOKUP,
    asyncFn: async (l, a) => ((await need(l, 'isLocalAddress').call(l, toStr(a))) ? 1 : 0),
  },
  {
    name: 'key_get',
    arity: 2,
    ...LOOKUP,
    asyncFn: async (l, s, k) => orEmpty(await need(l, 'keyGet').call(l, toStr(s), toStr(k)), fromHost),
  },
  {
    name: 'key_exists',
    arity: 2,
    ...LOOKUP,
    asyncFn: async (l, s, k) => orEmpty(await need(l, 'keyExists').call(l, toStr(s), toStr(k)), (b: boolean) => (b ? 1 : 0)),
  },
  {
    name: 'key_set',
    arity: 3,
    ...LOOKUP,
    asyncFn: async (l, s, k, v) => ((await need(l, 'keySet').call(l, toStr(s), toStr(k), toHost(v!))) ? 1 : ''),
  },
  {
    name: 'counter_incr',
    arity: 3,
    ...LOOKUP,
    asyncFn: async (l, s, k, d) => orEmpty(await need(l, 'counterIncr').call(l, toStr(s), toStr(k), numValue(toNum(d!))), fromHost),
  },
  {
    name: 'counter_get',
    arity: 2,
    ...LOOKUP,
    asyncFn: async (l, s, k) => orEmpty(await need(l, 'counterGet').call(l, toStr(s), toStr(k)), fromHost),
  },
  { name: 'dns_query', arity: 2, ...LOOKUP, asyncFn: (l, n, t) => dnsQuery(l, n!, t!) },
  { name: 'sql_query', arity: 3, ...LOOKUP, asyncFn: (l, s, q, p) => sqlQuery(l, s!, q!, p!) },
];
