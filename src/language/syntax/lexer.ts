/**
 * Lexical structure (SPEC §2): Chevrotain token definitions and the lexer. Every lexer
 * error surfaces as a positioned CompileError; nothing is skipped silently.
 */
import { createToken, Lexer, type IToken, type TokenType } from 'chevrotain';
import { CompileError } from '../errors/errors.js';
import { BINARY_OPERATORS, BINARY_SPELLINGS, UNARY_SPELLINGS, type Level } from '../operators.js';
import { DURATION_LITERAL } from '../runtime/values.js';

export const WhiteSpace = createToken({ name: 'WhiteSpace', pattern: /[ \t\r\n]+/, group: Lexer.SKIPPED });

export const StringLiteral = createToken({
  name: 'StringLiteral',
  pattern: /'(?:[^'\\]|\\[\s\S])*'|"(?:[^"\\]|\\[\s\S])*"/,
  line_breaks: true,
});
/** A string that reaches the end of the source: reported as an error after lexing. */
export const UnterminatedString = createToken({
  name: 'UnterminatedString',
  pattern: /'(?:[^'\\]|\\[\s\S])*|"(?:[^"\\]|\\[\s\S])*/,
  line_breaks: true,
});
/**
 * Everything that starts like a number, up to the end of the word: validated after lexing
 * as an integer, a float or a duration, so `1.2.3` and `5x` are reported whole.
 */
export const NumberLiteral = createToken({
  name: 'NumberLiteral',
  pattern: /(?:[0-9]+\.?|\.[0-9])[0-9A-Za-z_.]*/,
});
export const Capture = createToken({ name: 'Capture', pattern: /\$[0-9]+/ });
export const Global = createToken({ name: 'Global', pattern: /\$[A-Za-z_][A-Za-z0-9_.]*/ });
/** A `$` followed by neither a name nor digits: reported as an error after lexing. */
export const LoneDollar = createToken({ name: 'LoneDollar', pattern: /\$/ });
export const Identifier = createToken({ name: 'Identifier', pattern: /[A-Za-z_][A-Za-z0-9_.]*/ });

// Operators, made from the operator table. The parser matches a level's category token; the
// action reads the spelling back through the table.
export const OrOp = createToken({ name: 'OrOp', pattern: Lexer.NA });
export const AndOp = createToken({ name: 'AndOp', pattern: Lexer.NA });
export const EqualityOp = createToken({ name: 'EqualityOp', pattern: Lexer.NA });
export const RelationOp = createToken({ name: 'RelationOp', pattern: Lexer.NA });
export const AdditiveOp = createToken({ name: 'AdditiveOp', pattern: Lexer.NA });
export const MultiplicativeOp = createToken({ name: 'MultiplicativeOp', pattern: Lexer.NA });
export const UnaryOp = createToken({ name: 'UnaryOp', pattern: Lexer.NA });

const CATEGORY: Readonly<Record<Exclude<Level, 'xor'>, TokenType>> = {
  or: OrOp,
  and: AndOp,
  equality: EqualityOp,
  relation: RelationOp,
  additive: AdditiveOp,
  term: MultiplicativeOp,
};

/** One token per operator spelling, longest first (so `==` is not read as `=` `=`). */
export const OPERATOR_TOKENS: ReadonlyMap<string, TokenType> = new Map(
  [...new Set([...BINARY_SPELLINGS.keys(), ...UNARY_SPELLINGS.keys()])]
    .sort((a, b) => b.length - a.length)
    .map((spelling) => {
      const binary = BINARY_SPELLINGS.get(spelling);
      const level = binary === undefined ? undefined : BINARY_OPERATORS[binary].level;
      const categories = [
        ...(level !== undefined && level !== 'xor' ? [CATEGORY[level]] : []),
        ...(UNARY_SPELLINGS.has(spelling) ? [UnaryOp] : []),
      ];
      return [spelling, createToken({ name: `Operator${spelling}`, pattern: spelling, categories, label: spelling })] as const;
    }),
);

/** The token (a category, or the one operator) each precedence level of the parser matches. */
export const LEVEL_TOKENS: Readonly<Record<Level, TokenType>> = { ...CATEGORY, xor: OPERATOR_TOKENS.get('^')! };
export const Caret = OPERATOR_TOKENS.get('^')!;
export const Not = OPERATOR_TOKENS.get('!')!;
export const Minus = OPERATOR_TOKENS.get('-')!;

export const LParen = createToken({ name: 'LParen', pattern: '(', label: '(' });
export const RParen = createToken({ name: 'RParen', pattern: ')', label: ')' });
export const LBracket = createToken({ name: 'LBracket', pattern: '[', label: '[' });
export const RBracket = createToken({ name: 'RBracket', pattern: ']', label: ']' });
export const Comma = createToken({ name: 'Comma', pattern: ',', label: ',' });

/** Every token type, in matching order (longer operators before their prefixes). */
export const allTokens: TokenType[] = [
  WhiteSpace,
  StringLiteral,
  UnterminatedString,
  NumberLiteral,
  Capture,
  Global,
  LoneDollar,
  Identifier,
  ...OPERATOR_TOKENS.values(),
  LParen,
  RParen,
  LBracket,
  RBracket,
  Comma,
  OrOp,
  AndOp,
  EqualityOp,
  RelationOp,
  AdditiveOp,
  MultiplicativeOp,
  UnaryOp,
];

const lexer = new Lexer(allTokens, {
  positionTracking: 'onlyOffset',
  ensureOptimizations: true,
  skipValidations: false,
});

export const INTEGER_LITERAL = /^[0-9]+$/;
export const FLOAT_LITERAL = /^(?:[0-9]+\.[0-9]*|\.[0-9]+)$/;
export { DURATION_LITERAL };

function describeChar(source: string, offset: number): string {
  const cp = source.codePointAt(offset)!;
  const ch = String.fromCodePoint(cp);
  return cp < 0x20 || cp === 0x7f ? `U+${cp.toString(16).toUpperCase().padStart(4, '0')}` : `\`${ch}\``;
}

/** Splits source into tokens; throws CompileError at the first lexical fault. */
export function tokenize(source: string): IToken[] {
  const result = lexer.tokenize(source);
  if (result.errors.length > 0) {
    const e = result.errors[0]!;
    const cp = source.codePointAt(e.offset)!;
    throw new CompileError({
      code: 'invalid-character',
      message: `unexpected character ${describeChar(source, e.offset)}`,
      source,
      offset: e.offset,
      length: cp > 0xffff ? 2 : 1,
    });
  }
  for (const token of result.tokens) {
    const type = token.tokenType;
    if (type === UnterminatedString) {
      throw new CompileError({
        code: 'unterminated-string',
        message: `unterminated string: no closing ${token.image[0]}`,
        source,
        offset: token.startOffset,
        length: token.image.length,
      });
    }
    if (type === LoneDollar) {
      throw new CompileError({
        code: 'syntax',
        message: '`$` must be followed by a global name (`$SPAM`) or a capture number (`$1`)',
        source,
        offset: token.startOffset,
      });
    }
    if (type === NumberLiteral) {
      const text = token.image;
      if (!INTEGER_LITERAL.test(text) && !FLOAT_LITERAL.test(text) && !DURATION_LITERAL.test(text)) {
        throw new CompileError({
          code: 'invalid-number',
          message: `invalid number \`${text}\`: expected an integer (\`25\`), a float (\`1.5\`) or a duration (\`100ms\`, \`5s\`, \`10m\`, \`1h\`, \`5d\`)`,
          source,
          offset: token.startOffset,
          length: text.length,
        });
      }
    }
  }
  return result.tokens;
}
