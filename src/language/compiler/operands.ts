/**
 * Operand helpers shared by the compilers: the closure types, how variables are read, and
 * the small facts about trees the compilers specialise on. (How the fast closures fetch
 * their operands inline is in fast.ts itself: helpers called from hot closures must live in
 * the closures' own module, where V8 inlines them; imported, E5 costs about 5 ns more.)
 */
import type { FunctionSpec } from '../functions/index.js';
import { BINARY_OPERATORS, UNARY_OPERATORS } from '../operators.js';
import type { State, VariablesObject } from '../runtime/state.js';
import { equals, type Value } from '../runtime/values.js';
import type { BinaryNode, Node } from '../syntax/ast.js';
import { EXTRA, FAST_LEAVES, FAST_READERS, type Leaves } from './generated/variable-readers.js';

/**
 * Every closure takes the variables object and the evaluation's state. A program that
 * reads no environment, no captures and counts no cost runs with one shared empty state,
 * so its evaluation allocates and resets nothing (program.ts).
 */
export type Closure = (v: VariablesObject, s: State) => Value;
export type Test = (v: VariablesObject, s: State) => boolean;
export type AsyncClosure = (v: VariablesObject, s: State) => Value | Promise<Value>;
export type Reader = (v: VariablesObject) => unknown;

const hasOwn = Object.prototype.hasOwnProperty;

/** Reads a variable from the variables object: own properties only (and a prepared object's extra ones). */
export function plainReader(name: string): Reader {
  return (v) => (hasOwn.call(v, name) ? v[name] : extraOf(v, name));
}

/** A variable the language does not know, from a prepared object (PreparedVariables). */
function extraOf(v: VariablesObject, name: string): unknown {
  const extra = (v as { [EXTRA]?: Readonly<Record<string, unknown>> | null })[EXTRA];
  return extra === undefined || extra === null ? undefined : extra[name];
}

// Looked up in Maps: `hasOwnProperty` on the frozen 92-entry objects costs several percent of a compile.
const READERS: ReadonlyMap<string, Reader> = new Map(Object.entries(FAST_READERS));
const LEAVES: ReadonlyMap<string, Leaves> = new Map(Object.entries(FAST_LEAVES));

/** The fixed-name reader of a known variable (a monomorphic property load), else the plain one. */
export function fastReader(name: string): Reader {
  return READERS.get(name) ?? plainReader(name);
}

/** The fused leaves of a known variable (generated/variable-readers.ts), if it is one. */
export function leavesOf(node: Node): Leaves | undefined {
  return node.kind === 'variable' ? LEAVES.get(node.name) : undefined;
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
