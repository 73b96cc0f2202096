/**
 * IP address functions (SPEC §10, "Misc"). Parsing is ipaddr.js's (strict dotted quads,
 * RFC 4291 IPv6 text); zones and brackets are refused before it sees them.
 */
import ipaddr from 'ipaddr.js';
import { toStr } from '../runtime/values.js';
import { bool, PREDICATE, PURE, type FunctionSpec } from './types.js';

export interface ParsedIp {
  v4: boolean;
  bytes: number[];
}

let lastText = '';
let lastParsed: ParsedIp | null = null;

/** Parses an IP address; the last one is remembered, as rules check the same address in turn. */
export function parseIp(s: string): ParsedIp | null {
  if (s === lastText && s.length !== 0) return lastParsed;
  const parsed = parseIpText(s);
  lastText = s;
  lastParsed = parsed;
  return parsed;
}

function parseIpText(s: string): ParsedIp | null {
  if (s.length === 0 || s.length > 64) return null;
  if (ipaddr.IPv4.isValidFourPartDecimal(s)) return { v4: true, bytes: ipaddr.IPv4.parse(s).toByteArray() };
  if (s.includes('%') || !s.includes(':')) return null;
  // An embedded IPv4 tail must be a strict dotted quad too.
  const tail = s.slice(s.lastIndexOf(':') + 1);
  if (tail.includes('.') && !ipaddr.IPv4.isValidFourPartDecimal(tail)) return null;
  if (!ipaddr.IPv6.isValid(s)) return null;
  return { v4: false, bytes: ipaddr.IPv6.parse(s).toByteArray() };
}

/** The IPv4 address inside an IPv4-mapped (::ffff:a.b.c.d) or IPv4-compatible (::a.b.c.d) IPv6 address. */
function embeddedV4(ip: ParsedIp): number[] | null {
  const b = ip.bytes;
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return null;
  const mapped = b[10] === 0xff && b[11] === 0xff;
  const compatible = b[10] === 0 && b[11] === 0;
  return mapped || compatible ? b.slice(12) : null;
}

function prefixMatches(a: number[], b: number[], bits: number): boolean {
  let i = 0;
  for (; bits >= 8; bits -= 8, i++) if (a[i] !== b[i]) return false;
  if (bits === 0) return true;
  const mask = (0xff << (8 - bits)) & 0xff;
  return (a[i]! & mask) === (b[i]! & mask);
}

interface Network {
  v4: boolean;
  bytes: number[];
  bits: number;
}

/** `ADDR/BITS` or a bare address; null when malformed. */
export function parseNetwork(cidr: string): Network | null {
  const slash = cidr.indexOf('/');
  const net = parseIpText(slash < 0 ? cidr : cidr.slice(0, slash));
  if (!net) return null;
  let bits = net.v4 ? 32 : 128;
  if (slash >= 0) {
    const text = cidr.slice(slash + 1);
    if (!/^[0-9]{1,3}$/.test(text)) return null;
    bits = Number(text);
    if (bits < 8 || bits > (net.v4 ? 32 : 128)) return null;
  }
  return { v4: net.v4, bytes: net.bytes, bits };
}

export function ipInCidr(address: string, cidr: string): boolean {
  const net = parseNetwork(cidr);
  return net !== null && ipInNetwork(address, net);
}

function ipInNetwork(address: string, net: Network): boolean {
  const ip = parseIp(address);
  if (!ip) return false;
  const bits = net.bits;
  if (net.v4) {
    const bytes = ip.v4 ? ip.bytes : embeddedV4(ip);
    return bytes !== null && prefixMatches(bytes, net.bytes, bits);
  }
  const bytes = ip.v4 ? [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...ip.bytes] : ip.bytes;
  return prefixMatches(bytes, net.bytes, bits);
}

export function reverseName(s: string): string {
  const ip = parseIp(s);
  if (!ip) return '';
  if (ip.v4) return ip.bytes.slice().reverse().join('.');
  const nibbles: string[] = [];
  for (let i = ip.bytes.length - 1; i >= 0; i--) {
    const b = ip.bytes[i]!;
    nibbles.push((b & 0xf).toString(16), (b >> 4).toString(16));
  }
  return nibbles.join('.');
}


export const IP_FUNCTIONS: FunctionSpec[] = [
  { name: 'is_ip_addr', arity: 1, ...PREDICATE, fn: (v) => bool(parseIp(toStr(v)) !== null) },
  { name: 'is_ipv4_addr', arity: 1, ...PREDICATE, fn: (v) => bool(parseIp(toStr(v))?.v4 === true) },
  { name: 'is_ipv6_addr', arity: 1, ...PREDICATE, fn: (v) => bool(parseIp(toStr(v))?.v4 === false) },
  {
    name: 'is_ip_in_cidr',
    arity: 2,
    ...PREDICATE,
    fn: (a, b) => bool(ipInCidr(toStr(a), toStr(b))),
    // A literal network is parsed once, at compile time.
    specialize: ([, cidr]) => {
      if (cidr === undefined) return undefined;
      const net = parseNetwork(toStr(cidr));
      return net === null ? () => 0 : (a) => bool(ipInNetwork(toStr(a), net));
    },
  },
  { name: 'ip_reverse_name', arity: 1, ...PURE, builds: 'text', fn: (v) => reverseName(toStr(v)) },
];
