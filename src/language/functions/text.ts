/** Text functions (SPEC §10, "Text"). */
import { md5, sha1 } from '@noble/hashes/legacy';
import { sha256, sha512 } from '@noble/hashes/sha2';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils';
import { fromHost } from '../runtime/host-values.js';
import { checkListLength, MAX_STRING_LENGTH, stringTooLong } from '../runtime/sizes.js';
import { equals, toIndex, toStr, type Value } from '../runtime/values.js';
import { bool, PREDICATE, PURE, type FunctionSpec } from './types.js';

/** Unicode White_Space (what `trim` and `split_words` treat as space). */
export function isWhiteSpace(c: number): boolean {
  return (
    c === 0x20 ||
    (c >= 0x09 && c <= 0x0d) ||
    (c > 0x7f &&
      (c === 0x85 ||
        c === 0xa0 ||
        c === 0x1680 ||
        (c >= 0x2000 && c <= 0x200a) ||
        c === 0x2028 ||
        c === 0x2029 ||
        c === 0x202f ||
        c === 0x205f ||
        c === 0x3000))
  );
}

export function trimText(s: string, start: boolean, end: boolean): string {
  let i = 0;
  let j = s.length;
  if (start) while (i < j && isWhiteSpace(s.charCodeAt(i))) i++;
  if (end) while (j > i && isWhiteSpace(s.charCodeAt(j - 1))) j--;
  return i === 0 && j === s.length ? s : s.slice(i, j);
}

/**
 * Applies `f` to the string form of a value, or to each element's string form (†). What it
 * returns is built: at most MAX_LIST_LENGTH items and MAX_STRING_LENGTH characters of text
 * in all (a list may name one large string many times; each result is new).
 */
export function elementwise(v: Value, f: (s: string) => Value): Value {
  if (!Array.isArray(v)) {
    const r = f(toStr(v as Exclude<Value, readonly Value[]>));
    if (typeof r === 'string' && r.length > MAX_STRING_LENGTH) stringTooLong();
    return r;
  }
  const items = v as readonly Value[];
  checkListLength(items.length);
  const out = new Array<Value>(items.length);
  let text = 0;
  for (let i = 0; i < items.length; i++) {
    const r = f(toStr(items[i]!));
    if (typeof r === 'string' && (text += r.length) > MAX_STRING_LENGTH) stringTooLong();
    out[i] = r;
  }
  return out;
}

const NOT_LOWER = /(?=\p{Alphabetic})\P{Lowercase}/u;
const NOT_UPPER = /(?=\p{Alphabetic})\P{Uppercase}/u;
const UPPER = /(?=\p{Alphabetic})\p{Uppercase}/gu;
const LOWER = /(?=\p{Alphabetic})\p{Lowercase}/gu;
const WORD = /^[\p{Alphabetic}\p{N}]+$/u;

function countMatches(re: RegExp, s: string): number {
  re.lastIndex = 0;
  let n = 0;
  while (re.exec(s) !== null) n++;
  return n;
}

export function countCodePoints(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // A high surrogate followed by a low one is one code point.
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

export function asciiLower(s: string): string {
  return /[A-Z]/.test(s) ? s.replace(/[A-Z]+/g, (m) => m.toLowerCase()) : s;
}

/** The UTF-16 length of the code point at `i` (2 for a surrogate pair, else 1). */
function codePointLength(s: string, i: number): number {
  const c = s.charCodeAt(i);
  return c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00 ? 2 : 1;
}

/**
 * Splits on every occurrence of `sep` (at most `limit` splits, the last piece keeping the
 * rest); an empty separator splits between code points with empty ends. The list is built:
 * it is refused as soon as it would pass MAX_LIST_LENGTH pieces.
 */
export function splitAll(s: string, sep: string, limit = Infinity): string[] {
  const out: string[] = [];
  if (sep === '') {
    out.push('');
    let i = 0;
    while (out.length <= limit && i < s.length) {
      const n = codePointLength(s, i);
      out.push(s.slice(i, i + n));
      i += n;
      checkListLength(out.length + 1);
    }
    if (i < s.length) out[out.length - 1] += s.slice(i);
    else if (out.length <= limit) out.push('');
    return out;
  }
  let from = 0;
  while (out.length < limit) {
    const at = s.indexOf(sep, from);
    if (at < 0) break;
    out.push(s.slice(from, at));
    from = at + sep.length;
    checkListLength(out.length + 1);
  }
  out.push(s.slice(from));
  return out;
}

function lines(v: Value): Value {
  if (typeof v !== 'string') return v;
  const parts: string[] = [];
  let from = 0;
  while (from < v.length) {
    const at = v.indexOf('\n', from);
    const end = at < 0 ? v.length : at;
    parts.push(v.slice(from, end > from && v.charCodeAt(end - 1) === 13 ? end - 1 : end));
    checkListLength(parts.length);
    if (at < 0) break;
    from = at + 1;
  }
  return parts;
}

function substring(v: Value, start: Value, count: Value): Value {
  const s = toStr(v);
  const from = toIndex(start);
  const n = toIndex(count);
  if (from >= s.length || n === 0) return '';
  // Fast path: no surrogate pairs, code points are code units.
  if (!/[\uD800-\uDFFF]/.test(s)) return s.slice(from, n === Infinity ? undefined : from + n);
  // Walk the code points to the two ends (no array of them is made).
  let i = 0;
  for (let k = 0; k < from && i < s.length; k++) i += codePointLength(s, i);
  if (i >= s.length) return '';
  let j = i;
  for (let k = 0; k < n && j < s.length; k++) j += codePointLength(s, j);
  return s.slice(i, j);
}

function contains(haystack: Value, needle: Value): Value {
  if (typeof haystack === 'string') return haystack.includes(toStr(needle)) ? 1 : 0;
  if (Array.isArray(haystack)) {
    for (const item of haystack as readonly Value[]) if (equals(item, needle)) return 1;
    return 0;
  }
  return toStr(haystack).includes(toStr(needle)) ? 1 : 0;
}

function containsIgnoreCase(haystack: Value, needle: Value): Value {
  if (typeof haystack === 'string') return haystack.toLowerCase().includes(toStr(needle).toLowerCase()) ? 1 : 0;
  if (Array.isArray(haystack)) {
    const n = asciiLower(toStr(needle));
    for (const item of haystack as readonly Value[]) if (typeof item === 'string' && asciiLower(item) === n) return 1;
    return 0;
  }
  return toStr(haystack).includes(toStr(needle)) ? 1 : 0;
}

const HASHES: Readonly<Record<string, (data: Uint8Array) => Uint8Array>> = { md5, sha1, sha256, sha512 };

function hash(v: Value, algorithm: Value): Value {
  const name = toStr(algorithm);
  const digest = Object.prototype.hasOwnProperty.call(HASHES, name) ? HASHES[name] : undefined;
  return digest === undefined ? '' : bytesToHex(digest(utf8ToBytes(toStr(v))));
}

/** Length in UTF-8 bytes (a lone surrogate counts as U+FFFD, three bytes, as an encoder writes it). */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}


export const TEXT_FUNCTIONS: FunctionSpec[] = [
  { name: 'trim', arity: 1, ...PURE, builds: 'mapped', fn: (v) => elementwise(v, (s) => trimText(s, true, true)) },
  { name: 'trim_start', arity: 1, ...PURE, builds: 'mapped', fn: (v) => elementwise(v, (s) => trimText(s, true, false)) },
  { name: 'trim_end', arity: 1, ...PURE, builds: 'mapped', fn: (v) => elementwise(v, (s) => trimText(s, false, true)) },
  {
    name: 'len',
    arity: 1,
    ...PURE,
    fn: (v) => (Array.isArray(v) ? v.length : utf8Length(toStr(v as Exclude<Value, readonly Value[]>))),
  },
  { name: 'to_lowercase', arity: 1, ...PURE, builds: 'mapped', fn: (v) => elementwise(v, (s) => s.toLowerCase()) },
  { name: 'to_uppercase', arity: 1, ...PURE, builds: 'mapped', fn: (v) => elementwise(v, (s) => s.toUpperCase()) },
  { name: 'is_lowercase', arity: 1, ...PURE, builds: 'mapped', scans: 16, fn: (v) => elementwise(v, (s) => bool(!NOT_LOWER.test(s))) },
  { name: 'is_uppercase', arity: 1, ...PURE, builds: 'mapped', scans: 16, fn: (v) => elementwise(v, (s) => bool(!NOT_UPPER.test(s))) },
  { name: 'has_digits', arity: 1, ...PURE, builds: 'mapped', fn: (v) => elementwise(v, (s) => bool(/[0-9]/.test(s))) },
  { name: 'count_chars', arity: 1, ...PURE, fn: (v) => countCodePoints(toStr(v)) },
  {
    name: 'count_spaces',
    arity: 1,
    ...PURE,
    fn: (v) => {
      const s = toStr(v);
      let n = 0;
      for (let i = 0; i < s.length; i++) if (isWhiteSpace(s.charCodeAt(i))) n++;
      return n;
    },
  },
  { name: 'count_uppercase', arity: 1, ...PURE, scans: 3, fn: (v) => countMatches(UPPER, toStr(v)) },
  { name: 'count_lowercase', arity: 1, ...PURE, scans: 3, fn: (v) => countMatches(LOWER, toStr(v)) },
  {
    name: 'contains',
    arity: 2,
    ...PREDICATE,
    fn: contains,
    // contains(['to', 'cc', 'bcc'], x): a set lookup when both the list and x are strings.
    specialize: ([list]) => {
      if (!Array.isArray(list) || !list.every((item) => typeof item === 'string')) return undefined;
      const set = new Set(list as readonly string[]);
      return (haystack, needle) => (typeof needle === 'string' ? (set.has(needle) ? 1 : 0) : contains(haystack, needle));
    },
    // contains(['to', 'cc'], x) and contains(x, 'needle') on the host's string directly.
    hostTest: ([list, needle], at) => {
      if (at === 1 && Array.isArray(list) && list.every((item) => typeof item === 'string')) {
        const items = list as readonly string[];
        const set = new Set(items);
        const slow = (x: unknown): boolean => contains(items, fromHost(x)) === 1;
        // A short list is searched faster than a set is hashed.
        if (items.length <= 8) return (x) => (typeof x === 'string' ? items.includes(x) : slow(x));
        return (x) => (typeof x === 'string' ? set.has(x) : slow(x));
      }
      if (at === 0 && typeof needle === 'string') return (x) => (typeof x === 'string' ? x.includes(needle) : contains(fromHost(x), needle) === 1);
      return undefined;
    },
  },
  { name: 'contains_ignore_case', arity: 2, ...PREDICATE, fn: containsIgnoreCase },
  { name: 'eq_ignore_case', arity: 2, ...PREDICATE, scans: 6, fn: (a, b) => bool(asciiLower(toStr(a)) === asciiLower(toStr(b))) },
  {
    name: 'starts_with',
    arity: 2,
    ...PREDICATE,
    fn: (a, b) => bool(toStr(a).startsWith(toStr(b))),
    hostTest: ([, prefix], at) =>
      at === 0 && typeof prefix === 'string' ? (x) => (typeof x === 'string' ? x : toStr(fromHost(x))).startsWith(prefix) : undefined,
  },
  {
    name: 'ends_with',
    arity: 2,
    ...PREDICATE,
    fn: (a, b) => bool(toStr(a).endsWith(toStr(b))),
    hostTest: ([, suffix], at) =>
      at === 0 && typeof suffix === 'string' ? (x) => (typeof x === 'string' ? x : toStr(fromHost(x))).endsWith(suffix) : undefined,
  },
  {
    name: 'strip_prefix',
    arity: 2,
    ...PURE,
    builds: 'mapped',
    fn: (v, p) => {
      const prefix = toStr(p);
      return elementwise(v, (s) => (s.startsWith(prefix) ? s.slice(prefix.length) : ''));
    },
  },
  {
    name: 'strip_suffix',
    arity: 2,
    ...PURE,
    builds: 'mapped',
    fn: (v, p) => {
      const suffix = toStr(p);
      return elementwise(v, (s) => (s.endsWith(suffix) ? s.slice(0, s.length - suffix.length) : ''));
    },
  },
  { name: 'substring', arity: 3, ...PURE, builds: 'text', fn: substring },
  { name: 'lines', arity: 1, ...PURE, builds: 'list', fn: lines },
  { name: 'split', arity: 2, ...PURE, builds: 'strings', fn: (v, sep) => splitAll(toStr(v), toStr(sep)) },
  { name: 'rsplit', arity: 2, ...PURE, builds: 'strings', fn: (v, sep) => splitAll(toStr(v), toStr(sep)).reverse() },
  {
    name: 'split_once',
    arity: 2,
    ...PURE,
    builds: 'strings',
    fn: (v, sep) => {
      const s = toStr(v);
      const d = toStr(sep);
      const at = s.indexOf(d);
      return at < 0 ? '' : [s.slice(0, at), s.slice(at + d.length)];
    },
  },
  {
    name: 'rsplit_once',
    arity: 2,
    ...PURE,
    builds: 'strings',
    fn: (v, sep) => {
      const s = toStr(v);
      const d = toStr(sep);
      const at = s.lastIndexOf(d);
      return at < 0 ? '' : [s.slice(0, at), s.slice(at + d.length)];
    },
  },
  { name: 'split_n', arity: 3, ...PURE, builds: 'strings', fn: (v, sep, n) => splitAll(toStr(v), toStr(sep), toIndex(n)) },
  {
    name: 'split_words',
    arity: 1,
    ...PURE,
    builds: 'strings',
    scans: 16,
    fn: (v) => {
      const s = toStr(v);
      const out: string[] = [];
      let start = -1;
      for (let i = 0; i <= s.length; i++) {
        const space = i === s.length || isWhiteSpace(s.charCodeAt(i));
        if (space) {
          if (start >= 0) {
            const word = s.slice(start, i);
            if (WORD.test(word)) {
              checkListLength(out.length + 1);
              out.push(word);
            }
            start = -1;
          }
        } else if (start < 0) start = i;
      }
      return out;
    },
  },
  { name: 'hash', arity: 2, ...PURE, builds: 'text', scans: 4, fn: hash },
];
