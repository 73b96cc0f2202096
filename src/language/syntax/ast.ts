/**
 * The abstract syntax tree. Every node carries its source span (UTF-16 offsets into the
 * expression string, end exclusive). The parser produces the syntactic kinds; the checker
 * resolves identifiers and special forms into the resolved kinds.
 */
import type { RE2JS } from 're2js';
import type { Span } from '../errors/snippet.js';
import type { BinaryOperator, UnaryOperator } from '../operators.js';
import type { Value } from '../runtime/values.js';

export type { BinaryOperator, Span, UnaryOperator };

/** Literal as written: the kind of literal and its value. */
export interface LiteralNode {
  kind: 'literal';
  value: Value;
  span: Span;
}
export interface IdentifierNode {
  kind: 'identifier';
  name: string;
  span: Span;
}
export interface GlobalNode {
  kind: 'global';
  name: string;
  span: Span;
}
export interface CaptureNode {
  kind: 'capture';
  index: number;
  span: Span;
}
export interface ArrayNode {
  kind: 'array';
  items: Node[];
  span: Span;
}
export interface IndexNode {
  kind: 'index';
  target: Node;
  index: Node;
  span: Span;
}
export interface UnaryNode {
  kind: 'unary';
  op: UnaryOperator;
  operand: Node;
  span: Span;
}
export interface BinaryNode {
  kind: 'binary';
  op: BinaryOperator;
  left: Node;
  right: Node;
  span: Span;
}
export interface CallNode {
  kind: 'call';
  name: string;
  args: Node[];
  span: Span;
  /** Span of the function name alone. */
  nameSpan: Span;
}

// Resolved kinds (produced by the checker).
export interface VariableNode {
  kind: 'variable';
  name: string;
  span: Span;
}
export interface ConstantNode {
  kind: 'constant';
  name: string;
  span: Span;
}
export interface MatchNode {
  kind: 'matches';
  pattern: string;
  regex: RE2JS;
  /** The size of the compiled program, in RE2 instructions (what a match costs per character). */
  instructions: number;
  /** Longest value searched (limits.maxMatchLength): a longer one fails the evaluation. */
  maxLength: number;
  value: Node;
  span: Span;
}
export interface SystemNode {
  kind: 'system';
  name: string;
  span: Span;
}
export interface MetricNode {
  kind: 'metric';
  name: string;
  span: Span;
}

export type Node =
  | LiteralNode
  | IdentifierNode
  | GlobalNode
  | CaptureNode
  | ArrayNode
  | IndexNode
  | UnaryNode
  | BinaryNode
  | CallNode
  | VariableNode
  | ConstantNode
  | MatchNode
  | SystemNode
  | MetricNode;

/** The children of a node, in source order (for walks that must not recurse). */
export function childrenOf(node: Node): readonly Node[] {
  switch (node.kind) {
    case 'binary':
      return [node.left, node.right];
    case 'unary':
      return [node.operand];
    case 'index':
      return [node.target, node.index];
    case 'array':
      return node.items;
    case 'call':
      return node.args;
    case 'matches':
      return [node.value];
    default:
      return LEAF;
  }
}

const LEAF: readonly Node[] = Object.freeze([]);

/**
 * Reduces a tree from the bottom up without recursion (it may be as deep as
 * limits.maxDepth): `combine` gets each node with the results of its `children`, in order.
 */
export function reduceTree<T>(root: Node, combine: (node: Node, children: T[]) => T, children: (node: Node) => readonly Node[] = childrenOf): T {
  const order: Node[] = [];
  const todo: Node[] = [root];
  while (todo.length > 0) {
    const node = todo.pop()!;
    order.push(node);
    for (const child of children(node)) todo.push(child);
  }
  // `order` reversed lists every node after its children, left to right: their results are on the stack.
  const done: T[] = [];
  for (let i = order.length - 1; i >= 0; i--) {
    const node = order[i]!;
    const n = children(node).length;
    done.push(combine(node, done.splice(done.length - n, n)));
  }
  return done[0]!;
}

/** An AST without spans or compiled artefacts: for comparing trees. */
export function stripSpans(node: Node): unknown {
  switch (node.kind) {
    case 'literal':
      return { kind: node.kind, value: node.value };
    case 'identifier':
    case 'global':
    case 'variable':
    case 'constant':
    case 'system':
    case 'metric':
      return { kind: node.kind, name: node.name };
    case 'capture':
      return { kind: node.kind, index: node.index };
    case 'array':
      return { kind: node.kind, items: node.items.map(stripSpans) };
    case 'index':
      return { kind: node.kind, target: stripSpans(node.target), index: stripSpans(node.index) };
    case 'unary':
      return { kind: node.kind, op: node.op, operand: stripSpans(node.operand) };
    case 'binary':
      return { kind: node.kind, op: node.op, left: stripSpans(node.left), right: stripSpans(node.right) };
    case 'call':
      return { kind: node.kind, name: node.name, args: node.args.map(stripSpans) };
    case 'matches':
      return { kind: node.kind, pattern: node.pattern, value: stripSpans(node.value) };
  }
}
