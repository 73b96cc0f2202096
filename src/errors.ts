/**
 * The one error type of compilation, with a position and a rendered snippet, and the
 * error type of evaluation (host lookups that fail).
 */

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

/** Which string of an if/then/else block an error is in. `condition` is 1-based. */
export type BlockPart = { kind: 'else' } | { kind: 'if' | 'then'; condition: number };

export function describePart(part: BlockPart): string {
  return part.kind === 'else' ? 'else' : `${part.kind} of condition ${part.condition}`;
}

export interface SourceLocation {
  /** 1-based line. */
  line: number;
  /** 1-based column, counted in Unicode code points. */
  column: number;
  /** 0-based offset in UTF-16 code units of the source string. */
  offset: number;
}

/** Computes line and column of an offset. */
export function locate(source: string, offset: number): SourceLocation {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(offset, source.length);
  for (let i = 0; i < end; i++) {
    if (source.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  let column = 1;
  for (let i = lineStart; i < end; i++) {
    const c = source.charCodeAt(i);
    if (c >= 0xdc00 && c <= 0xdfff && i > lineStart) continue; // low surrogate: same code point
    column++;
  }
  return { line, column, offset };
}

/** Display width of one code point in a terminal: 0 for combining marks, 2 for wide ones. */
function widthOf(cp: number): number {
  if (cp === 0x200b || cp === 0xfeff || (cp >= 0x300 && cp <= 0x36f) || (cp >= 0xfe00 && cp <= 0xfe0f)) return 0;
  if (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1faff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  ) {
    return 2;
  }
  return 1;
}

function displayWidth(text: string): number {
  let w = 0;
  for (const ch of text) w += widthOf(ch.codePointAt(0)!);
  return w;
}

/**
 * Renders the source line of `offset` with a caret under the fault:
 *
 *     1 | local_port != 25 &&
 *       |                     ^ expected an operand
 */
export function renderSnippet(source: string, offset: number, length: number, label = ''): string {
  const { line } = locate(source, offset);
  const lines = source.split('\n');
  const lineStart = lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0);
  const text = (lines[line - 1] ?? '').replace(/\r$/, '').replace(/\t/g, ' ');
  const before = text.slice(0, Math.max(0, offset - lineStart));
  const faulty = text.slice(offset - lineStart, offset - lineStart + Math.max(1, length));
  const gutter = String(line);
  const pad = ' '.repeat(gutter.length);
  const caret = '^'.repeat(Math.max(1, displayWidth(faulty)));
  return `${gutter} | ${text}\n${pad} | ${' '.repeat(displayWidth(before))}${caret}${label ? ' ' + label : ''}`;
}

export interface CompileErrorInit {
  code: ErrorCode;
  message: string;
  source: string;
  offset: number;
  length?: number;
  part?: BlockPart;
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

  constructor(init: CompileErrorInit) {
    const loc = locate(init.source, init.offset);
    const where = `${init.part ? describePart(init.part) + ', ' : ''}line ${loc.line}, column ${loc.column}`;
    super(`${init.message} (${where})`);
    this.code = init.code;
    this.detail = init.message;
    this.line = loc.line;
    this.column = loc.column;
    this.offset = init.offset;
    this.length = init.length ?? 1;
    this.part = init.part;
    this.source = init.source;
    this.snippet = renderSnippet(init.source, init.offset, this.length);
  }

  /** The same error, attributed to a part of a block. */
  inPart(part: BlockPart): CompileError {
    return new CompileError({ code: this.code, message: this.detail, source: this.source, offset: this.offset, length: this.length, part });
  }

  /** Message and snippet, as printed by the CLI. */
  render(): string {
    return `error[${this.code}]: ${this.message}\n${this.snippet}`;
  }

  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      message: this.message,
      line: this.line,
      column: this.column,
      offset: this.offset,
      ...(this.part ? { part: describePart(this.part) } : {}),
      snippet: this.snippet,
    };
  }
}

/** An evaluation that could not complete: a host lookup failed. */
export class EvaluationError extends Error {
  override readonly name = 'EvaluationError';
  /** The function whose lookup failed. */
  readonly functionName: string;
  constructor(functionName: string, cause: unknown) {
    super(`${functionName}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.functionName = functionName;
  }
}
