/**
 * Findings about a source: compile errors and (non-blocking) lint warnings share one shape
 * and one renderer, so every tool shows several findings with the same carets.
 *
 *     warning[ip-as-text]: `remote_ip` is compared as text: a prefix of an address is not a network (line 1, column 1)
 *     1 | starts_with(remote_ip, '10.')
 *       | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^
 *       = fix: write `is_ip_in_cidr(remote_ip, '10.0.0.0/8')`
 */
import { locate, renderSnippet, type Span } from './snippet.js';

/** Which string of an if/then/else block a finding is in. `condition` is 1-based. */
export type BlockPart = { kind: 'else' } | { kind: 'if' | 'then'; condition: number };

export function describePart(part: BlockPart): string {
  return part.kind === 'else' ? 'else' : `${part.kind} of condition ${part.condition}`;
}

export type Severity = 'error' | 'warning' | 'info';

/** A suggested edit: replace `span` of the source with `replacement`. */
export interface Fix {
  replacement: string;
  span: Span;
  /** What the edit does, for people (`write`, `quote the word`, …). */
  description: string;
}

export interface Diagnostic {
  code: string;
  severity: Severity;
  /** What is wrong, without the position. */
  message: string;
  /** The expression string the finding is in. */
  source: string;
  span: Span;
  part?: BlockPart;
  fix?: Fix;
}

/** `line L, column C`, preceded by the block part when there is one. */
export function describeLocation(source: string, offset: number, part?: BlockPart): string {
  const loc = locate(source, offset);
  return `${part ? describePart(part) + ', ' : ''}line ${loc.line}, column ${loc.column}`;
}

/** The line under a snippet that shows a fix (`line` is the snippet's line number, for the gutter). */
export function renderFix(line: number, fix: Pick<Fix, 'description' | 'replacement'>): string {
  return `${' '.repeat(String(line).length)} = fix: ${fix.description} \`${fix.replacement}\``;
}

/** The finding as a terminal shows it: the headline, the source line with a caret, the fix. */
export function renderDiagnostic(d: Diagnostic): string {
  const length = Math.max(1, d.span.end - d.span.start);
  let out = `${d.severity}[${d.code}]: ${d.message} (${describeLocation(d.source, d.span.start, d.part)})\n${renderSnippet(d.source, d.span.start, length)}`;
  if (d.fix) out += `\n${renderFix(locate(d.source, d.span.start).line, d.fix)}`;
  return out;
}

/**
 * A finding as JSON, in the shape of `CompileError.toJSON()`: code, severity, the message
 * with its position, line, column, offset, part, the caret snippet and the fix.
 */
export function diagnosticJson(d: Diagnostic): Record<string, unknown> {
  const loc = locate(d.source, d.span.start);
  return {
    code: d.code,
    severity: d.severity,
    message: `${d.message} (${describeLocation(d.source, d.span.start, d.part)})`,
    line: loc.line,
    column: loc.column,
    offset: d.span.start,
    ...(d.part ? { part: describePart(d.part) } : {}),
    snippet: renderSnippet(d.source, d.span.start, Math.max(1, d.span.end - d.span.start)),
    ...(d.fix ? { fix: d.fix } : {}),
  };
}

/** Several findings, one after the other. */
export function renderDiagnostics(list: readonly Diagnostic[]): string {
  return list.map(renderDiagnostic).join('\n\n');
}
