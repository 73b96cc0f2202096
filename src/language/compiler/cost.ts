/**
 * The evaluation cost, in units of about 100 ns (limits.maxCost): what each operation, call
 * and value built costs, and a program's worst case, estimated from its trees at compile
 * time. Both read the rules below, so the estimate bounds what the meter (metered.ts)
 * counts for any variables:
 *
 * - every node evaluated (an operation, a call, a value read) costs 1;
 * - a string built costs 1 per 32 characters, a list built 1 per 2 items, a sort
 *   n·log2(n)/2 more, a capture read 1 per 32 characters;
 * - a match costs 1 per 4 steps, a step being one character of the value times one
 *   instruction of the compiled regular expression;
 * - a function that spends more than a few nanoseconds per character it reads (`hash`,
 *   `count_uppercase`, …: its row's `scans`) costs 1 per that many characters of its
 *   arguments.
 *
 * Other reads of the host's values cost 1 whatever their size (a comparison, `len`,
 * `contains` run at native speed): what is counted is what the program makes of them.
 * Sizes count up to the largest value an evaluation builds (runtime/sizes.ts), so the
 * estimate is finite and bounds what the meter counts; a program whose estimate is within
 * the limit needs no meter.
 */
import type { FunctionSpec } from '../functions/index.js';
import { BINARY_OPERATORS, type BinaryOperator } from '../operators.js';
import { MAX_LIST_LENGTH, MAX_STRING_LENGTH } from '../runtime/sizes.js';
import { Constant, truthy, type Value } from '../runtime/values.js';
import { childrenOf, reduceTree, type Node } from '../syntax/ast.js';
import { chainOperands } from './operands.js';

/** Characters of a string built per unit. */
export const TEXT_PER_UNIT = 32;
/** Items of a list built per unit. */
export const ITEMS_PER_UNIT = 2;
/** Steps of a match (characters × instructions) per unit. */
export const STEPS_PER_UNIT = 4;
/** Longest string form of a number or a literal constant in a sum (a float is at most 330 characters). */
const SCALAR_TEXT = 330;

export function textUnits(length: number): number {
  return Math.ceil(Math.min(length, MAX_STRING_LENGTH) / TEXT_PER_UNIT);
}

export function itemUnits(count: number): number {
  return Math.ceil(Math.min(count, MAX_LIST_LENGTH) / ITEMS_PER_UNIT);
}

export function sortUnits(count: number): number {
  const n = Math.min(count, MAX_LIST_LENGTH);
  return itemUnits(n) + Math.ceil((n * Math.ceil(Math.log2(n + 1))) / ITEMS_PER_UNIT);
}

export function matchUnits(length: number, instructions: number): number {
  return Math.ceil((length * instructions) / STEPS_PER_UNIT);
}

/** What a function with `scans` costs for reading these arguments. */
export function scanUnits(args: readonly Value[], scans: number): number {
  let length = 0;
  for (const arg of args) {
    if (typeof arg === 'string') length += arg.length;
    else if (Array.isArray(arg)) for (const item of arg as readonly Value[]) length += typeof item === 'string' ? item.length + 2 : SCALAR_TEXT;
    else length += SCALAR_TEXT;
  }
  return Math.ceil(Math.min(length, MAX_STRING_LENGTH) / scans);
}

/** What a call of a function with this row builds, once its result is known. */
export function builtUnits(builds: FunctionSpec['builds'], result: Value): number {
  switch (builds) {
    case 'text':
      return typeof result === 'string' ? textUnits(result.length) : 0;
    case 'list':
      return Array.isArray(result) ? itemUnits(result.length) : 0;
    case 'mapped': {
      if (typeof result === 'string') return textUnits(result.length);
      if (!Array.isArray(result)) return 0;
      let text = 0;
      for (const item of result as readonly Value[]) if (typeof item === 'string') text += item.length;
      return itemUnits(result.length) + textUnits(text);
    }
    case 'sorted':
      return Array.isArray(result) ? sortUnits(result.length) : 0;
    default:
      return 0;
  }
}

// ---------------------------------------------------------------------------
// The estimate

/**
 * What the estimate knows of a value: the longest it can be as a string and as a list
 * (-1: never one; Infinity: any length, as the host's values).
 */
interface Shape {
  text: number;
  items: number;
}

const SCALAR: Shape = { text: -1, items: -1 };
const ANY: Shape = { text: Infinity, items: Infinity };
const union = (a: Shape, b: Shape): Shape => ({ text: Math.max(a.text, b.text), items: Math.max(a.items, b.items) });

function shapeOf(v: Value): Shape {
  if (typeof v === 'string') return { text: v.length, items: -1 };
  if (v instanceof Constant) return { text: v.name.length, items: -1 };
  if (Array.isArray(v)) return { text: -1, items: v.length };
  return SCALAR;
}

/** The longest string form a value of this shape has when it is added to a string, or matched. */
function textOf(shape: Shape): number {
  return shape.items >= 0 ? Infinity : Math.max(shape.text, SCALAR_TEXT);
}

interface Estimate {
  cost: number;
  shape: Shape;
}

export interface CostContext {
  functions: ReadonlyMap<string, FunctionSpec>;
  /** The longest value `matches` searches (so the longest capture). */
  maxMatchLength: number;
}

/** What the estimate of a node is made from: its operands (a sum's whole chain at once). */
function operandsOf(node: Node): readonly Node[] {
  return node.kind === 'binary' && node.op === '+' ? chainOperands(node) : childrenOf(node);
}

/** How deep `estimate` recurses before it walks the rest of a subtree with a stack of its own. */
const RECURSION = 128;

/**
 * The worst-case cost of evaluating a node once, and the shape of its value: operands first,
 * each node from its operands' estimates. A deep tree (as deep as limits.maxDepth) is walked
 * below RECURSION levels without recursion.
 */
export function estimate(root: Node, ctx: CostContext, depth = 0): Estimate {
  if (depth > RECURSION) return estimateDeep(root, ctx);
  const operands = operandsOf(root);
  const estimates = new Array<Estimate>(operands.length);
  for (let i = 0; i < operands.length; i++) estimates[i] = estimate(operands[i]!, ctx, depth + 1);
  return estimateNode(root, estimates, ctx);
}

function estimateDeep(root: Node, ctx: CostContext): Estimate {
  return reduceTree<Estimate>(root, (node, operands) => estimateNode(node, operands, ctx), operandsOf);
}

function sumOf(operands: readonly Estimate[]): number {
  let cost = 0;
  for (const o of operands) cost += o.cost;
  return cost;
}

/** The estimate of one node, from its operands'. */
function estimateNode(node: Node, operands: readonly Estimate[], ctx: CostContext): Estimate {
  let cost = sumOf(operands);
  switch (node.kind) {
    case 'literal':
      return { cost: 1, shape: shapeOf(node.value) };
    case 'constant':
      return { cost: 1, shape: { text: node.name.length, items: -1 } };
    case 'variable':
    case 'global':
    case 'system':
    case 'identifier':
      return { cost: 1, shape: ANY };
    case 'metric':
      return { cost: 1, shape: SCALAR };
    case 'capture':
      return { cost: 1 + textUnits(ctx.maxMatchLength), shape: { text: ctx.maxMatchLength, items: -1 } };
    case 'array':
      return { cost: cost + 1 + itemUnits(node.items.length), shape: { text: -1, items: node.items.length } };
    case 'index':
      return { cost: cost + 1, shape: ANY };
    case 'unary':
      return { cost: cost + 1, shape: SCALAR };
    case 'matches': {
      const length = Math.min(node.maxLength, textOf(operands[0]!.shape));
      return { cost: cost + 1 + matchUnits(length, node.instructions), shape: SCALAR };
    }
    case 'call': {
      const spec = ctx.functions.get(node.name);
      if (spec?.scans !== undefined) {
        let length = 0;
        for (const o of operands) length += textOf(o.shape);
        cost += Math.ceil(Math.min(length, MAX_STRING_LENGTH) / spec.scans);
      }
      switch (spec?.builds) {
        case 'text':
          return { cost: cost + 1 + textUnits(Infinity), shape: { text: MAX_STRING_LENGTH, items: -1 } };
        case 'list':
          return { cost: cost + 1 + itemUnits(Infinity), shape: ANY };
        case 'mapped':
          return { cost: cost + 1 + itemUnits(Infinity) + textUnits(Infinity), shape: ANY };
        case 'sorted':
          return { cost: cost + 1 + sortUnits(Infinity), shape: { text: -1, items: MAX_LIST_LENGTH } };
        default:
          return { cost: cost + 1, shape: spec?.boolean ? SCALAR : ANY };
      }
    }
    case 'binary':
      return node.op === '+' ? sum(operands) : binary(node.op, operands[0]!, operands[1]!);
  }
}

/** A sum is one chain: the string it builds is counted once, each list step in full. */
function sum(operands: readonly Estimate[]): Estimate {
  const steps = operands.length - 1;
  let cost = steps;
  let text = 0;
  let items = operands.length;
  let maybeText = false;
  let maybeList = false;
  let shape = SCALAR;
  for (const o of operands) {
    cost += o.cost;
    maybeText ||= o.shape.text >= 0;
    maybeList ||= o.shape.items >= 0;
    text += textOf(o.shape);
    items += Math.max(0, o.shape.items);
    shape = union(shape, o.shape);
  }
  if (maybeText) cost += textUnits(text);
  if (maybeList) cost += steps * itemUnits(items);
  return {
    cost,
    shape: union(shape, { text: maybeText ? Math.min(text, MAX_STRING_LENGTH) : -1, items: maybeList ? Math.min(items, MAX_LIST_LENGTH) : -1 }),
  };
}

function binary(op: BinaryOperator, left: Estimate, right: Estimate): Estimate {
  const cost = 1 + left.cost + right.cost;
  if (op === '-' && (left.shape.items >= 0 || right.shape.items >= 0)) {
    const items = Math.max(left.shape.items, right.shape.items);
    return { cost: cost + itemUnits(items), shape: { text: -1, items } };
  }
  // `&&` and `||` may give their first operand itself.
  if (BINARY_OPERATORS[op].shortCircuit !== undefined) return { cost, shape: left.shape };
  return { cost, shape: SCALAR };
}

/** The worst case of one evaluation of a block: every condition up to one that is always true, then its `then` or the `else`. */
export function estimateBlock(conditions: ReadonlyArray<readonly [Node, Node]>, otherwise: Node | null, ctx: CostContext): number {
  let cost = 0;
  let branch = 0;
  for (const [when, then] of conditions) {
    cost += estimate(when, ctx).cost;
    branch = Math.max(branch, estimate(then, ctx).cost);
    if (when.kind === 'literal' && truthy(when.value)) return cost + branch;
  }
  return cost + Math.max(branch, otherwise === null ? 0 : estimate(otherwise, ctx).cost);
}
