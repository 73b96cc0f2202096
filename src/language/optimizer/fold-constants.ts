/**
 * Constant folding: a constant name becomes its value; an operator, index or pure function applied to literals becomes the
 * literal of its result; `&&`/`||` whose left side is a literal that decides the result
 * become that literal. One bottom-up pass reaches the fixed point. A subtree with nothing to
 * fold is returned as it is, not copied.
 */
import type { FunctionSpec } from '../functions/index.js';
import { BINARY_OPERATORS, UNARY_OPERATORS } from '../operators.js';
import { constant, indexValue, truthy, type Value } from '../runtime/values.js';
import { reduceTree, type IndexNode, type Node } from '../syntax/ast.js';

function freeze(v: Value): Value {
  if (Array.isArray(v) && !Object.isFrozen(v)) {
    for (const item of v as readonly Value[]) freeze(item);
    Object.freeze(v);
  }
  return v;
}

/** How deep `foldConstants` recurses before it walks the rest of a subtree with a stack of its own. */
const RECURSION = 256;

/**
 * Folds a tree, children first, each node rebuilt from its folded children. A left-deep
 * chain (`a + b - c …`, `x[0][1]…`) is folded in a loop, from the bottom up; anything deeper
 * than RECURSION levels otherwise is walked without recursion.
 */
export function foldConstants(root: Node, functions: ReadonlyMap<string, FunctionSpec>, depth = 0): Node {
  if (depth > RECURSION) return foldDeep(root, functions);
  const d = depth + 1;
  switch (root.kind) {
    case 'binary':
    case 'index': {
      const spine: Node[] = [root];
      let bottom = root.kind === 'binary' ? root.left : root.target;
      while (bottom.kind === 'binary' || bottom.kind === 'index') {
        spine.push(bottom);
        bottom = bottom.kind === 'binary' ? bottom.left : bottom.target;
      }
      let folded = foldConstants(bottom, functions, d);
      for (let i = spine.length - 1; i >= 0; i--) {
        const node = spine[i]!;
        const other = foldConstants(node.kind === 'binary' ? node.right : (node as IndexNode).index, functions, d);
        folded = foldNode(node, [folded, other], functions);
      }
      return folded;
    }
    case 'unary':
      return foldNode(root, [foldConstants(root.operand, functions, d)], functions);
    case 'matches':
      return foldNode(root, [foldConstants(root.value, functions, d)], functions);
    case 'array':
      return foldNode(root, root.items.map((item) => foldConstants(item, functions, d)), functions);
    case 'call':
      return foldNode(root, root.args.map((arg) => foldConstants(arg, functions, d)), functions);
    default:
      return foldNode(root, NO_CHILDREN, functions);
  }
}

const NO_CHILDREN: Node[] = [];

function foldDeep(root: Node, functions: ReadonlyMap<string, FunctionSpec>): Node {
  return reduceTree<Node>(root, (node, children) => foldNode(node, children, functions));
}

/** The literal a node folds to. */
function literalAt(node: Node, value: Value): Node {
  return { kind: 'literal', value: freeze(value), span: node.span };
}

/** One node, its children folded already. */
function foldNode(node: Node, children: Node[], functions: ReadonlyMap<string, FunctionSpec>): Node {
  switch (node.kind) {
    case 'constant':
      return literalAt(node, constant(node.name));
    case 'array': {
      const items = children;
      if (items.every((i) => i.kind === 'literal')) return literalAt(node, items.map((i) => (i as { value: Value }).value));
      return sameNodes(items, node.items) ? node : { ...node, items };
    }
    case 'unary': {
      const operand = children[0]!;
      if (operand.kind === 'literal') return literalAt(node, UNARY_OPERATORS[node.op].evaluate(operand.value));
      return operand === node.operand ? node : { ...node, operand };
    }
    case 'binary': {
      const [left, right] = children as [Node, Node];
      const spec = BINARY_OPERATORS[node.op];
      if (spec.shortCircuit !== undefined) {
        if (left.kind === 'literal') {
          const decides = spec.shortCircuit === 'and' ? !truthy(left.value) : truthy(left.value);
          if (decides) return literalAt(node, left.value);
          if (right.kind === 'literal') return literalAt(node, truthy(right.value) ? 1 : 0);
        }
        return rebuilt(node, left, right);
      }
      if (left.kind === 'literal' && right.kind === 'literal') {
        const value = evaluated(() => spec.evaluate(left.value, right.value));
        if (value !== undefined) return literalAt(node, value);
      }
      return rebuilt(node, left, right);
    }
    case 'index': {
      const [target, index] = children as [Node, Node];
      if (target.kind === 'literal' && index.kind === 'literal') return literalAt(node, indexValue(target.value, index.value));
      return target === node.target && index === node.index ? node : { ...node, target, index };
    }
    case 'call': {
      const args = children;
      const spec = functions.get(node.name);
      if (spec?.pure && spec.fn && args.every((a) => a.kind === 'literal')) {
        const value = evaluated(() => spec.fn!(...args.map((a) => (a as { value: Value }).value)));
        if (value !== undefined) return literalAt(node, value);
      }
      return sameNodes(args, node.args) ? node : { ...node, args };
    }
    case 'matches':
      return children[0] === node.value ? node : { ...node, value: children[0]! };
    default:
      return node;
  }
}

/** A binary node with its folded operands: the node itself when folding changed neither (nothing is copied). */
function rebuilt(node: Node & { kind: 'binary' }, left: Node, right: Node): Node {
  return left === node.left && right === node.right ? node : { ...node, left, right };
}

function sameNodes(a: readonly Node[], b: readonly Node[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The value of an operation on literals, or undefined when it fails: a host function that
 * throws, or a value past the runtime's sizes, is left to fail at evaluation time, as it
 * would without folding.
 */
function evaluated(f: () => Value): Value | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}
