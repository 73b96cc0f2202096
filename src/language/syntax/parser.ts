/**
 * Grammar and precedence (SPEC §3, grammar/expression.ebnf): a Chevrotain
 * EmbeddedActionsParser that builds our AST with source spans directly. One parser
 * instance is reused for every parse.
 */
import {
  EmbeddedActionsParser,
  EOF,
  type IOrAlt,
  type IParserErrorMessageProvider,
  type IRecognitionException,
  type IToken,
  type TokenType,
} from 'chevrotain';
import { CompileError } from '../errors/errors.js';
import { BINARY_SPELLINGS, LEVELS, UNARY_SPELLINGS } from '../operators.js';
import { durationMs, Float, INT_MAX, type Value } from '../runtime/values.js';
import type { Node, Span } from './ast.js';
import {
  allTokens,
  Capture,
  Comma,
  FLOAT_LITERAL,
  Global,
  Identifier,
  LBracket,
  LEVEL_TOKENS,
  LParen,
  Minus,
  Not,
  NumberLiteral,
  RBracket,
  RParen,
  StringLiteral,
  tokenize,
  UnaryOp,
} from './lexer.js';
import { DEFAULT_LIMITS, MAX_LIMITS, type Limits } from './limits.js';

export { DEFAULT_LIMITS, MAX_LIMITS, type Limits };

function describeToken(token: IToken): string {
  if (token.tokenType === EOF) return 'the end of the expression';
  return `\`${token.image}\``;
}

function tokenLabel(type: TokenType): string {
  switch (type) {
    case RParen:
      return '`)`';
    case RBracket:
      return '`]`';
    case LParen:
      return '`(`';
    case Comma:
      return '`,`';
    case EOF:
      return 'the end of the expression';
    default:
      return type.LABEL ? `\`${type.LABEL}\`` : type.name;
  }
}

/** Messages in our words; the parser reads them back from the exception. */
const messages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage({ expected, actual, previous }) {
    if (expected === RParen && actual.tokenType === Comma) return 'empty argument: expected an expression before `,`';
    if (expected === RBracket && actual.tokenType === Comma && previous.tokenType === Comma) {
      return 'empty array element: expected an expression before `,`';
    }
    if (expected === RParen || expected === RBracket) {
      return `expected ${tokenLabel(expected)} or an operator, found ${describeToken(actual)}`;
    }
    return `expected ${tokenLabel(expected)}, found ${describeToken(actual)}`;
  },
  buildNotAllInputParsedMessage({ firstRedundant }) {
    const t = firstRedundant.tokenType;
    if (t === RParen) return 'unbalanced `)`: no `(` to close';
    if (t === RBracket) return 'unbalanced `]`: no `[` to close';
    if (t === Comma) return 'unexpected `,` outside of a function call or array';
    return `unexpected ${describeToken(firstRedundant)} after a complete expression: two operands must be joined by an operator`;
  },
  buildNoViableAltMessage({ actual, previous }) {
    const found = actual[0];
    if (!found) return 'expected an operand';
    if (found.tokenType === RParen && previous?.tokenType === LParen) return 'empty parentheses `()`: expected an expression inside';
    if (found.tokenType === Comma && (previous?.tokenType === LParen || previous?.tokenType === Comma || previous?.tokenType === LBracket)) {
      return 'empty argument: expected an expression before `,`';
    }
    const after = previous && previous.image ? ` after \`${previous.image}\`` : '';
    return `expected an operand (a value, a name, \`(\` or \`[\`)${after}, found ${describeToken(found)}`;
  },
  buildEarlyExitMessage({ actual }) {
    return `unexpected ${describeToken(actual[0]!)}`;
  },
};

class ExpressionParser extends EmbeddedActionsParser {
  source = '';

  constructor() {
    super(allTokens, { recoveryEnabled: false, maxLookahead: 2, errorMessageProvider: messages });
    let operand: () => Node = this.unaryRule;
    for (let i = LEVELS.length - 1; i >= 0; i--) {
      const next = operand;
      const token = LEVEL_TOKENS[LEVELS[i]!];
      operand = this.RULE(`${LEVELS[i]}Rule`, (): Node => this.level(token, next));
      this.levelRules.unshift(operand);
    }
    this.performSelfAnalysis();
  }

  private binary(op: IToken, left: Node, right: Node): Node {
    return { kind: 'binary', op: BINARY_SPELLINGS.get(op.image)!, left, right, span: { start: left.span.start, end: right.span.end } };
  }

  /** One left-associative precedence level: `operand (op operand)*`. */
  private level(opType: TokenType, operand: () => Node): Node {
    let left = this.SUBRULE(operand as never) as Node;
    this.MANY(() => {
      const op = this.CONSUME(opType);
      const right = this.SUBRULE2(operand as never) as Node;
      left = this.ACTION(() => this.binary(op, left, right));
    });
    return left;
  }

  /**
   * The precedence levels, one rule each (`orRule` … `termRule`), made from the operator
   * table from the tightest level up: each level's operands are the next tighter level.
   */
  private readonly levelRules: Array<() => Node> = [];

  expression = this.RULE('expression', (): Node => this.SUBRULE(this.levelRules[0]! as never) as Node);

  // The alternatives of `unary` and `primary`, made on the first call and reused: an `OR`
  // given a fresh array of fresh closures on every call allocates them for every operand.
  // Their closures use nothing of the call but the parser itself.
  private unaryAlternatives: Array<IOrAlt<Node>> | undefined;
  private primaryAlternatives: Array<IOrAlt<Node>> | undefined;

  unaryRule = this.RULE('unaryRule', (): Node =>
    this.OR((this.unaryAlternatives ??= [
      {
        ALT: () => {
          const op = this.CONSUME(UnaryOp);
          const operand = this.SUBRULE(this.unaryRule);
          return this.ACTION(
            (): Node => ({ kind: 'unary', op: UNARY_SPELLINGS.get(op.image)!, operand, span: { start: op.startOffset, end: operand.span.end } }),
          );
        },
      },
      { ALT: () => this.SUBRULE(this.postfixRule) },
    ])),
  );

  postfixRule = this.RULE('postfixRule', (): Node => {
    let target = this.SUBRULE(this.primaryRule);
    this.MANY(() => {
      this.CONSUME(LBracket);
      const index = this.SUBRULE(this.expression);
      const close = this.CONSUME(RBracket);
      target = this.ACTION((): Node => ({ kind: 'index', target, index, span: { start: target.span.start, end: close.startOffset + 1 } }));
    });
    return target;
  });

  primaryRule = this.RULE('primaryRule', (): Node =>
    this.OR((this.primaryAlternatives ??= [
      { ALT: () => this.literal(this.CONSUME(NumberLiteral)) },
      { ALT: () => this.literal(this.CONSUME(StringLiteral)) },
      { ALT: () => this.SUBRULE(this.callRule) },
      {
        ALT: () => {
          const t = this.CONSUME(Identifier);
          return this.ACTION((): Node => ({ kind: 'identifier', name: t.image, span: spanOf(t) }));
        },
      },
      {
        ALT: () => {
          const t = this.CONSUME(Global);
          return this.ACTION((): Node => ({ kind: 'global', name: t.image.slice(1), span: spanOf(t) }));
        },
      },
      {
        ALT: () => {
          const t = this.CONSUME(Capture);
          return this.ACTION((): Node => ({ kind: 'capture', index: Math.min(Number(t.image.slice(1)), INT_MAX), span: spanOf(t) }));
        },
      },
      { ALT: () => this.SUBRULE(this.arrayRule) },
      {
        ALT: () => {
          const open = this.CONSUME(LParen);
          const inner = this.SUBRULE2(this.expression);
          const close = this.CONSUME(RParen);
          // Parentheses only group; the span grows to cover them (for carets), the node stays.
          return this.ACTION((): Node => ({ ...inner, span: { start: open.startOffset, end: close.startOffset + 1 } }));
        },
      },
    ])),
  );

  callRule = this.RULE('callRule', (): Node => {
    const name = this.CONSUME2(Identifier);
    this.CONSUME2(LParen);
    const args: Node[] = [];
    this.OPTION(() => {
      args.push(this.SUBRULE3(this.expression));
      this.MANY(() => {
        this.CONSUME(Comma);
        args.push(this.SUBRULE4(this.expression));
      });
    });
    const close = this.CONSUME2(RParen);
    return this.ACTION((): Node => ({ kind: 'call', name: name.image, args, span: { start: name.startOffset, end: close.startOffset + 1 }, nameSpan: spanOf(name) }));
  });

  arrayRule = this.RULE('arrayRule', (): Node => {
    const open = this.CONSUME2(LBracket);
    const items: Node[] = [];
    this.OPTION2(() => {
      items.push(this.SUBRULE5(this.expression));
      this.MANY2(() => {
        this.CONSUME2(Comma);
        items.push(this.SUBRULE6(this.expression));
      });
      this.OPTION3(() => this.CONSUME3(Comma));
    });
    const close = this.CONSUME2(RBracket);
    return this.ACTION((): Node => ({ kind: 'array', items, span: { start: open.startOffset, end: close.startOffset + 1 } }));
  });

  private literal(t: IToken): Node {
    return this.ACTION((): Node => ({ kind: 'literal', value: literalValue(t, this.source), span: spanOf(t) }));
  }
}

function spanOf(t: IToken): Span {
  return { start: t.startOffset, end: t.startOffset + t.image.length };
}

function literalValue(t: IToken, source: string): Value {
  const text = t.image;
  if (t.tokenType === StringLiteral) return text.slice(1, -1);
  if (FLOAT_LITERAL.test(text)) return new Float(Number(text));
  const ms = durationMs(text);
  const digits = ms === undefined ? text : text.replace(/[^0-9]+$/, '');
  const n = ms ?? Number(digits);
  if (n > INT_MAX || (n === INT_MAX && digits.replace(/^0+/, '') !== '9223372036854775807')) {
    throw new CompileError({
      code: 'invalid-number',
      message: `number \`${text}\` is out of range: integers are limited to ±9223372036854775807`,
      source,
      offset: t.startOffset,
      length: text.length,
    });
  }
  return n;
}

const parser = new ExpressionParser();

/** Checks nesting before parsing, so hostile input cannot exhaust the parser's stack. */
function checkNesting(tokens: IToken[], source: string, limits: Limits): void {
  let depth = 0;
  let unaryRun = 0;
  for (const t of tokens) {
    const type = t.tokenType;
    if (type === LParen || type === LBracket) depth++;
    else if (type === RParen || type === RBracket) depth = Math.max(0, depth - 1);
    unaryRun = type === Not || type === Minus ? unaryRun + 1 : 0;
    if (depth + unaryRun > limits.maxNesting) {
      throw new CompileError({
        code: 'limit',
        message: `expression nests deeper than ${limits.maxNesting} levels (limits.maxNesting)`,
        source,
        offset: t.startOffset,
        length: t.image.length,
      });
    }
  }
}

/** Measures the tree without recursion (it may be deep before it is checked); returns its depth. */
function checkDepth(root: Node, source: string, limits: Limits): number {
  // Two stacks side by side (nodes, and their depths), so the walk allocates no pair per node.
  const nodes: Node[] = [root];
  const depths: number[] = [1];
  let deepest = 1;
  while (nodes.length > 0) {
    const node = nodes.pop()!;
    const depth = depths.pop()!;
    if (depth > deepest) deepest = depth;
    if (depth > limits.maxDepth) {
      throw new CompileError({
        code: 'limit',
        message: `expression is nested more than ${limits.maxDepth} levels deep (limits.maxDepth: split long operator chains)`,
        source,
        offset: node.span.start,
        length: node.span.end - node.span.start,
      });
    }
    const below = depth + 1;
    switch (node.kind) {
      case 'binary':
        nodes.push(node.left, node.right);
        depths.push(below, below);
        break;
      case 'unary':
        nodes.push(node.operand);
        depths.push(below);
        break;
      case 'index':
        nodes.push(node.target, node.index);
        depths.push(below, below);
        break;
      case 'array':
        for (const item of node.items) {
          nodes.push(item);
          depths.push(below);
        }
        break;
      case 'call':
        for (const arg of node.args) {
          nodes.push(arg);
          depths.push(below);
        }
        break;
      default:
        break;
    }
  }
  return deepest;
}

/** What the expressions of one program parsed so far used of its limits (a block's are counted together). */
export interface ParseTotals {
  source: number;
  tokens: number;
  /** The depth of the deepest tree. */
  depth: number;
}

/**
 * Parses one expression string into an AST. Throws only CompileError. With `totals`, the
 * expression is one of a block's, and the size limits hold for all of them together.
 */
export function parse(source: string, limits: Limits = DEFAULT_LIMITS, totals?: ParseTotals): Node {
  const usedSource = totals?.source ?? 0;
  const usedTokens = totals?.tokens ?? 0;
  const together = (n: number): string => (n > 0 ? ' with the block\'s other expressions' : '');
  if (source.length + usedSource > limits.maxSourceLength) {
    const offset = Math.max(0, limits.maxSourceLength - usedSource);
    throw new CompileError({
      code: 'limit',
      message: `expression is longer than ${limits.maxSourceLength} characters${together(usedSource)} (limits.maxSourceLength)`,
      source,
      offset,
    });
  }
  const tokens = tokenize(source);
  if (tokens.length === 0) {
    throw new CompileError({ code: 'empty-expression', message: 'empty expression', source, offset: 0 });
  }
  if (tokens.length + usedTokens > limits.maxNodes) {
    const t = tokens[Math.max(0, limits.maxNodes - usedTokens)]!;
    throw new CompileError({
      code: 'limit',
      message: `expression has more than ${limits.maxNodes} tokens${together(usedTokens)} (limits.maxNodes)`,
      source,
      offset: t.startOffset,
    });
  }
  if (totals) {
    totals.source += source.length;
    totals.tokens += tokens.length;
  }
  checkNesting(tokens, source, limits);
  parser.source = source;
  parser.input = tokens;
  const ast = parser.expression();
  const errors = parser.errors;
  if (errors.length > 0) throw syntaxError(errors[0]!, source);
  const depth = checkDepth(ast, source, limits);
  if (totals && depth > totals.depth) totals.depth = depth;
  return ast;
}

function syntaxError(e: IRecognitionException, source: string): CompileError {
  const token = e.token;
  const atEnd = token.tokenType === EOF || Number.isNaN(token.startOffset);
  return new CompileError({
    code: 'syntax',
    message: e.message,
    source,
    offset: atEnd ? source.trimEnd().length : token.startOffset,
    length: atEnd ? 1 : token.image.length,
  });
}

/** The parser's rules as Chevrotain grammar productions (a test compares them with grammar/). */
export function grammarProductions(): Record<string, { definition: import('chevrotain').IProduction[] }> {
  return parser.getGAstProductions();
}
