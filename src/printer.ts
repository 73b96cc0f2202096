/**
 * Printer: an AST back to source text that parses to the same tree (parentheses are
 * added only where precedence needs them).
 */
import type { BinaryOperator, Node } from './ast.js';
import { Constant, Float, floatToString, intToString, type Value } from './values.js';

const PRECEDENCE: Record<BinaryOperator, number> = {
  '||': 1,
  '&&': 2,
  '^': 3,
  '==': 4,
  '!=': 4,
  '<': 5,
  '<=': 5,
  '>': 5,
  '>=': 5,
  '+': 6,
  '-': 6,
  '*': 7,
  '/': 7,
};
const UNARY_PRECEDENCE = 8;
const POSTFIX_PRECEDENCE = 9;

/** A string literal whose content lexes back unchanged (a delimiter it holds unescaped is avoided). */
export function quote(s: string): string {
  const unescaped = (q: string): boolean => {
    for (let i = 0; i < s.length; i++) {
      if (s[i] === '\\') i++;
      else if (s[i] === q) return true;
    }
    return false;
  };
  return unescaped("'") ? `"${s}"` : `'${s}'`;
}

function printValue(v: Value): string {
  if (typeof v === 'string') return quote(v);
  if (typeof v === 'number') return v < 0 ? `(-${intToString(-v)})` : intToString(v);
  if (v instanceof Float) {
    const text = floatToString(Math.abs(v.value));
    const body = /^[0-9]+$/.test(text) ? text + '.0' : text;
    return v.value < 0 || Object.is(v.value, -0) ? `(-${body})` : body;
  }
  if (v instanceof Constant) return v.name;
  return `[${(v as readonly Value[]).map(printValue).join(', ')}]`;
}

function precedenceOf(node: Node): number {
  if (node.kind === 'binary') return PRECEDENCE[node.op];
  if (node.kind === 'unary') return UNARY_PRECEDENCE;
  return POSTFIX_PRECEDENCE;
}

function wrap(node: Node, min: number): string {
  const text = print(node);
  return precedenceOf(node) < min ? `(${text})` : text;
}

export function print(node: Node): string {
  switch (node.kind) {
    case 'literal':
      return printValue(node.value);
    case 'identifier':
    case 'variable':
    case 'constant':
      return node.name;
    case 'global':
      return '$' + node.name;
    case 'capture':
      return '$' + node.index;
    case 'array':
      return `[${node.items.map(print).join(', ')}]`;
    case 'index':
      return `${wrap(node.target, POSTFIX_PRECEDENCE)}[${print(node.index)}]`;
    case 'unary':
      return node.op + wrap(node.operand, UNARY_PRECEDENCE);
    case 'binary': {
      const p = PRECEDENCE[node.op];
      // Left-associative: the right operand of the same precedence needs parentheses.
      return `${wrap(node.left, p)} ${node.op} ${wrap(node.right, p + 1)}`;
    }
    case 'call':
      return `${node.name}(${node.args.map(print).join(', ')})`;
    case 'matches':
      return `matches(${quote(node.pattern)}, ${print(node.value)})`;
    case 'system':
      return `system(${quote(node.name)})`;
    case 'metric':
      return `metric(${quote(node.name)})`;
  }
}
