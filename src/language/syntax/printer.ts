/**
 * Printer: an AST back to source text that parses to the same tree (parentheses are
 * added only where precedence needs them).
 */
import { BINARY_OPERATORS, POSTFIX_PRECEDENCE, UNARY_OPERATORS } from '../operators.js';
import { Constant, Float, floatToString, intToString, type Value } from '../runtime/values.js';
import type { Node } from './ast.js';

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
  if (node.kind === 'binary') return BINARY_OPERATORS[node.op].precedence;
  if (node.kind === 'unary') return UNARY_OPERATORS[node.op].precedence;
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
    case 'unary': {
      const spec = UNARY_OPERATORS[node.op];
      return spec.spellings[0] + wrap(node.operand, spec.precedence);
    }
    case 'binary': {
      const spec = BINARY_OPERATORS[node.op];
      // Left-associative: the right operand of the same precedence needs parentheses.
      return `${wrap(node.left, spec.precedence)} ${spec.spellings[0]} ${wrap(node.right, spec.precedence + 1)}`;
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
