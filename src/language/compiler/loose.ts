/**
 * The slow paths of the fused leaves (generated/variable-readers.ts and fast.ts): a host
 * value that is not the JS type a leaf compares directly is converted as a variable's
 * value is (booleans as 1/0, the rest by fromHost), then compared by the language's rules.
 * These run only off the fast path, so they may live in a module of their own.
 */
import { fromHost } from '../runtime/host-values.js';
import { compare, equals, truthy, type Value } from '../runtime/values.js';

/** A host value or a language value as the language value it stands for. */
export function loose(x: unknown): Value {
  return typeof x === 'boolean' ? (x ? 1 : 0) : fromHost(x);
}

/** `x == c` for a host value `x` and a literal `c`. */
export function looseEquals(x: unknown, c: number | string): boolean {
  return equals(loose(x), c);
}

/** The sign of `x` compared with a literal `c` (SPEC §5). */
export function looseCompare(x: unknown, c: number | string): number {
  return compare(loose(x), c);
}

/** The truthiness of a host value that is not a boolean, number or string. */
export function looseTruthy(x: unknown): boolean {
  return truthy(fromHost(x));
}
