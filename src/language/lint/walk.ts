/** Tree walks and small facts about nodes that several rules share. */
import type { Fix } from '../errors/diagnostic.js';
import type { Span } from '../errors/snippet.js';
import type { FunctionSpec } from '../functions/index.js';
import { BINARY_OPERATORS } from '../operators.js';
import { optimize } from '../optimizer/index.js';
import type { Value } from '../runtime/values.js';
import { childrenOf, type LiteralNode, type MatchNode, type Node } from '../syntax/ast.js';

const LEAVE = Symbol('leave');

/**
 * Visits every node in source order with its ancestors (nearest last), without recursion
 * (trees may be 2000 levels deep) and in time linear in the tree: `ancestors` is one array
 * that the walk keeps up to date, valid only during the call.
 */
export function walk(root: Node, visit: (node: Node, ancestors: readonly Node[]) => void): void {
  const ancestors: Node[] = [];
  const stack: Array<Node | typeof LEAVE> = [root];
  while (stack.length > 0) {
    const item = stack.pop()!;
    if (item === LEAVE) {
      ancestors.pop();
      continue;
    }
    visit(item, ancestors);
    const children = childrenOf(item);
    if (children.length === 0) continue;
    ancestors.push(item);
    stack.push(LEAVE);
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
  }
}

/** For every node of a tree, whether some node below it (or it) satisfies `test`; computed in one pass. */
export function somewhereBelow(root: Node, test: (node: Node) => boolean): (node: Node) => boolean {
  const found = new Set<Node>();
  const order: Node[] = [];
  walk(root, (n) => order.push(n));
  for (let i = order.length - 1; i >= 0; i--) {
    const n = order[i]!;
    if (test(n) || childrenOf(n).some((c) => found.has(c))) found.add(n);
  }
  return (node) => found.has(node);
}

/** The source text of a node. */
export const textOf = (source: string, node: { span: Span }): string => source.slice(node.span.start, node.span.end);

export const isString = (node: Node | undefined): node is LiteralNode & { value: string } => node?.kind === 'literal' && typeof node.value === 'string';

/** The value of a constant subtree (folded as the optimiser folds it), or undefined. */
export function constantValue(node: Node, functions: ReadonlyMap<string, FunctionSpec>): Value | undefined {
  if (node.kind === 'literal') return node.value;
  if (node.kind === 'constant') return undefined;
  const folded = optimize(node, functions);
  return folded.kind === 'literal' ? folded.value : undefined;
}

/** Reads no host value that can change during an evaluation, and changes nothing (no lookup, capture or metric). */
export function isSteady(node: Node, functions: ReadonlyMap<string, FunctionSpec>): boolean {
  let steady = true;
  walk(node, (n) => {
    if (n.kind === 'capture' || n.kind === 'metric' || (n.kind === 'call' && functions.get(n.name)?.pure !== true)) steady = false;
  });
  return steady;
}

/** A structural key of a tree (spans left out): equal keys, equal trees. */
export function keyOf(node: Node): string {
  return JSON.stringify(strip(node));
}

function strip(node: Node): unknown {
  switch (node.kind) {
    case 'literal':
      return ['l', typeof node.value === 'object' ? JSON.stringify(node.value) : node.value, typeof node.value];
    case 'matches':
      return ['m', node.pattern, strip(node.value)];
    case 'binary':
      return ['b', node.op, strip(node.left), strip(node.right)];
    case 'unary':
      return ['u', node.op, strip(node.operand)];
    case 'call':
      return ['c', node.name, node.args.map(strip)];
    case 'array':
      return ['a', node.items.map(strip)];
    case 'index':
      return ['i', strip(node.target), strip(node.index)];
    case 'capture':
      return ['$', node.index];
    default:
      return [node.kind, node.name];
  }
}

/**
 * The replacement text for `node` so that it parses the same where it stands: wrapped in
 * parentheses when the replacement's loosest operator (`precedence`, 1 = `||`) binds
 * looser than the place needs.
 */
export function fitted(text: string, precedence: number, ancestors: readonly Node[], node: Node, source: string): string {
  const parent = ancestors[ancestors.length - 1];
  if (parent === undefined) return text;
  if (source[node.span.start] === '(') return text;
  if (parent.kind === 'call' || parent.kind === 'array' || parent.kind === 'matches') return text;
  if (parent.kind === 'index' && parent.index === node) return text;
  if (parent.kind === 'binary') {
    const p = BINARY_OPERATORS[parent.op].precedence;
    // `||` and `&&` give the same result grouped either way; other operators only on the left.
    if (p < precedence || (p === precedence && (parent.left === node || parent.op === '||' || parent.op === '&&'))) return text;
  }
  return `(${text})`;
}

export const fix = (span: Span, replacement: string, description = 'write'): Fix => ({ replacement, span: { start: span.start, end: span.end }, description });

/** The span of the pattern literal of a `matches` node (the first argument as written). */
export function patternSpan(node: MatchNode, source: string): Span {
  const open = source.indexOf('(', node.span.start);
  let i = open + 1;
  while (i < source.length && source[i] !== "'" && source[i] !== '"') i++;
  const quote = source[i];
  let j = i + 1;
  while (j < source.length && source[j] !== quote) j += source[j] === '\\' ? 2 : 1;
  return { start: i, end: j + 1 };
}
