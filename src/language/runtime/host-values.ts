/**
 * The boundary with the host (SPEC §4.1): host values in, plain JavaScript values out, and
 * the canonical JSON form used by the CLI, the API and the conformance vectors.
 */
import { Constant, constant, EMPTY, Float, floatToString, INT_MAX, INT_MIN, saturate, type Value } from './values.js';

const MAX_HOST_DEPTH = 32;
const hasOwn = Object.prototype.hasOwnProperty;

/** Converts a value supplied by the host into a language value. Never throws. */
export function fromHost(x: unknown): Value {
  switch (typeof x) {
    case 'string':
      return x;
    case 'number':
      return Number.isInteger(x) ? saturate(x) : new Float(x);
    case 'boolean':
      return x ? 1 : 0;
    case 'bigint':
      return saturate(Number(x));
    case 'object':
      if (x === null) return '';
      if (Array.isArray(x)) return hostArray(x, 0);
      if (x instanceof Constant || x instanceof Float) return x;
      return '';
    default:
      return '';
  }
}

function hostArray(items: readonly unknown[], depth: number): readonly Value[] {
  if (depth >= MAX_HOST_DEPTH) return EMPTY;
  // Arrays of strings and integers (the usual case) are used as they are.
  let clean = true;
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (typeof item === 'string') continue;
    if (typeof item === 'number' && Number.isInteger(item) && item <= INT_MAX && item >= INT_MIN && !Object.is(item, -0)) continue;
    clean = false;
    break;
  }
  if (clean && hasOwn.call(items, 'length')) return items as readonly Value[];
  const out: Value[] = new Array(items.length);
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    out[i] = Array.isArray(item) ? hostArray(item, depth + 1) : fromHost(item);
  }
  return out;
}

/** A plain JavaScript view of a value: floats unboxed, constants kept as `Constant`. Arrays may be frozen: copy before changing one. */
export type HostValue = string | number | Constant | readonly HostValue[];

function hasFloat(items: readonly Value[]): boolean {
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (item instanceof Float || (Array.isArray(item) && hasFloat(item))) return true;
  }
  return false;
}

/** The value for the host. Arrays are passed as they are (literal ones are frozen) unless a float must be unboxed. */
export function toHost(v: Value): HostValue {
  if (typeof v === 'string' || typeof v === 'number') return v;
  if (v instanceof Float) return v.value;
  if (v instanceof Constant) return v;
  return hasFloat(v) ? v.map(toHost) : (v as readonly HostValue[]);
}

/** Canonical JSON form (conformance format): constants as {"constant": name}; unset as null. */
export type JsonValue = string | number | null | { constant: string } | JsonValue[];

export function toJsonValue(v: Value | undefined): JsonValue {
  if (v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return v === 0 ? 0 : v;
  if (v instanceof Float) {
    const x = v.value;
    return Number.isFinite(x) ? (x === 0 ? 0 : x) : floatToString(x);
  }
  if (v instanceof Constant) return { constant: v.name };
  return v.map((item) => toJsonValue(item));
}

/** Reads back a canonical JSON value (the inverse of `toJsonValue`, for tests and the CLI). */
export function fromJsonValue(j: unknown): Value {
  if (j !== null && typeof j === 'object' && !Array.isArray(j)) {
    const name = (j as { constant?: unknown }).constant;
    if (typeof name === 'string') return constant(name);
    return '';
  }
  return fromHost(j);
}
