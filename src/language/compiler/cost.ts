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
 *   arguments; one that indexes its lists (`dedup`, `is_intersect`) 1 per item, 17 per item
 *   that is itself a list.
 *
 * Other reads of the host's values cost 1 whatever their size (a comparison, `len`,
 * `contains` run at native speed): what is counted is what the program makes of them.
 * Sizes count up to the largest value an evaluation builds (runtime/sizes.ts), so the
 * estimate is finite and bounds what the meter counts; a program whose estimate is within
 * the limit needs no meter.
 */
import type { FunctionSpec } from '../functions/index.js';
import { MAX_LIST_LENGTH, MAX_STRING_LENGTH } from '../runtime/sizes.js';
import { Constant, truthy, type Value } from '../runtime/values.js';
import { childrenOf, type Node } from '../syntax/ast.js';
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

/** Units per item an index (`dedup`, `is_intersect`) is made of; a list in a list counts INDEX_LIST more. */
const INDEX_ITEM = 1;
const INDEX_LIST = 16;
/** The most an index of one argument counts: MAX_LIST_LENGTH lists, each counting INDEX_LIST + 1. */
const MAX_INDEX = MAX_LIST_LENGTH * (INDEX_LIST + INDEX_ITEM);

/** An index of a list's items: each item counts, a list in it INDEX_LIST more (whatever it holds: the host's lists count at most their size). */
function indexed(list: readonly Value[]): number {
  let n = 0;
  for (let i = 0; i < list.length && n < MAX_INDEX; i++) n += Array.isArray(list[i]) ? INDEX_LIST + INDEX_ITEM : INDEX_ITEM;
  return Math.min(n, MAX_INDEX);
}

/** What indexing these arguments costs (a function whose row `indexes`). */
export function indexUnits(args: readonly Value[]): number {
  let units = 0;
  for (const arg of args) units += Array.isArray(arg) ? indexed(arg) : INDEX_ITEM;
  return units;
}

/** What a call of a function with this row builds, once its result is known. */
export function builtUnits(builds: FunctionSpec['builds'], result: Value): number {
  switch (builds) {
    case 'text':
      return typeof result === 'string' ? textUnits(result.length) : 0;
    case 'list':
    case 'strings':
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
 * (-1: never one; Infinity: any length, as the host's values), and whether a list of it may
 * hold lists.
 */
interface Shape {
  text: number;
  items: number;
  nested: boolean;
}

const SCALAR: Shape = { text: -1, items: -1, nested: false };
const ANY: Shape = { text: Infinity, items: Infinity, nested: true };
const TEXT: Shape = { text: MAX_STRING_LENGTH, items: -1, nested: false };
/** A list of strings (or the empty string). */
const STRINGS: Shape = { text: 0, items: MAX_LIST_LENGTH, nested: false };
const union = (a: Shape, b: Shape): Shape => ({ text: Math.max(a.text, b.text), items: Math.max(a.items, b.items), nested: a.nested || b.nested });

function shapeOf(v: Value): Shape {
  if (typeof v === 'number') return SCALAR;
  if (typeof v === 'string') return { text: v.length, items: -1, nested: false };
  if (v instanceof Constant) return { text: v.name.length, items: -1, nested: false };
  if (Array.isArray(v)) return { text: -1, items: v.length, nested: v.some((item) => Array.isArray(item)) };
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

/**
 * Pushes what the estimate of a node is made from, its operands (a sum's whole chain at
 * once), and returns how many.
 */
function pushOperands(node: Node, to: Node[]): number {
  const operands = node.kind === 'binary' && node.op === '+' ? chainOperands(node) : childrenOf(node);
  for (const operand of operands) to.push(operand);
  return operands.length;
}

/**
 * The worst-case cost of evaluating a node once, and the shape of its value. The tree is
 * walked without recursion (it may be as deep as limits.maxDepth): every node after its
 * operands, whose shapes are on a stack.
 */
export function estimate(root: Node, ctx: CostContext): Estimate {
  const order: Node[] = [];
  const counts: number[] = [];
  const todo: Node[] = [root];
  while (todo.length > 0) {
    const node = todo.pop()!;
    order.push(node);
    counts.push(pushOperands(node, todo));
  }
  const shapes: Shape[] = [];
  let top = 0;
  let cost = 0;
  for (let i = order.length - 1; i >= 0; i--) {
    const first = top - counts[i]!;
    cost += own(order[i]!, shapes, first, top, ctx);
    top = first + 1;
  }
  return { cost, shape: shapes[0]! };
}

/**
 * What a node costs itself, from its operands' shapes (`shapes[first]` to `shapes[top - 1]`),
 * which it replaces on the stack with its own (at `first`).
 */
function own(node: Node, shapes: Shape[], first: number, top: number, ctx: CostContext): number {
  let cost = 1;
  let shape: Shape = SCALAR;
  switch (node.kind) {
    case 'literal':
      shape = shapeOf(node.value);
      break;
    case 'constant':
      shape = { text: node.name.length, items: -1, nested: false };
      break;
    case 'variable':
    case 'global':
    case 'system':
    case 'identifier':
    case 'index':
      shape = ANY;
      break;
    case 'capture':
      cost += textUnits(ctx.maxMatchLength);
      shape = { text: ctx.maxMatchLength, items: -1, nested: false };
      break;
    case 'array': {
      cost += itemUnits(node.items.length);
      let nested = false;
      for (let i = first; i < top; i++) nested ||= shapes[i]!.items >= 0;
      shape = { text: -1, items: node.items.length, nested };
      break;
    }
    case 'matches':
      cost += matchUnits(Math.min(node.maxLength, textOf(shapes[first]!)), node.instructions);
      break;
    case 'call': {
      const spec = ctx.functions.get(node.name);
      if (spec?.scans !== undefined) {
        let length = 0;
        for (let i = first; i < top; i++) length += textOf(shapes[i]!);
        cost += Math.ceil(Math.min(length, MAX_STRING_LENGTH) / spec.scans);
      }
      if (spec?.indexes) {
        for (let i = first; i < top; i++) {
          const o = shapes[i]!;
          cost += o.items < 0 ? INDEX_ITEM : Math.min(MAX_INDEX, Math.min(o.items, MAX_LIST_LENGTH) * (o.nested ? INDEX_LIST + INDEX_ITEM : INDEX_ITEM)) + INDEX_ITEM;
        }
      }
      switch (spec?.builds) {
        case 'text':
          cost += textUnits(Infinity);
          shape = TEXT;
          break;
        case 'list':
          cost += itemUnits(Infinity);
          shape = ANY;
          break;
        case 'strings':
          cost += itemUnits(Infinity);
          shape = STRINGS;
          break;
        case 'mapped':
          cost += itemUnits(Infinity) + textUnits(Infinity);
          shape = ANY;
          break;
        case 'sorted':
          cost += sortUnits(Infinity);
          shape = { text: -1, items: MAX_LIST_LENGTH, nested: shapes[first]!.nested };
          break;
        default:
          shape = spec?.boolean ? SCALAR : ANY;
      }
      break;
    }
    case 'binary':
      if (node.op === '+') {
        // A sum is one chain: the string it builds is counted once, each list step in full.
        const steps = top - first - 1;
        let text = 0;
        let items = steps + 1;
        let maybeText = false;
        let maybeList = false;
        for (let i = first; i < top; i++) {
          const o = shapes[i]!;
          maybeText ||= o.text >= 0;
          maybeList ||= o.items >= 0;
          text += textOf(o);
          items += Math.max(0, o.items);
          shape = union(shape, o);
        }
        cost = steps + (maybeText ? textUnits(text) : 0) + (maybeList ? steps * itemUnits(items) : 0);
        if (maybeText || maybeList) {
          shape = union(shape, { text: maybeText ? Math.min(text, MAX_STRING_LENGTH) : -1, items: maybeList ? Math.min(items, MAX_LIST_LENGTH) : -1, nested: false });
        }
      } else {
        const left = shapes[first]!;
        const right = shapes[first + 1]!;
        if (node.op === '-' && (left.items >= 0 || right.items >= 0)) {
          const items = Math.max(left.items, right.items);
          cost += itemUnits(items);
          shape = { text: -1, items, nested: left.nested || right.nested };
        } else if (node.op === '&&' || node.op === '||') {
          // `&&` and `||` may give their first operand itself.
          shape = left;
        }
      }
      break;
    default:
      break;
  }
  shapes[first] = shape;
  return cost;
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
