/**
 * Live validation: each string of a block compiled by the language, in the field's context,
 * as the server will compile it. No DOM here: the editor shows what these return.
 */
import {
  CONSTANT_GROUPS,
  compile,
  CompileError,
  EvaluationError,
  lint,
  readAs,
  type BlockInput,
  type Diagnostic,
  type Environment,
  type Explanation,
  type HostValue,
  type Program,
} from '../../../language/index.js';
import type { FieldDocument } from './schema.js';
import { formatTyped, toEditBlock, type EditBlock } from './model.js';

/** Which string of a block: `if`/`then` of a condition (0-based), or `else`. */
export type StringPart = { kind: 'if' | 'then'; index: number } | { kind: 'else' };

/** What the check of one string found. */
export type Check =
  | { ok: true; variables: readonly string[]; warning?: string; note?: string }
  | { ok: false; error: CompileError | { code: string; detail: string; snippet: ''; line: 0; column: 0 } };

function options(field: Pick<FieldDocument, 'variables' | 'constants'>) {
  return { variables: field.variables, constants: field.constants };
}

/** The constants a `constantList` field accepts (undefined: no group). */
function allowed(field: Pick<FieldDocument, 'constants'>): readonly string[] | undefined {
  return field.constants !== null && Object.prototype.hasOwnProperty.call(CONSTANT_GROUPS, field.constants) ? CONSTANT_GROUPS[field.constants] : undefined;
}

/** A fault that is no compile error of a string: an empty part where one is needed. */
const blockFault = (detail: string): Check => ({ ok: false, error: { code: 'invalid-block', detail, snippet: '', line: 0, column: 0 } });

/** Checks one string of a block: compiled in the field's context, and a constant result read as the field's type. */
export function checkString(field: FieldDocument, block: EditBlock, part: StringPart): Check {
  const source = part.kind === 'else' ? block.else : block.match[part.index]![part.kind];
  if (source.trim() === '') {
    if (part.kind !== 'else') return blockFault(`\`${part.kind}\` of condition ${part.index + 1} is empty`);
    if (block.match.length > 0) return blockFault('missing `else`: a block with conditions needs an `else` expression');
    return { ok: true, variables: [], note: 'empty: the field has no value, so its default applies' };
  }
  let program: Program;
  try {
    program = compile(source, options(field));
  } catch (e) {
    if (e instanceof CompileError) return { ok: false, error: e };
    throw e;
  }
  const result: Check = { ok: true, variables: program.variables };
  // A value that reads no variable is known now: say so when it is not of the field's type.
  if (part.kind !== 'if' && program.variables.length === 0 && !program.isAsync) {
    try {
      const value = program.evaluate({}, { system: {} });
      if (value !== null && readAs(field.type, value, allowed(field)) === undefined) {
        result.warning = `this value is not read as ${field.type === 'constantList' ? `a list of ${field.constants ?? 'constants'}` : `a ${field.type}`}: when it is chosen, the default applies`;
      }
    } catch {
      // an evaluation error shows in the try-it panel
    }
  }
  return result;
}

/** Which string of a block a lint warning is in (a block of one string has no part: its `else`). */
export function partOf(d: Diagnostic): StringPart {
  return d.part === undefined || d.part.kind === 'else' ? { kind: 'else' } : { kind: d.part.kind, index: d.part.condition - 1 };
}

/**
 * The lint warnings of a block, as the server answers a save with them: the field's type and
 * context given. None while a string does not compile (its error shows instead).
 */
export function lintBlock(field: FieldDocument, block: BlockInput): Diagnostic[] {
  const program = compileBlock(field, block);
  return program === null ? [] : lint(program, { field: { type: field.type, variables: field.variables, constants: field.constants } });
}

/** The block compiled whole, or null when a string does not compile. */
export function compileBlock(field: FieldDocument, block: BlockInput): Program | null {
  try {
    return compile(block, options(field));
  } catch (e) {
    if (e instanceof CompileError) return null;
    throw e;
  }
}

/** What the try-it panel shows: the walk, and the value read as the field's type (or why there is none). */
export interface Trial {
  explanation: Explanation;
  /** The value read as the field's type, for people (`5s`, `plain, login`), or null when there is none. */
  typed: string | null;
  /** Why the field has no value of its own and what applies instead. */
  instead?: string;
}

async function valueOf(program: Program, vars: Record<string, unknown>, env: Environment): Promise<HostValue | null> {
  return program.isAsync ? program.evaluateAsync(vars, env) : program.evaluate(vars, env);
}

/** A value as the language writes it: strings quoted, constants by name, lists in brackets. */
export function showValue(value: HostValue): string {
  if (Array.isArray(value)) return `[${value.map(showValue).join(', ')}]`;
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/** Why a value is refused for a field (as the server refuses it), or null. */
function refusal(field: FieldDocument, typed: unknown): string | null {
  return field.smtpLine && typeof typed === 'string' && /[\r\n]/.test(typed) ? 'it contains CR or LF, which the server refuses on an SMTP line' : null;
}

/**
 * Runs a block as the server would for a session: `explain` for the walk, then the value
 * read as the field's type; with no value (unset, wrong type, refused), the default, then
 * the schema's fallback. Evaluation errors come back as EvaluationError.
 */
export async function tryBlock(field: FieldDocument, program: Program, vars: Record<string, unknown>, env: Environment): Promise<Trial> {
  const explanation = await program.explain(vars, env);
  const read = (value: HostValue | null): { typed?: unknown; why?: string } => {
    if (value === null) return { why: 'the block is unset' };
    const typed = readAs(field.type, value, allowed(field));
    if (typed === undefined) return { why: `${showValue(value)} is not ${field.type === 'constantList' ? `a list of ${field.constants ?? 'constants'}` : `a ${field.type}`}` };
    const refused = refusal(field, typed);
    return refused === null ? { typed } : { why: refused };
  };
  const own = read(await valueOf(program, vars, env));
  if (own.why === undefined) return { explanation, typed: formatTyped(field.type, own.typed) };
  const fallback = (): string => (field.fallback === undefined ? 'no fallback: the server leaves the setting out' : `the fallback ${formatTyped(field.type, field.fallback)} applies`);
  const defaults = compileBlock(field, toEditBlock(field.default));
  let instead: string;
  if (defaults === null) instead = fallback();
  else {
    let byDefault: { typed?: unknown; why?: string };
    try {
      byDefault = read(await valueOf(defaults, vars, env));
    } catch (e) {
      byDefault = { why: e instanceof EvaluationError ? e.message : String(e) };
    }
    instead = byDefault.why === undefined ? `the default gives ${formatTyped(field.type, byDefault.typed)}` : `the default gives no value either (${byDefault.why}): ${fallback()}`;
  }
  return { explanation, typed: null, instead: `No value: ${own.why}; ${instead}.` };
}
