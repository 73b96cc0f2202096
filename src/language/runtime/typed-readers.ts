/**
 * Typed readers (SPEC §11, §13): how a host reads a block's value as the type of its
 * field. A value that cannot be read as the type gives `undefined` (no value): the host
 * then uses its fallback.
 */
import type { HostValue } from './host-values.js';
import { Constant, durationMs, INT_MAX, INT_MIN } from './values.js';

type Input = HostValue | null | undefined;

/** Truthiness (§4.2); no value only when the block is unset. */
export function asBoolean(v: Input): boolean | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') return v.length !== 0;
  if (v instanceof Constant) return true;
  return v.length !== 0;
}

/** An integer: integers as themselves, floats truncated, integer text parsed. */
export function asInteger(v: Input): number | undefined {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return undefined;
    const n = Math.trunc(v);
    return n > INT_MAX ? INT_MAX : n < INT_MIN ? INT_MIN : n;
  }
  if (typeof v === 'string' && /^[+-]?[0-9]+$/.test(v)) {
    const n = Number(v);
    return n > INT_MAX || n < INT_MIN ? undefined : n;
  }
  return undefined;
}

/** A duration in milliseconds: a positive integer, or a duration text such as `5s`. */
export function asDuration(v: Input): number | undefined {
  if (typeof v === 'string') {
    const ms = durationMs(v.trim());
    if (ms !== undefined) return ms > 0 ? ms : undefined;
  }
  const n = asInteger(v);
  return n !== undefined && n > 0 ? n : undefined;
}

/** A string: only string values (`false` in a string field means "none"). */
export function asString(v: Input): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** A list: arrays as themselves, '' as the empty list, any other value as a one-element list. */
export function asList(v: Input): HostValue[] | undefined {
  if (v === null || v === undefined) return undefined;
  if (Array.isArray(v)) return v;
  return v === '' ? [] : [v];
}

/**
 * A list of constants of a group: an array of constants (or one constant); `false`, `''`
 * and `[]` are the empty list. Any element outside `allowed` makes it no value.
 */
export function asConstantList(v: Input, allowed?: ReadonlySet<string> | readonly string[]): string[] | undefined {
  if (v === null || v === undefined) return undefined;
  if (v === 0 || v === '') return [];
  const items = Array.isArray(v) ? v : [v];
  const ok = allowed === undefined ? undefined : allowed instanceof Set ? allowed : new Set(allowed as readonly string[]);
  const out: string[] = [];
  for (const item of items) {
    if (!(item instanceof Constant)) return undefined;
    if (ok && !ok.has(item.name)) return undefined;
    out.push(item.name);
  }
  return out;
}

/** A rate: `count` events per `period` milliseconds, both positive. */
export interface Rate {
  count: number;
  period: number;
}

/**
 * A rate, written `[count, period]` (`[1, 1d]`: once a day): an array of two positive
 * integers (integer text is accepted, as by `asInteger`). Anything else is no value; in
 * particular the text `'1/1d'` of older configuration files is not a rate.
 */
export function asRate(v: Input): Rate | undefined {
  if (!Array.isArray(v) || v.length !== 2) return undefined;
  const count = asInteger(v[0]);
  const period = asInteger(v[1]);
  return count !== undefined && period !== undefined && count > 0 && period > 0 ? { count, period } : undefined;
}

/**
 * The types a field's value is read as:
 * - `integer`: an integer;
 * - `duration`: milliseconds > 0 (an integer or a duration);
 * - `boolean`: truthiness;
 * - `string`: a string;
 * - `optionalString`: a string, or none (`null`) when the value is not a string (`false`);
 * - `list`: the value as a list;
 * - `constantList`: a list of the field's constants; `false`, `''` and `[]` are the empty list;
 * - `rate`: `[count, period]`, two positive integers (a period is a duration: `[1, 1d]`).
 */
export type ValueType = 'integer' | 'duration' | 'boolean' | 'string' | 'optionalString' | 'list' | 'constantList' | 'rate';

/** Every value type, for hosts that take one by name. */
export const VALUE_TYPES: readonly ValueType[] = ['integer', 'duration', 'boolean', 'string', 'optionalString', 'list', 'constantList', 'rate'];

/** The JavaScript value of each type. */
export interface TypedValue {
  integer: number;
  duration: number;
  boolean: boolean;
  string: string;
  optionalString: string | null;
  list: HostValue[];
  constantList: string[];
  rate: Rate;
}

/** Reads a value as a type; `undefined` is no value. `constants` limits a `constantList`. */
export function readAs<T extends ValueType>(type: T, v: Input, constants?: ReadonlySet<string> | readonly string[]): TypedValue[T] | undefined {
  switch (type) {
    case 'integer':
      return asInteger(v) as TypedValue[T] | undefined;
    case 'duration':
      return asDuration(v) as TypedValue[T] | undefined;
    case 'boolean':
      return asBoolean(v) as TypedValue[T] | undefined;
    case 'string':
      return asString(v) as TypedValue[T] | undefined;
    case 'optionalString':
      return (v === null || v === undefined ? undefined : (asString(v) ?? null)) as TypedValue[T] | undefined;
    case 'list':
      return asList(v) as TypedValue[T] | undefined;
    case 'rate':
      return asRate(v) as TypedValue[T] | undefined;
    default:
      return asConstantList(v, constants) as TypedValue[T] | undefined;
  }
}
