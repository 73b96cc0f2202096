/**
 * Special forms: the calls whose first argument must be a string literal, resolved at
 * compile time into nodes of their own. One row each, beside the function table; the
 * checker reads the arity and runs `check`, which validates the literal and returns the
 * resolved node. (`$NAME` globals and `$n` captures need no row: the parser resolves them.)
 */
import { RE2JS } from 're2js';
import type { Fix } from '../errors/diagnostic.js';
import type { ErrorCode } from '../errors/errors.js';
import type { Span } from '../errors/snippet.js';
import { listNames, nearest } from '../errors/suggest.js';
import type { CallNode, Node } from '../syntax/ast.js';
import { systemName } from './hints.js';

/** What a special form's check may use: the scope, the usage record, and positioned failures. */
export interface CheckContext {
  /** The names the scope accepts for `system(NAME)` and `metric(NAME)` (null: any metric). */
  readonly scope: { readonly systemNames: ReadonlySet<string>; readonly metrics: ReadonlySet<string> | null };
  fail(code: ErrorCode, message: string, span: Span, hint?: Fix): never;
  /** The value of the first argument, which must be a string literal (`what` says what it names). */
  literalString(call: CallNode, what: string): string;
  /** Checks an argument like any expression. */
  check(node: Node): Node;
  /** The program records captures (`matches`, `$n`). */
  usesCaptures(): void;
}

export interface SpecialForm {
  name: string;
  arity: number;
  check(call: CallNode, ctx: CheckContext): Node;
}

/** Longest `matches` pattern accepted; RE2 compiles it in time linear in its size. */
const MAX_PATTERN_LENGTH = 8192;

const suggestion = (name: string, known: Iterable<string>): string => {
  const s = nearest(name, known);
  return s ? `; did you mean '${s}'?` : '';
};

function compileRegex(pattern: string, invalid: (message: string) => never): RE2JS {
  try {
    return RE2JS.compile(pattern);
  } catch (e) {
    return invalid(e instanceof Error ? e.message : String(e));
  }
}

const ROWS: SpecialForm[] = [
  {
    name: 'matches',
    arity: 2,
    check(call, ctx) {
      const pattern = ctx.literalString(call, 'the regular expression');
      const span = call.args[0]!.span;
      if (pattern.length > MAX_PATTERN_LENGTH) ctx.fail('limit', `regular expression is longer than ${MAX_PATTERN_LENGTH} characters`, span);
      const regex = compileRegex(pattern, (message) => ctx.fail('invalid-regex', `invalid regular expression: ${message}`, span));
      ctx.usesCaptures();
      return { kind: 'matches', pattern, regex, value: ctx.check(call.args[1]!), span: call.span };
    },
  },
  {
    name: 'system',
    arity: 1,
    check(call, ctx) {
      const known = ctx.scope.systemNames;
      const id = ctx.literalString(call, `one of ${listNames(known)}`);
      if (!known.has(id)) {
        const span = call.args[0]!.span;
        const hint = systemName(id, known, span);
        ctx.fail('invalid-system-name', `${hint?.message ?? `unknown system value '${id}'`} (known: ${listNames(known)})`, span, hint?.hint);
      }
      return { kind: 'system', name: id, span: call.span };
    },
  },
  {
    name: 'metric',
    arity: 1,
    check(call, ctx) {
      const name = ctx.literalString(call, 'the metric name');
      const known = ctx.scope.metrics;
      if (known !== null && !known.has(name)) {
        const span = call.args[0]!.span;
        const near = nearest(name, known);
        ctx.fail('unknown-metric', `unknown metric '${name}'${suggestion(name, known)}`, span, near === undefined ? undefined : { replacement: `'${near}'`, span, description: 'write' });
      }
      return { kind: 'metric', name, span: call.span };
    },
  },
];

export const SPECIAL_FORMS: ReadonlyMap<string, SpecialForm> = new Map(ROWS.map((f) => [f.name, f]));
