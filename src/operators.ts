/**
 * Operators (SPEC §7): one table row per operator with its evaluation. The compiler
 * specialises the common operand kinds; these functions are the complete semantics.
 */
import type { BinaryOperator, UnaryOperator } from './ast.js';
import {
  compare,
  Constant,
  equals,
  Float,
  INT_MAX,
  INT_MIN,
  numValue,
  saturate,
  toNum,
  toStr,
  truthy,
  type Value,
} from './values.js';

function addInts(a: number, b: number): number {
  const r = a + b;
  return r <= INT_MAX && r >= INT_MIN ? r : saturate(r);
}

/** Arithmetic on two numbers (integers stay integers, saturating; a float makes a float). */
function arith(a: number | Float, b: number | Float, op: '+' | '-' | '*'): number | Float {
  if (typeof a === 'number' && typeof b === 'number') {
    return saturate(op === '+' ? a + b : op === '-' ? a - b : a * b);
  }
  const x = numValue(a);
  const y = numValue(b);
  return new Float(op === '+' ? x + y : op === '-' ? x - y : x * y);
}

export function add(a: Value, b: Value): Value {
  if (typeof a === 'number' && typeof b === 'number') return addInts(a, b);
  const an = typeof a === 'number' || a instanceof Float;
  const bn = typeof b === 'number' || b instanceof Float;
  if (an && bn) return arith(a, b, '+');
  const aa = Array.isArray(a);
  const ba = Array.isArray(b);
  if (aa && ba) return [...(a as readonly Value[]), ...(b as readonly Value[])];
  if (aa) return [...(a as readonly Value[]), b];
  if (ba) return [a, ...(b as readonly Value[])];
  if (typeof a === 'string') return a.length !== 0 ? a + toStr(b) : b;
  if (typeof b === 'string') return b.length !== 0 ? toStr(a) + b : a;
  // What is left pairs a constant with a number or a constant: the other side wins.
  return b instanceof Constant ? a : b;
}

export function subtract(a: Value, b: Value): Value {
  if (typeof a === 'number' && typeof b === 'number') return saturate(a - b);
  if (Array.isArray(a)) return (a as readonly Value[]).filter((item) => !equals(item, b));
  if (Array.isArray(b)) return (b as readonly Value[]).filter((item) => !equals(item, a));
  return arith(toNum(a), toNum(b), '-');
}

export function multiply(a: Value, b: Value): Value {
  if (typeof a === 'number' && typeof b === 'number') return saturate(a * b);
  return arith(toNum(a), toNum(b), '*');
}

export function divide(a: Value, b: Value): Value {
  const y = numValue(toNum(b));
  return new Float(y === 0 ? 0 : numValue(toNum(a)) / y);
}

export function negate(a: Value): Value {
  if (typeof a === 'number') return saturate(-a);
  const n = toNum(a);
  return typeof n === 'number' ? saturate(-n) : new Float(-n.value);
}

export function not(a: Value): Value {
  return truthy(a) ? 0 : 1;
}

export function xor(a: Value, b: Value): Value {
  return truthy(a) !== truthy(b) ? 1 : 0;
}

/** Binary operators other than the short-circuiting `&&` and `||`. */
export const BINARY: Readonly<Record<Exclude<BinaryOperator, '&&' | '||'>, (a: Value, b: Value) => Value>> = {
  '^': xor,
  '==': (a, b) => (equals(a, b) ? 1 : 0),
  '!=': (a, b) => (equals(a, b) ? 0 : 1),
  '<': (a, b) => (compare(a, b) < 0 ? 1 : 0),
  '<=': (a, b) => (compare(a, b) <= 0 ? 1 : 0),
  '>': (a, b) => (compare(a, b) > 0 ? 1 : 0),
  '>=': (a, b) => (compare(a, b) >= 0 ? 1 : 0),
  '+': add,
  '-': subtract,
  '*': multiply,
  '/': divide,
};

export const UNARY: Readonly<Record<UnaryOperator, (a: Value) => Value>> = {
  '!': not,
  '-': negate,
};

/** `a && b` once both are known (the compiler short-circuits before evaluating b). */
export function andValues(a: Value, b: Value): Value {
  return truthy(a) ? (truthy(b) ? 1 : 0) : a;
}

/** `a || b` once both are known. */
export function orValues(a: Value, b: Value): Value {
  return truthy(a) ? a : truthy(b) ? 1 : 0;
}
