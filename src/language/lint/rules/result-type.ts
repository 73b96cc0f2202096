/**
 * A block's results that the field cannot read as its type (SPEC §11, §13): the text
 * `'false'` in a boolean field (any non-empty text is true), a number or a constant in a
 * string field, strings in a list of constants, `'1/1d'` in a rate field, `5` (milliseconds)
 * or `0` (no value) in a duration field. Needs the field's type; the host's reader would
 * silently use the default (or read something else than meant).
 */
import type { Fix } from '../../errors/diagnostic.js';
import type { Span } from '../../errors/snippet.js';
import { BINARY_OPERATORS } from '../../operators.js';
import { toHost } from '../../runtime/host-values.js';
import { readAs, type ValueType } from '../../runtime/typed-readers.js';
import { constant, Constant, DURATION_LITERAL, toStr, type Value } from '../../runtime/values.js';
import type { Node } from '../../syntax/ast.js';
import { quote } from '../../syntax/printer.js';
import type { LintContext, LintRule } from '../rule.js';
import { constantValue, fix } from '../walk.js';

/** What a result is known to be: a value fixed at compile time, always 1 or 0, an array literal, or unknown. */
type Shape = { kind: 'value'; value: Value } | { kind: 'flag' } | { kind: 'array'; items: Node[] } | { kind: 'unknown' };

function shapeOf(node: Node, ctx: LintContext): Shape {
  if (node.kind === 'constant') return { kind: 'value', value: constant(node.name) };
  const value = constantValue(node, ctx.functions);
  if (value !== undefined) return { kind: 'value', value };
  if (node.kind === 'array') return { kind: 'array', items: node.items };
  if (node.kind === 'matches' || (node.kind === 'unary' && node.op === '!')) return { kind: 'flag' };
  if (node.kind === 'binary' && BINARY_OPERATORS[node.op].boolean === true) return { kind: 'flag' };
  if (node.kind === 'call' && ctx.functions.get(node.name)?.boolean === true) return { kind: 'flag' };
  return { kind: 'unknown' };
}

const WORDS: Readonly<Record<string, string>> = {
  true: 'true', yes: 'true', on: 'true', enable: 'true', enabled: 'true', '1': 'true',
  false: 'false', no: 'false', off: 'false', disable: 'false', disabled: 'false', none: 'false', '0': 'false',
};

const describe = (v: Value): string =>
  typeof v === 'string' ? `the text '${v}'` : v instanceof Constant ? `the constant \`${v.name}\`` : Array.isArray(v) ? 'a list' : `the number ${toStr(v)}`;

interface Problem {
  message: string;
  fix?: Fix;
}

/** What is wrong with a result of a field of `type`, or undefined. */
function problem(type: ValueType, node: Node, text: string, ctx: LintContext): Problem | undefined {
  const shape = shapeOf(node, ctx);
  const span: Span = node.span;
  const at = (replacement: string): Fix => fix(span, replacement);
  if (shape.kind === 'unknown') return undefined;
  if (shape.kind === 'flag') {
    if (type === 'boolean' || type === 'integer' || type === 'list') return undefined;
    return { message: `this result is always 1 or 0 (a test), which a ${type} field cannot read as meant` };
  }
  if (shape.kind === 'array') {
    if (type === 'string' || type === 'optionalString' || type === 'integer' || type === 'duration') {
      return { message: `a list cannot be read as a ${type === 'optionalString' ? 'string' : type}: the field falls back to its default` };
    }
    return undefined;
  }
  const value = shape.value;
  const readable = readAs(type, toHost(value), ctx.constants) !== undefined;
  switch (type) {
    case 'boolean': {
      if (typeof value === 'string' && value !== '') {
        const word = WORDS[value.trim().toLowerCase()];
        return { message: `${describe(value)} is always true in a boolean field: any non-empty text is true`, ...(word ? { fix: at(word) } : {}) };
      }
      if (value instanceof Constant) return { message: `${describe(value)} is always true in a boolean field` };
      return undefined;
    }
    case 'integer':
      if (DURATION_LITERAL.test(text.trim()) && !/^[0-9]+$/.test(text.trim())) {
        return { message: `\`${text.trim()}\` is ${toStr(value)} (milliseconds) in an integer field, not a duration` };
      }
      return readable ? undefined : { message: `${describe(value)} cannot be read as an integer: the field falls back to its default` };
    case 'duration':
      if (readable) {
        const n = typeof value === 'number' ? value : undefined;
        if (n !== undefined && n < 1000 && /^[0-9]+$/.test(text.trim())) {
          return { message: `\`${n}\` is ${n} millisecond${n === 1 ? '' : 's'}: a duration is written with its unit`, fix: at(`${n}s`) };
        }
        return undefined;
      }
      return { message: `${describe(value)} is no value in a duration field (a duration is positive: \`5s\`, \`100ms\`): the field falls back to its default` };
    case 'string':
    case 'optionalString':
      if (readable || text.trim() === 'false' || typeof value === 'string') return undefined;
      if (Array.isArray(value)) return { message: `a list cannot be read as a string: the field falls back to its default` };
      return { message: `${describe(value)} is not text: a string field reads only strings${type === 'optionalString' ? ' (anything else is none)' : ''}`, fix: at(quote(value instanceof Constant ? value.name : toStr(value))) };
    case 'constantList': {
      if (readable) return undefined;
      const items = Array.isArray(value) ? (value as readonly Value[]) : [value];
      if (items.length > 0 && items.every((v) => typeof v === 'string' && ctx.constants.has(v))) {
        const names = items.map((v) => v as string);
        return {
          message: `${Array.isArray(value) ? 'the list holds text' : describe(value) + ' is text'}, not constants: a list of constants is written without quotes`,
          fix: at(Array.isArray(value) ? `[${names.join(', ')}]` : names[0]!),
        };
      }
      const none = typeof value === 'string' && WORDS[value.trim().toLowerCase()] === 'false';
      return {
        message: `${describe(value)} is not a list of ${ctx.constants.size > 0 ? [...ctx.constants].join(', ') : 'constants'}: the field falls back to its default${none ? ' (`false` is the empty list)' : ''}`,
        ...(none ? { fix: at('false') } : {}),
      };
    }
    case 'rate': {
      if (readable) return undefined;
      const old = typeof value === 'string' ? /^\s*([0-9]+)\s*\/\s*([0-9]+(?:ms|s|m|h|d)?)\s*$/i.exec(value) : null;
      if (old) return { message: `${describe(value)} is the rate syntax of older configuration files: a rate is \`[count, period]\``, fix: at(`[${old[1]}, ${old[2]}]`) };
      return { message: `${describe(value)} is not a rate \`[count, period]\` of two positive integers (\`[1, 1d]\`): the field falls back to its default` };
    }
    default:
      return undefined;
  }
}

export const resultType: LintRule = {
  code: 'result-type',
  summary: "a result the field cannot read as its type ('false' in a boolean field, '1/1d' in a rate field)",
  run(ctx) {
    const type = ctx.type;
    if (type === undefined) return;
    for (const part of ctx.results) {
      const p = problem(type, part.tree, part.source.slice(part.tree.span.start, part.tree.span.end), ctx);
      if (p) ctx.report(part, part.tree.span, p.message, p.fix);
    }
  },
};

