/**
 * Constant folding: a constant name becomes its value; an operator, index or pure function applied to literals becomes the
 * literal of its result; `&&`/`||` whose left side is a literal that decides the result
 * become that literal. One bottom-up pass reaches the fixed point.
 */
import type { FunctionSpec } from '../functions/index.js';
import { BINARY_OPERATORS, UNARY_OPERATORS } from '../operators.js';
import { constant, indexValue, truthy, type Value } from '../runtime/values.js';
import type { Node } from '../syntax/ast.js';

function freeze(v: Value): Value {
  if (Array.isArray(v) && !Object.isFrozen(v)) {
    for (const item of v as readonly Value[]) freeze(item);
    Object.freeze(v);
  }
  return v;
}

export function foldConstants(node: Node, functions: ReadonlyMap<string, FunctionSpec>): Node {
  const fold = (n: Node): Node => foldConstants(n, functions);
  const literal = (value: Value): Node => ({ kind: 'literal', value: freeze(value), span: node.span });
  switch (node.kind) {
    case 'constant':
      return literal(constant(node.name));
    case 'array': {
      const items = node.items.map(fold);
      if (items.every((i) => i.kind === 'literal')) return literal(items.map((i) => (i as { value: Value }).value));
      return { ...node, items };
    }
    case 'unary': {
      const operand = fold(node.operand);
      if (operand.kind === 'literal') return literal(UNARY_OPERATORS[node.op].evaluate(operand.value));
      return { ...node, operand };
    }
    case 'binary': {
      const left = fold(node.left);
      const right = fold(node.right);
      const spec = BINARY_OPERATORS[node.op];
      if (spec.shortCircuit !== undefined) {
        if (left.kind === 'literal') {
          const decides = spec.shortCircuit === 'and' ? !truthy(left.value) : truthy(left.value);
          if (decides) return literal(left.value);
          if (right.kind === 'literal') return literal(truthy(right.value) ? 1 : 0);
        }
        return { ...node, left, right };
      }
      if (left.kind === 'literal' && right.kind === 'literal') return literal(spec.evaluate(left.value, right.value));
      return { ...node, left, right };
    }
    case 'index': {
      const target = fold(node.target);
      const index = fold(node.index);
      if (target.kind === 'literal' && index.kind === 'literal') return literal(indexValue(target.value, index.value));
      return { ...node, target, index };
    }
    case 'call': {
      const args = node.args.map(fold);
      const spec = functions.get(node.name);
      if (spec?.pure && spec.fn && args.every((a) => a.kind === 'literal')) {
        try {
          return literal(spec.fn(...args.map((a) => (a as { value: Value }).value)));
        } catch {
          // A host function that throws is left to run (and fail) at evaluation time.
        }
      }
      return { ...node, args };
    }
    case 'matches':
      return { ...node, value: fold(node.value) };
    default:
      return node;
  }
}
