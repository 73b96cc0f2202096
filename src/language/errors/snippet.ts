/**
 * Source positions and the caret snippet every finding is shown with:
 *
 *     1 | local_port != 25 &&
 *       |                    ^
 *
 * Columns count Unicode code points; the caret accounts for wide and zero-width characters.
 */

/** A range of an expression string: UTF-16 offsets, end exclusive. */
export interface Span {
  start: number;
  end: number;
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

/** Renders the source line of `offset` with a caret under `length` code units from it. */
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
