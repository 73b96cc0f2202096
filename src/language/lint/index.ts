/**
 * Lints: warnings about expressions that compile but do not do what they say — a quoted
 * variable name, a condition that is never chosen, an IP address compared as text, a result
 * the field cannot read. They never block compilation and never change evaluation: a lint
 * reads the checked trees of a compiled program and nothing else.
 *
 *   const program = compile(block, { variables: 'MtaEhloVariable' });
 *   lint(program, { field: { type: 'boolean', variables: 'MtaEhloVariable' } });  // Diagnostic[]
 *
 * The language does not know the configuration schema: the host passes what the field
 * declares (its value type and the groups the program was compiled with).
 */
import { resolveScope } from '../check/scope.js';
import type { Diagnostic, Fix } from '../errors/diagnostic.js';
import type { Span } from '../errors/snippet.js';
import type { Program } from '../program.js';
import type { ValueType } from '../runtime/typed-readers.js';
import type { LintContext, LintPart, LintRule } from './rule.js';
import { LINT_RULES } from './rules.js';

export type { LintRule } from './rule.js';
export { LINT_RULES };

/** What a lint needs to know of the field a program is for. */
export interface LintField {
  /** How the host reads the field's value (`boolean`, `duration`, …); absent: results are not checked. */
  type?: ValueType;
  /** The variable group (or names) the program was compiled with; absent or null: every known variable. */
  variables?: string | readonly string[] | null;
  /** The constant group (or names); absent: as `compile` (every known constant when `variables` is absent too). */
  constants?: string | readonly string[] | null;
}

export interface LintOptions {
  field?: LintField;
  /** Only these rules (their codes); absent: every rule. */
  rules?: readonly string[];
}

const KNOWN_CODES = new Set(LINT_RULES.map((r) => r.code));

/** The parts of a program as the rules see them. */
function partsOf(program: Program): LintPart[] {
  const single = program.parts.length === 1 && program.parts[0]!.part.kind === 'else';
  return program.parts.map((p) => ({
    part: single ? undefined : p.part,
    role: p.part.kind === 'if' ? 'condition' : 'result',
    source: p.source,
    tree: p.checked,
  }));
}

/**
 * The warnings about a compiled program, in source order (part by part). Throws TypeError
 * for invalid options (an unknown group or rule), like `compile`.
 */
export function lint(program: Program, options: LintOptions = {}): Diagnostic[] {
  const field = options.field ?? {};
  for (const code of options.rules ?? []) if (!KNOWN_CODES.has(code)) throw new TypeError(`unknown lint rule \`${code}\`; known rules: ${[...KNOWN_CODES].join(', ')}`);
  const scope = resolveScope({
    ...(field.variables !== undefined ? { variables: field.variables } : {}),
    ...(field.constants !== undefined ? { constants: field.constants } : {}),
  });
  const parts = partsOf(program);
  const found: Array<Diagnostic & { order: number }> = [];
  let rule: LintRule;
  const ctx: LintContext = {
    parts,
    conditions: parts.filter((p) => p.role === 'condition'),
    results: parts.filter((p) => p.role === 'result'),
    variables: scope.variables,
    variableGroup: scope.variableGroup,
    constants: scope.constants,
    type: field.type,
    functions: scope.functions,
    report(part: LintPart, span: Span, message: string, fix?: Fix) {
      found.push({
        code: rule.code,
        severity: 'warning',
        message,
        source: part.source,
        span: { start: span.start, end: span.end },
        ...(part.part ? { part: part.part } : {}),
        ...(fix ? { fix } : {}),
        order: parts.indexOf(part),
      });
    },
  };
  const only = options.rules ? new Set(options.rules) : undefined;
  for (const r of LINT_RULES) {
    if (only && !only.has(r.code)) continue;
    rule = r;
    r.run(ctx);
  }
  found.sort((a, b) => a.order - b.order || a.span.start - b.span.start || a.span.end - b.span.end);
  const seen = new Set<string>();
  const out: Diagnostic[] = [];
  for (const { order, ...d } of found) {
    const key = `${order}:${d.span.start}:${d.span.end}:${d.code}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(d);
  }
  return out;
}
