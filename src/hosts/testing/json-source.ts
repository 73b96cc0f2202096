/**
 * JSON read with positions (jsonc-parser, strict: no comments, no trailing commas): a
 * syntax error says its line and column, a key given twice is refused with the position of
 * the second, and any value of the document can be found by its path, for errors and for
 * the lines of a configuration's blocks.
 */
import jsonc from 'jsonc-parser';

export type JsonPath = Array<string | number>;

/** A JSON text that did not parse, or that holds a key twice. */
export class JsonSourceError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    readonly detail: string,
  ) {
    super(`${file}:${line}:${column}: ${detail}`);
  }
}

const SYNTAX: Record<string, string> = {
  InvalidSymbol: 'an invalid character',
  InvalidNumberFormat: 'an invalid number',
  PropertyNameExpected: 'expected a property name in double quotes',
  ValueExpected: 'expected a value',
  ColonExpected: 'expected a colon',
  CommaExpected: 'expected a comma',
  CloseBraceExpected: 'expected a comma or }',
  CloseBracketExpected: 'expected a comma or ]',
  EndOfFileExpected: 'expected the end of the file',
  InvalidCommentToken: 'comments are not JSON',
  UnexpectedEndOfComment: 'comments are not JSON',
  UnexpectedEndOfString: 'a string that does not end',
  UnexpectedEndOfNumber: 'a number that does not end',
  InvalidUnicode: 'an invalid \\u escape',
  InvalidEscapeCharacter: 'an invalid escape',
  InvalidCharacter: 'a control character in a string',
};

/** A parsed JSON document and the positions of its values. */
export class JsonSource {
  readonly value: unknown;
  private readonly root: jsonc.Node;
  private readonly starts: number[];

  constructor(
    readonly file: string,
    readonly text: string,
  ) {
    this.starts = [0];
    for (let i = 0; i < text.length; i++) if (text[i] === '\n') this.starts.push(i + 1);
    const errors: jsonc.ParseError[] = [];
    const root = jsonc.parseTree(text, errors, { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false });
    const first = errors[0];
    if (first !== undefined || root === undefined) {
      const offset = first?.offset ?? 0;
      const { line, column } = this.position(offset);
      const code = first ? jsonc.printParseErrorCode(first.error) : 'ValueExpected';
      throw new JsonSourceError(file, line, column, `not valid JSON: ${SYNTAX[code] ?? code}`);
    }
    this.root = root;
    this.checkKeys(root);
    this.value = jsonc.getNodeValue(root);
  }

  /** Line and column (1-based) of an offset. */
  position(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.starts[lo]! + 1 };
  }

  private checkKeys(node: jsonc.Node): void {
    if (node.type === 'object') {
      const seen = new Set<string>();
      for (const property of node.children ?? []) {
        const key = property.children?.[0];
        if (key === undefined) continue;
        const name = String(key.value);
        if (seen.has(name)) {
          const { line, column } = this.position(key.offset);
          throw new JsonSourceError(this.file, line, column, `the key ${JSON.stringify(name)} is given twice`);
        }
        seen.add(name);
      }
    }
    for (const child of node.children ?? []) this.checkKeys(child);
  }

  /** The position of the value at a path, or of its key (the nearest enclosing value that exists). */
  locate(path: JsonPath, key = false): { line: number; column: number } {
    for (let n = path.length; n >= 0; n--) {
      const node = jsonc.findNodeAtLocation(this.root, path.slice(0, n));
      if (node === undefined) continue;
      const at = key && n === path.length && node.parent?.type === 'property' ? node.parent : node;
      return this.position(at.offset);
    }
    return { line: 1, column: 1 };
  }

  /** Whether a value exists at a path. */
  has(path: JsonPath): boolean {
    return jsonc.findNodeAtLocation(this.root, path) !== undefined;
  }
}
