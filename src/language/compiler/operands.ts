/**
 * Operand helpers shared by the closures: how a consumer fetches an operand (a literal, a
 * variable's reader or a closure) without a call of its own, and the small facts about
 * trees the compilers specialise on.
 */
import type { FunctionSpec } from '../functions/index.js';
import { BINARY_OPERATORS, UNARY_OPERATORS, add } from '../operators.js';
import { fromHost } from '../runtime/host-values.js';
import type { State, VariablesObject } from '../runtime/state.js';
import { equals, INT_MAX, type Value } from '../runtime/values.js';
import type { BinaryNode, Node } from '../syntax/ast.js';
import { FAST_READERS } from './generated/variable-readers.js';

export type Closure = (s: State) => Value;
export type Test = (s: State) => boolean;
export type AsyncClosure = (s: State) => Value | Promise<Value>;
export type Reader = (v: VariablesObject) => unknown;

const hasOwn = Object.prototype.hasOwnProperty;

/** Reads a variable from the variables object: own properties only. */
export function plainReader(name: string): Reader {
  return (v) => (hasOwn.call(v, name) ? v[name] : undefined);
}

/** The fixed-name reader of a known variable (a monomorphic property load), else the plain one. */
export function fastReader(name: string): Reader {
  return hasOwn.call(FAST_READERS, name) ? FAST_READERS[name]! : plainReader(name);
}

/**
 * Where a consumer takes an operand from: a literal (kind 0), a variable's reader (1) or a
 * closure (2). Consumers keep the fields in their own closure and call `fetch`, small
 * enough to be inlined, so literals and variables cost no closure call.
 */
export interface Source {
  kind: 0 | 1 | 2;
  lit: Value;
  read: Reader;
  get: Closure;
}

export const NO_READER: Reader = () => undefined;
export const NO_CLOSURE: Closure = () => '';

export function fetch(s: State, kind: number, lit: Value, read: Reader, get: Closure): Value {
  return kind === 0 ? lit : kind === 1 ? fromHost(read(s.vars)) : get(s);
}

/** The operand as the host gave it when it is a variable (JS numbers and strings are compared directly). */
export function fetchLoose(s: State, kind: number, lit: Value, read: Reader, get: Closure): unknown {
  return kind === 0 ? lit : kind === 1 ? read(s.vars) : get(s);
}

/** Normalises a host value or a language value for the slow path of a fused comparison. */
export function loose(x: unknown): Value {
  return typeof x === 'boolean' ? (x ? 1 : 0) : fromHost(x);
}

/** One `+` of a sum: a non-empty string absorbs strings and integers directly (JS prints integers as the language does). */
export function sumStep(acc: Value, x: Value): Value {
  if (typeof acc === 'string' && acc.length !== 0 && (typeof x === 'string' || (typeof x === 'number' && x < INT_MAX))) return acc + x;
  return add(acc, x);
}

/** Operands of a left-deep chain of one operator: `a && b && c` → [a, b, c]. */
export function chainOperands(node: BinaryNode): Node[] {
  const out: Node[] = [node.right];
  let left: Node = node.left;
  while (left.kind === 'binary' && left.op === node.op) {
    out.push(left.right);
    left = left.left;
  }
  out.push(left);
  return out.reverse();
}

/** Nodes whose value is always 1 or 0: their value is their test. */
export function isBooleanValued(node: Node, functions?: ReadonlyMap<string, FunctionSpec>): boolean {
  switch (node.kind) {
    case 'call':
      return functions?.get(node.name)?.boolean === true;
    case 'unary':
      return UNARY_OPERATORS[node.op].boolean;
    case 'binary': {
      const b = BINARY_OPERATORS[node.op].boolean;
      return b === 'first-operand' ? isBooleanValued(chainOperands(node)[0]!, functions) : b;
    }
    case 'matches':
      return true;
    case 'literal':
      return node.value === 0 || node.value === 1;
    default:
      return false;
  }
}

/** Expressions that read state but change nothing, so evaluating them once or many times is the same. */
export function isPureKey(node: Node): boolean {
  switch (node.kind) {
    case 'variable':
    case 'global':
    case 'capture':
    case 'system':
      return true;
    case 'index':
      return isPureKey(node.target) && node.index.kind === 'literal';
    default:
      return false;
  }
}

/** Structural equality of two checked trees, ignoring spans. */
export function sameTree(a: Node, b: Node): boolean {
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case 'variable':
    case 'global':
    case 'system':
      return a.name === (b as typeof a).name;
    case 'capture':
      return a.index === (b as typeof a).index;
    case 'literal':
      return equals(a.value, (b as typeof a).value) && typeof a.value === typeof (b as typeof a).value;
    case 'index':
      return sameTree(a.target, (b as typeof a).target) && sameTree(a.index, (b as typeof a).index);
    default:
      return false;
  }
}
