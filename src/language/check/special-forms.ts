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
import { SETTING_VALUES, VERSIONS } from './history.js';
import { regexSize } from './regex-size.js';

/** What a special form's check may use: the scope, the usage record, and positioned failures. */
export interface CheckContext {
  /** The names the scope accepts for `system(NAME)` and `metric(NAME)` (null: any metric), and the limits. */
  readonly scope: {
    readonly systemNames: ReadonlySet<string>;
    readonly metrics: ReadonlySet<string> | null;
    readonly limits: { readonly maxRegexSize: number; readonly maxMatchLength: number };
  };
  /** Counts a regular expression's size against the program's (limits.maxRegexSize); fails past it. */
  countRegex(size: number, span: Span): void;
  /** The program's compiled regular expression of a pattern: `compile` runs once per pattern. */
  regex(pattern: string, compile: () => RE2JS): RE2JS;
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

/**
 * What a pattern counts against limits.maxRegexSize: its RE2 instructions (its length when
 * that is more), at least 32 (compiling any pattern costs that much), and 32 more for each
 * Unicode class, whose tables are costly to build.
 */
export function regexWeight(pattern: string, instructions: number, unicodeClasses: number): number {
  return 32 + Math.max(instructions, pattern.length) + 32 * unicodeClasses;
}

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
      const regex = ctx.regex(pattern, () => {
        // The size is estimated from the text first, so that a pattern too large is refused
        // without being compiled; what RE2 refuses anyway (repeats nested past 1000) it reports.
        const estimate = regexSize(pattern);
        if (estimate.repeatProduct <= 1000) ctx.countRegex(regexWeight(pattern, estimate.instructions, estimate.unicodeClasses), span);
        const compiled = compileRegex(pattern, (message) => ctx.fail('invalid-regex', `invalid regular expression: ${message}`, span));
        const instructions = compiled.re2().numberOfInstructions();
        if (estimate.repeatProduct > 1000) ctx.countRegex(regexWeight(pattern, instructions, estimate.unicodeClasses), span);
        else if (instructions > estimate.instructions) ctx.countRegex(instructions - estimate.instructions, span);
        return compiled;
      });
      const instructions = regex.re2().numberOfInstructions();
      ctx.usesCaptures();
      return { kind: 'matches', pattern, regex, instructions, maxLength: ctx.scope.limits.maxMatchLength, value: ctx.check(call.args[1]!), span: call.span };
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
        // A setting name where a host value is meant (`system('server.hostname')`), or a near miss.
        const setting = SETTING_VALUES[id];
        const name = setting !== undefined && known.has(setting) ? setting : nearest(id, known);
        const message =
          name === undefined
            ? `unknown system value '${id}'`
            : name === setting
              ? `unknown system value '${id}': the setting \`${id}\` is \`system('${name}')\` since ${VERSIONS.registry}`
              : `unknown system value '${id}'; did you mean '${name}'?`;
        const hint: Fix | undefined = name === undefined ? undefined : { replacement: `'${name}'`, span: { start: span.start, end: span.end }, description: 'write' };
        ctx.fail('invalid-system-name', `${message} (known: ${listNames(known)})`, span, hint);
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
