/**
 * The operator table (SPEC §3, §7): one row per operator with every fact about it — its
 * spellings, precedence level, associativity, evaluation, and whether it yields 1 or 0.
 * The lexer makes its tokens from the spellings, the parser its precedence levels from the
 * levels, the printer reads the precedence, the constant folder and the compiler the
 * evaluation and the flags.
 */
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
} from './runtime/values.js';
import { builtList, builtString, checkListLength } from './runtime/sizes.js';

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

/** `+` (§7.1): the rows of the table are tried top to bottom. */
export function add(a: Value, b: Value): Value {
  if (typeof a === 'number' && typeof b === 'number') return addInts(a, b);
  const an = typeof a === 'number' || a instanceof Float;
  const bn = typeof b === 'number' || b instanceof Float;
  if (an && bn) return arith(a, b, '+');
  const aa = Array.isArray(a);
  const ba = Array.isArray(b);
  if (aa || ba) {
    // Arrays are copied: the size is refused before the copy is made.
    checkListLength((aa ? (a as readonly Value[]).length : 1) + (ba ? (b as readonly Value[]).length : 1));
    if (aa && ba) return [...(a as readonly Value[]), ...(b as readonly Value[])];
    if (aa) return [...(a as readonly Value[]), b];
    return [a, ...(b as readonly Value[])];
  }
  if (typeof a === 'string') return a.length !== 0 ? builtString(a + toStr(b)) : b;
  if (typeof b === 'string') return b.length !== 0 ? builtString(toStr(a) + b) : a;
  // What is left pairs a constant with a number or a constant: the other side wins.
  return b instanceof Constant ? a : b;
}

function subtract(a: Value, b: Value): Value {
  if (typeof a === 'number' && typeof b === 'number') return saturate(a - b);
  if (Array.isArray(a)) return builtList((a as readonly Value[]).filter((item) => !equals(item, b)));
  if (Array.isArray(b)) return builtList((b as readonly Value[]).filter((item) => !equals(item, a)));
  return arith(toNum(a), toNum(b), '-');
}

function multiply(a: Value, b: Value): Value {
  if (typeof a === 'number' && typeof b === 'number') return saturate(a * b);
  return arith(toNum(a), toNum(b), '*');
}

function divide(a: Value, b: Value): Value {
  const y = numValue(toNum(b));
  return new Float(y === 0 ? 0 : numValue(toNum(a)) / y);
}

function negate(a: Value): Value {
  if (typeof a === 'number') return saturate(-a);
  const n = toNum(a);
  return typeof n === 'number' ? saturate(-n) : new Float(-n.value);
}

/** The grammar's precedence levels, loosest first (grammar/expression.ebnf). */
export const LEVELS = ['or', 'and', 'xor', 'equality', 'relation', 'additive', 'term'] as const;
export type Level = (typeof LEVELS)[number];

export interface BinaryOperatorSpec {
  /** Every spelling the lexer accepts; the first is the canonical one (the printer's). */
  spellings: readonly string[];
  level: Level;
  /** 1 binds loosest; derived from the level. */
  precedence: number;
  associativity: 'left';
  /**
   * Whether the value is always 1 or 0. `&&` and `||` give their first operand itself when
   * it decides, so they yield 1 or 0 only when that operand does ('first-operand').
   */
  boolean: boolean | 'first-operand';
  /** `&&`/`||`: the right operand is evaluated only when the left one does not decide. */
  shortCircuit?: 'and' | 'or';
  /** Comparisons: `a OP b` is `b MIRROR a`. */
  mirror?: BinaryOperator;
  /** The value once both operands are known (for `&&`/`||`: after the short circuit). */
  evaluate(a: Value, b: Value): Value;
}

/** The canonical spelling of each binary operator: the table's keys. */
export type BinaryOperator = '||' | '&&' | '^' | '==' | '!=' | '<' | '<=' | '>' | '>=' | '+' | '-' | '*' | '/';

const row = (spellings: string[], level: Level, fields: Omit<BinaryOperatorSpec, 'spellings' | 'level' | 'precedence' | 'associativity'>): BinaryOperatorSpec => ({
  spellings,
  level,
  precedence: LEVELS.indexOf(level) + 1,
  associativity: 'left',
  ...fields,
});

export const BINARY_OPERATORS: Readonly<Record<BinaryOperator, BinaryOperatorSpec>> = {
  '||': row(['||', '|'], 'or', { boolean: 'first-operand', shortCircuit: 'or', evaluate: (a, b) => (truthy(a) ? a : truthy(b) ? 1 : 0) }),
  '&&': row(['&&', '&'], 'and', { boolean: 'first-operand', shortCircuit: 'and', evaluate: (a, b) => (truthy(a) ? (truthy(b) ? 1 : 0) : a) }),
  '^': row(['^'], 'xor', { boolean: true, evaluate: (a, b) => (truthy(a) !== truthy(b) ? 1 : 0) }),
  '==': row(['==', '='], 'equality', { boolean: true, mirror: '==', evaluate: (a, b) => (equals(a, b) ? 1 : 0) }),
  '!=': row(['!='], 'equality', { boolean: true, mirror: '!=', evaluate: (a, b) => (equals(a, b) ? 0 : 1) }),
  '<': row(['<'], 'relation', { boolean: true, mirror: '>', evaluate: (a, b) => (compare(a, b) < 0 ? 1 : 0) }),
  '<=': row(['<=', '=<'], 'relation', { boolean: true, mirror: '>=', evaluate: (a, b) => (compare(a, b) <= 0 ? 1 : 0) }),
  '>': row(['>'], 'relation', { boolean: true, mirror: '<', evaluate: (a, b) => (compare(a, b) > 0 ? 1 : 0) }),
  '>=': row(['>=', '=>'], 'relation', { boolean: true, mirror: '<=', evaluate: (a, b) => (compare(a, b) >= 0 ? 1 : 0) }),
  '+': row(['+'], 'additive', { boolean: false, evaluate: add }),
  '-': row(['-'], 'additive', { boolean: false, evaluate: subtract }),
  '*': row(['*'], 'term', { boolean: false, evaluate: multiply }),
  '/': row(['/'], 'term', { boolean: false, evaluate: divide }),
};

export interface UnaryOperatorSpec {
  spellings: readonly string[];
  /** Binds tighter than every binary operator, looser than indexing. */
  precedence: number;
  boolean: boolean;
  evaluate(a: Value): Value;
}

export type UnaryOperator = '!' | '-';

export const UNARY_OPERATORS: Readonly<Record<UnaryOperator, UnaryOperatorSpec>> = {
  '!': { spellings: ['!'], precedence: LEVELS.length + 1, boolean: true, evaluate: (a: Value) => (truthy(a) ? 0 : 1) },
  '-': { spellings: ['-'], precedence: LEVELS.length + 1, boolean: false, evaluate: negate },
};

/** Indexing `x[i]` binds tightest. */
export const POSTFIX_PRECEDENCE = LEVELS.length + 2;

/** The binary operator of a spelling (`|` → `||`, `=<` → `<=`). */
export const BINARY_SPELLINGS: ReadonlyMap<string, BinaryOperator> = new Map(
  (Object.keys(BINARY_OPERATORS) as BinaryOperator[]).flatMap((op) => BINARY_OPERATORS[op].spellings.map((s) => [s, op] as const)),
);
export const UNARY_SPELLINGS: ReadonlyMap<string, UnaryOperator> = new Map(
  (Object.keys(UNARY_OPERATORS) as UnaryOperator[]).flatMap((op) => UNARY_OPERATORS[op].spellings.map((s) => [s, op] as const)),
);
