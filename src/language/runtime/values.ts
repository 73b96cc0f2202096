/**
 * Runtime values of the language (SPEC §4) and every coercion between them.
 *
 * Representation, chosen so that the common cases cost nothing:
 * - string  → JS string
 * - integer → JS number holding an integral value within the i64 range
 * - float   → a `Float` box (floats are rare; boxing keeps `2.0` a float and `2` an integer)
 * - array   → JS array of values (treated as immutable)
 * - constant→ an interned `Constant`
 */
import { ALL_CONSTANTS } from '../contexts.js';
import { MAX_STRING_LENGTH, stringTooLong } from './sizes.js';

/** A named symbol such as `plain`. One instance per name, so identity is equality. */
export class Constant {
  readonly name: string;
  /** Declaration order (SPEC §4.6): constants sort by it. */
  readonly order: number;
  constructor(name: string, order: number) {
    this.name = name;
    this.order = order;
    Object.freeze(this);
  }
  toString(): string {
    return this.name;
  }
  toJSON(): { constant: string } {
    return { constant: this.name };
  }
}

/** A floating-point value. Integers are plain numbers; floats are boxed so `3.0` stays a float. */
export class Float {
  readonly value: number;
  constructor(value: number) {
    this.value = value;
  }
}

export type Value = string | number | Float | Constant | readonly Value[];

/** i64 bounds as doubles. `2 ** 63` stands for i64::MAX (not representable exactly). */
export const INT_MAX = 2 ** 63;
export const INT_MIN = -(2 ** 63);

const constantRegistry = new Map<string, Constant>();
ALL_CONSTANTS.forEach((name, i) => constantRegistry.set(name, new Constant(name, i)));

/** The constant of that name; names outside the known list are appended in first-use order. */
export function constant(name: string): Constant {
  let c = constantRegistry.get(name);
  if (c === undefined) {
    c = new Constant(name, constantRegistry.size);
    constantRegistry.set(name, c);
  }
  return c;
}

export function saturate(n: number): number {
  return n > INT_MAX ? INT_MAX : n < INT_MIN ? INT_MIN : n === 0 ? 0 : n;
}

// ---------------------------------------------------------------------------
// Durations (§2): an integer number of milliseconds

/** A duration literal or text: digits and a unit, case-insensitive. */
export const DURATION_LITERAL = /^([0-9]+)(ms|s|m|h|d)$/i;
/** Milliseconds per duration unit. */
const DURATION_UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** The milliseconds of a duration text (`5s` → 5000), or undefined when it is not one. */
export function durationMs(text: string): number | undefined {
  const m = DURATION_LITERAL.exec(text);
  return m ? Number(m[1]) * DURATION_UNITS[m[2]!.toLowerCase()]! : undefined;
}

/** Milliseconds as duration text in the largest unit that holds them exactly (`5000` → `5s`, `1500` → `1500ms`). */
export function durationText(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms <= 0) return `${ms}ms`;
  let best = 'ms';
  for (const [unit, size] of Object.entries(DURATION_UNITS)) if (ms % size === 0 && size > DURATION_UNITS[best]!) best = unit;
  return `${ms / DURATION_UNITS[best]!}${best}`;
}

// ---------------------------------------------------------------------------
// Truthiness (§4.2)

export function truthy(v: Value): boolean {
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') return v.length !== 0;
  if (v instanceof Float) return v.value !== 0;
  if (v instanceof Constant) return true;
  return v.length !== 0;
}

// ---------------------------------------------------------------------------
// To string (§4.3)

export function intToString(n: number): string {
  if (n >= INT_MAX) return '9223372036854775807';
  return n === 0 ? '0' : String(n);
}

/** Shortest round-trip decimal, never in exponent notation, no trailing `.0`. */
export function floatToString(x: number): string {
  if (x !== x) return 'NaN';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const s = String(x);
  const e = s.indexOf('e');
  if (e < 0) return s;
  // Expand `d.ddde±N` into plain decimal notation.
  const negative = s[0] === '-';
  const mantissa = s.slice(negative ? 1 : 0, e);
  const exponent = Number(s.slice(e + 1));
  const dot = mantissa.indexOf('.');
  const digits = dot < 0 ? mantissa : mantissa.slice(0, dot) + mantissa.slice(dot + 1);
  const pointAt = (dot < 0 ? mantissa.length : dot) + exponent;
  let out: string;
  if (pointAt <= 0) out = '0.' + '0'.repeat(-pointAt) + digits;
  else if (pointAt >= digits.length) out = digits + '0'.repeat(pointAt - digits.length);
  else out = digits.slice(0, pointAt) + '.' + digits.slice(pointAt);
  return negative ? '-' + out : out;
}

export function toStr(v: Value): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return intToString(v);
  if (v instanceof Float) return floatToString(v.value);
  if (v instanceof Constant) return v.name;
  return arrayToString(v);
}

/** Array string form: elements' string forms joined with CRLF; nested arrays contribute nothing. A built string: at most MAX_STRING_LENGTH. */
function arrayToString(items: readonly Value[]): string {
  let out = '';
  for (let i = 0; i < items.length; i++) {
    if (i > 0) out += '\r\n';
    const item = items[i]!;
    if (!Array.isArray(item)) out += toStr(item);
    if (out.length > MAX_STRING_LENGTH) stringTooLong();
  }
  return out;
}

// ---------------------------------------------------------------------------
// To number (§4.4)

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const I64_MAX_TEXT = '9223372036854775807';

/**
 * Reads a string as a number: integer text (`[+-]?[0-9]+`) → integer, decimal float text
 * (`[+-]?([0-9]+.?[0-9]*|.[0-9]+)([eE][+-]?[0-9]+)?`) → float, anything else → 0. One scan:
 * linear in the length of the text, whatever it holds.
 */
export function parseNumber(s: string): number | Float {
  const n = s.length;
  if (n === 0) return 0;
  let i = s.charCodeAt(0) === 43 || s.charCodeAt(0) === 45 ? 1 : 0;
  const digitsFrom = i;
  while (i < n && isDigit(s.charCodeAt(i))) i++;
  const intDigits = i - digitsFrom;
  if (i === n) return intDigits === 0 ? 0 : integerText(s, digitsFrom);
  if (s.charCodeAt(i) === 46) {
    i++;
    const fractionFrom = i;
    while (i < n && isDigit(s.charCodeAt(i))) i++;
    if (intDigits === 0 && i === fractionFrom) return 0;
  } else if (intDigits === 0) {
    return 0;
  }
  if (i < n) {
    const e = s.charCodeAt(i);
    if (e !== 101 && e !== 69) return 0;
    i++;
    if (i < n && (s.charCodeAt(i) === 43 || s.charCodeAt(i) === 45)) i++;
    const exponentFrom = i;
    while (i < n && isDigit(s.charCodeAt(i))) i++;
    if (i === exponentFrom || i !== n) return 0;
  }
  return new Float(Number(s));
}

/** Integer text (sign, then digits from `digitsFrom`); beyond the i64 range it is read as a float, as a float parser would. */
function integerText(s: string, digitsFrom: number): number | Float {
  const n = Number(s);
  if (n > INT_MAX || n < INT_MIN) return new Float(n);
  if (n === INT_MAX) {
    let first = digitsFrom;
    while (first < s.length - 1 && s.charCodeAt(first) === 48) first++;
    if (s.length - first !== I64_MAX_TEXT.length || s.slice(first) !== I64_MAX_TEXT) return new Float(n);
  }
  return n === 0 ? 0 : n;
}

/** The value as a number: integer (JS number) or Float. */
export function toNum(v: Value): number | Float {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') return parseNumber(v);
  if (v instanceof Float) return v;
  if (v instanceof Constant) return 0;
  return v.length === 0 ? 1 : 0;
}

/** The numeric magnitude of a number value (integer or float) as a JS number. */
export function numValue(n: number | Float): number {
  return typeof n === 'number' ? n : n.value;
}

// ---------------------------------------------------------------------------
// Equality (§4.5) and ordering (§4.6)

export function equals(a: Value, b: Value): boolean {
  if (typeof a === 'number') {
    if (typeof b === 'number') return a === b;
    if (typeof b === 'string') return a === numValue(parseNumber(b));
    if (b instanceof Float) return a === b.value;
    return false;
  }
  if (typeof a === 'string') {
    if (typeof b === 'string') return a === b;
    if (typeof b === 'number') return numValue(parseNumber(a)) === b;
    if (b instanceof Float) return numValue(parseNumber(a)) === b.value;
    return false;
  }
  if (a instanceof Float) {
    if (typeof b === 'number') return a.value === b;
    if (b instanceof Float) return a.value === b.value;
    if (typeof b === 'string') return a.value === numValue(parseNumber(b));
    return false;
  }
  if (a instanceof Constant) return a === b;
  if (!Array.isArray(b)) return false;
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!equals(a[i]!, b[i]!)) return false;
  return true;
}

/** Negative, zero, positive, or NaN when unordered (a NaN float): every ordering test is then false. */
function compareNumbers(x: number, y: number): number {
  return x < y ? -1 : x > y ? 1 : x === y ? 0 : NaN;
}

/** Compares two strings by Unicode code point (JS `<` compares UTF-16 code units). */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x !== y) {
      // Surrogates (astral code points) must sort above U+E000..U+FFFF.
      if (x >= 0xd800 && y >= 0xd800) {
        x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
        y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
      }
      return x < y ? -1 : 1;
    }
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

/** Kind rank for cross-kind ordering: number < constant < string < array. */
function rank(v: Value): number {
  if (typeof v === 'number' || v instanceof Float) return 0;
  if (v instanceof Constant) return 1;
  if (typeof v === 'string') return 2;
  return 3;
}

/** Order of §4.6: negative, zero or positive; NaN only when a NaN float makes a pair unordered. */
export function compare(a: Value, b: Value): number {
  if (typeof a === 'number' && typeof b === 'number') return compareNumbers(a, b);
  if (typeof a === 'string' && typeof b === 'string') return compareStrings(a, b);
  const ra = rank(a);
  const rb = rank(b);
  if (ra === 0 && rb === 0) return compareNumbers(numValue(a as number | Float), numValue(b as number | Float));
  if (ra === 2 && rb === 0) return compareNumbers(numValue(parseNumber(a as string)), numValue(b as number | Float));
  if (ra === 0 && rb === 2) return compareNumbers(numValue(a as number | Float), numValue(parseNumber(b as string)));
  if (ra !== rb) return ra < rb ? -1 : 1;
  if (ra === 1) return (a as Constant).order - (b as Constant).order;
  const x = a as readonly Value[];
  const y = b as readonly Value[];
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) {
    const c = compare(x[i]!, y[i]!);
    if (c !== 0) return c;
  }
  return x.length - y.length;
}

/** Total order for sorting: unordered pairs count as "greater", as in the reference. */
export function sortOrder(a: Value, b: Value): number {
  const c = compare(a, b);
  return c === c ? c : 1;
}

// ---------------------------------------------------------------------------
// Arrays and indexes (§7.4)

export const EMPTY: readonly Value[] = Object.freeze([]);

/** The value taken as an array: arrays as themselves, '' as [], any other value as [v]. */
export function toArray(v: Value): readonly Value[] {
  if (Array.isArray(v)) return v;
  if (v === '') return EMPTY;
  return [v as Exclude<Value, readonly Value[]>];
}

/**
 * Reads a value as an index: an integer as itself (a negative one is past any length),
 * a float truncated toward zero (a negative float is 0), a string of digits as its number,
 * any other value as 0.
 */
export function toIndex(v: Value): number {
  if (typeof v === 'number') return v < 0 ? Infinity : v;
  if (v instanceof Float) {
    const x = v.value;
    return x !== x || x <= 0 ? 0 : Math.trunc(x);
  }
  if (typeof v === 'string') return /^[0-9]+$/.test(v) ? Number(v) : 0;
  return 0;
}

export function indexValue(target: Value, index: Value): Value {
  const i = toIndex(index);
  if (Array.isArray(target)) return i < target.length ? target[i]! : '';
  if (i === 0 && target !== '') return target;
  return '';
}
