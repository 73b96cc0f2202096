/**
 * The two error types of the language: `CompileError` for anything wrong in a source
 * (positioned, with a caret snippet), `EvaluationError` for anything that goes wrong while
 * a compiled program runs. Misuse of the API (invalid options, `evaluate` on a program that
 * needs `evaluateAsync`) is a `TypeError`.
 */
import { describeLocation, renderDiagnostic, type BlockPart, type Diagnostic, type Fix } from './diagnostic.js';
import { locate, renderSnippet } from './snippet.js';

export type ErrorCode =
  | 'invalid-character'
  | 'unterminated-string'
  | 'invalid-number'
  | 'syntax'
  | 'empty-expression'
  | 'unknown-variable'
  | 'variable-not-available'
  | 'unknown-constant'
  | 'constant-not-available'
  | 'unknown-function'
  | 'not-a-function'
  | 'function-as-value'
  | 'arity'
  | 'literal-required'
  | 'invalid-regex'
  | 'invalid-system-name'
  | 'unknown-metric'
  | 'limit'
  | 'invalid-block'
  | 'invalid-options';

export interface CompileErrorInit {
  code: ErrorCode;
  message: string;
  source: string;
  offset: number;
  length?: number;
  part?: BlockPart;
  /** What to write instead, where the fault has an evident fix. */
  hint?: Fix;
}

/** A compile error: where it is, what is wrong, and the source line with a caret. */
export class CompileError extends Error {
  override readonly name = 'CompileError';
  readonly code: ErrorCode;
  /** The message without position (the `message` property adds the position and part). */
  readonly detail: string;
  readonly line: number;
  readonly column: number;
  readonly offset: number;
  readonly length: number;
  readonly part: BlockPart | undefined;
  /** The expression string the error is in. */
  readonly source: string;
  /** The source line with a caret under the fault. */
  readonly snippet: string;
  readonly hint: Fix | undefined;

  constructor(init: CompileErrorInit) {
    super(`${init.message} (${describeLocation(init.source, init.offset, init.part)})`);
    const loc = locate(init.source, init.offset);
    this.code = init.code;
    this.detail = init.message;
    this.line = loc.line;
    this.column = loc.column;
    this.offset = init.offset;
    this.length = init.length ?? 1;
    this.part = init.part;
    this.source = init.source;
    this.snippet = renderSnippet(init.source, init.offset, this.length);
    this.hint = init.hint;
  }

  /** The same error, attributed to a part of a block. */
  inPart(part: BlockPart): CompileError {
    return this.amend({ part });
  }

  /** The same error with some of its facts changed (a fuller message, a wider span, a hint). */
  amend(changes: Partial<Omit<CompileErrorInit, 'source'>>): CompileError {
    const hint = 'hint' in changes ? changes.hint : this.hint;
    const part = 'part' in changes ? changes.part : this.part;
    return new CompileError({
      code: changes.code ?? this.code,
      message: changes.message ?? this.detail,
      source: this.source,
      offset: changes.offset ?? this.offset,
      length: changes.length ?? this.length,
      ...(part ? { part } : {}),
      ...(hint ? { hint } : {}),
    });
  }

  /** The error as a finding, for tools that show several with the same renderer. */
  toDiagnostic(): Diagnostic {
    return {
      code: this.code,
      severity: 'error',
      message: this.detail,
      source: this.source,
      span: { start: this.offset, end: this.offset + this.length },
      ...(this.part ? { part: this.part } : {}),
      ...(this.hint ? { fix: this.hint } : {}),
    };
  }

  /** Message and snippet, as printed by the CLI. */
  render(): string {
    return renderDiagnostic(this.toDiagnostic());
  }

  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      message: this.message,
      line: this.line,
      column: this.column,
      offset: this.offset,
      ...(this.part ? { part: this.part.kind === 'else' ? 'else' : `${this.part.kind} of condition ${this.part.condition}` } : {}),
      snippet: this.snippet,
      ...(this.hint ? { hint: this.hint } : {}),
    };
  }
}

/**
 * Why an evaluation stopped:
 * - `function`: a host or custom function threw (or rejected);
 * - `lookup`: a host lookup failed (store missing, DNS or SQL error);
 * - `limit`: a value grew past what the runtime builds or holds (a string of more than
 *   1 MiB, a list of more than 100,000 items, a value longer than `matches` searches);
 * - `budget`: the evaluation cost more than limits.maxCost units;
 * - `internal`: anything else (a defect: please report it).
 */
export type EvaluationErrorCode = 'function' | 'lookup' | 'limit' | 'budget' | 'internal';

/** An evaluation that could not complete. The only error `evaluate` and `evaluateAsync` throw. */
export class EvaluationError extends Error {
  override readonly name = 'EvaluationError';
  readonly code: EvaluationErrorCode;
  /** The function that failed (for `function` and `lookup`). */
  readonly functionName: string | undefined;

  constructor(code: EvaluationErrorCode, message: string, options: { functionName?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.functionName = options.functionName;
  }

  /** A function (built-in lookup, custom) that threw: `name: cause`. */
  static inFunction(functionName: string, cause: unknown, code: 'function' | 'lookup' = 'function'): EvaluationError {
    if (cause instanceof EvaluationError) return cause;
    return new EvaluationError(code, `${functionName}: ${cause instanceof Error ? cause.message : String(cause)}`, { functionName, cause });
  }

  /** Whatever escaped an evaluation, as an EvaluationError. */
  static from(cause: unknown): EvaluationError {
    if (cause instanceof EvaluationError) return cause;
    if (cause instanceof RangeError) return new EvaluationError('limit', `a value grew too large: ${cause.message}`, { cause });
    return new EvaluationError('internal', `internal error: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}
