/**
 * Checks (SPEC §5, §6, §8–§10): resolves identifiers to variables and constants in the
 * field's context, checks calls (names, arities, literal arguments), compiles regular
 * expressions, and records what the program needs at run time.
 */
import { ALL_CONSTANT_SET, ALL_VARIABLE_SET, CONSTANT_GROUPS, groupsOf, VARIABLE_GROUPS } from '../contexts.js';
import type { BlockPart, Fix } from '../errors/diagnostic.js';
import { CompileError, type ErrorCode } from '../errors/errors.js';
import type { Span } from '../errors/snippet.js';
import { listNames } from '../errors/suggest.js';
import { BINARY_OPERATORS } from '../operators.js';
import type { RE2JS } from 're2js';
import type { CallNode, IdentifierNode, Node } from '../syntax/ast.js';
import { hyphenated, hyphenatedWord, oldArity, swappedMatches, unavailableConstant, unavailableVariable, unknownFunction, unknownName, type Position } from './hints.js';
import type { Scope } from './scope.js';
import { SPECIAL_FORMS, type CheckContext } from './special-forms.js';

/** What a checked program uses; the compiler allocates only what is needed. */
export interface Usage {
  variables: Set<string>;
  /** What the program's regular expressions count against limits.maxRegexSize. */
  regexSize: number;
  /** The program's regular expressions, compiled once per pattern (made with the first). */
  regexes: Map<string, RE2JS> | null;
  /** Calls a host lookup: only evaluateAsync can run it. */
  isAsync: boolean;
  /** Uses `matches` or reads `$n`: evaluation needs a capture list. */
  usesCaptures: boolean;
  /** Reads `$n`. */
  readsCaptures: boolean;
  /**
   * May build values (`+`, `-`, functions that build, scan or index): without these and without
   * `matches` or captures, every node costs at most 1 unit beside the items of an array.
   */
  builds: boolean;
}

export function newUsage(): Usage {
  return { variables: new Set(), regexSize: 0, regexes: null, isAsync: false, usesCaptures: false, readsCaptures: false, builds: false };
}

function fail(source: string, code: ErrorCode, message: string, span: Span, hint?: Fix): never {
  throw new CompileError({ code, message, source, offset: span.start, length: span.end - span.start, ...(hint ? { hint } : {}) });
}

/** Where the root of a part stands: the test of an `if`, or a result (`then`, `else`, a single expression). */
function rootPosition(part: BlockPart | undefined): Position {
  return part?.kind === 'if' ? 'condition' : 'result';
}

export class Checker implements CheckContext {
  /** Where the node being checked stands (for choosing a fix-it hint). */
  private position: Position;
  /**
   * Whether constant folding may change the checked tree: a constant name, or an operation
   * whose operands are literals (decided for each node on its checked children, over-
   * approximating the folder's rules). When false, folding is a no-op and is skipped.
   */
  foldable = false;

  constructor(
    private readonly source: string,
    readonly scope: Scope,
    readonly usage: Usage,
    part?: BlockPart,
  ) {
    this.position = rootPosition(part);
  }

  fail(code: ErrorCode, message: string, span: Span, hint?: Fix): never {
    fail(this.source, code, message, span, hint);
  }

  /** Checks a node standing at `position`. */
  private at(node: Node, position: Position): Node {
    const saved = this.position;
    this.position = position;
    try {
      return this.check(node);
    } finally {
      this.position = saved;
    }
  }

  usesCaptures(): void {
    this.usage.usesCaptures = true;
  }

  regex(pattern: string, compile: () => RE2JS): RE2JS {
    const regexes = (this.usage.regexes ??= new Map());
    let regex = regexes.get(pattern);
    if (regex === undefined) {
      regex = compile();
      regexes.set(pattern, regex);
    }
    return regex;
  }

  countRegex(size: number, span: Span): void {
    const max = this.scope.limits.maxRegexSize;
    const total = (this.usage.regexSize += size);
    if (size > max) fail(this.source, 'limit', `regular expression too large: it counts ${size} against the limit of ${max} (limits.maxRegexSize)`, span);
    if (total > max) fail(this.source, 'limit', `regular expressions too large: together they count ${total} against the limit of ${max} (limits.maxRegexSize)`, span);
  }

  check(node: Node): Node {
    switch (node.kind) {
      case 'constant':
        this.foldable = true;
        return node;
      case 'literal':
      case 'variable':
      case 'system':
      case 'metric':
        return node;
      case 'global':
        return node;
      case 'capture':
        this.usage.usesCaptures = true;
        this.usage.readsCaptures = true;
        return node;
      case 'identifier':
        return this.identifier(node);
      case 'array': {
        const inner = this.position === 'result' ? 'result' : 'value';
        const items = node.items.map((item) => this.at(item, inner));
        if (allLiterals(items)) this.foldable = true;
        return { ...node, items };
      }
      case 'index': {
        const target = this.at(node.target, 'value');
        const index = this.at(node.index, 'value');
        if (target.kind === 'literal' && index.kind === 'literal') this.foldable = true;
        return { ...node, target, index };
      }
      case 'unary': {
        const operand = this.at(node.operand, node.op === '!' ? 'condition' : 'value');
        if (operand.kind === 'literal') this.foldable = true;
        return { ...node, operand };
      }
      case 'binary': {
        if (node.op === '+' || node.op === '-') this.usage.builds = true;
        if (node.op === '-') {
          const word = hyphenatedWord(node, this.source);
          const explained = word && hyphenated(word, node.span, this.scope);
          if (explained) fail(this.source, 'unknown-variable', explained.message, node.span, explained.hint);
        }
        const logical = node.op === '&&' || node.op === '||' || node.op === '^';
        const inner = logical && this.position === 'condition' ? 'condition' : 'value';
        const left = this.at(node.left, inner);
        const right = this.at(node.right, inner);
        // A literal on the left may decide `&&` and `||`; two literals fold under any operator.
        if (left.kind === 'literal' && (right.kind === 'literal' || BINARY_OPERATORS[node.op].shortCircuit !== undefined)) this.foldable = true;
        return { ...node, left, right };
      }
      case 'call':
        return this.call(node);
      case 'matches':
        return { ...node, value: this.at(node.value, 'value') };
    }
  }

  private identifier(node: IdentifierNode): Node {
    const { name, span } = node;
    const scope = this.scope;
    if (name === 'true' || name === 'false') return { kind: 'literal', value: name === 'true' ? 1 : 0, span };
    if (scope.variables.has(name)) {
      this.usage.variables.add(name);
      return { kind: 'variable', name, span };
    }
    if (scope.constants.has(name)) {
      this.foldable = true;
      return { kind: 'constant', name, span };
    }
    if (scope.functions.has(name) || SPECIAL_FORMS.has(name)) {
      fail(this.source, 'function-as-value', `\`${name}\` is a function: call it as \`${name}(…)\``, span);
    }
    if (ALL_VARIABLE_SET.has(name)) {
      const groups = groupsOf(VARIABLE_GROUPS, name);
      const here = scope.variableGroup ? ` (${scope.variableGroup})` : '';
      const { note, hint } = unavailableVariable(node, scope, this.position);
      fail(
        this.source,
        'variable-not-available',
        `variable \`${name}\` is not available in this context${here}; it belongs to ${listNames(groups, 6)}. Available here: ${listNames(scope.variables)}${note}`,
        span,
        hint,
      );
    }
    if (ALL_CONSTANT_SET.has(name)) {
      const groups = groupsOf(CONSTANT_GROUPS, name);
      const accepted = scope.constants.size === 0 ? 'this field accepts no constants' : `accepted constants: ${listNames(scope.constants)}`;
      fail(this.source, 'constant-not-available', `constant \`${name}\` is not available here (${accepted}); it belongs to ${listNames(groups)}`, span, unavailableConstant(node, scope, this.position));
    }
    const explained = unknownName(node, scope, this.position);
    fail(this.source, 'unknown-variable', explained.message, span, explained.hint);
  }

  private arity(node: CallNode, expected: number): void {
    const got = node.args.length;
    if (got !== expected) {
      const old = oldArity(node, this.source);
      fail(
        this.source,
        'arity',
        `\`${node.name}\` expects ${expected} argument${expected === 1 ? '' : 's'}, got ${got}${old?.note ?? ''}`,
        node.span,
        old?.hint,
      );
    }
  }

  literalString(node: CallNode, what: string): string {
    const arg = node.args[0]!;
    if (arg.kind !== 'literal' || typeof arg.value !== 'string') {
      const hint = node.name === 'matches' ? swappedMatches(node, this.source) : undefined;
      fail(this.source, 'literal-required', `the first argument of \`${node.name}\` must be a string literal (${what})`, arg.span, hint);
    }
    return arg.value;
  }

  private call(node: CallNode): Node {
    const { name } = node;
    const special = SPECIAL_FORMS.get(name);
    if (special !== undefined) {
      this.arity(node, special.arity);
      const saved = this.position;
      this.position = 'value';
      try {
        return special.check(node, this);
      } finally {
        this.position = saved;
      }
    }
    const spec = this.scope.functions.get(name);
    if (spec === undefined) {
      const why = unknownFunction(node, this.scope, this.source, this.position, [...this.scope.functions.keys(), ...SPECIAL_FORMS.keys()]);
      if (this.scope.variables.has(name) || ALL_VARIABLE_SET.has(name)) {
        // A variable called like a function: a name from another language (`size(x)`) still gets its hint.
        fail(this.source, 'not-a-function', `\`${name}\` is a variable, not a function${why.because ? `; ${why.because}` : ''}`, node.nameSpan, why.because ? why.hint : undefined);
      }
      if (this.scope.constants.has(name) || ALL_CONSTANT_SET.has(name)) {
        fail(this.source, 'not-a-function', `\`${name}\` is a constant, not a function`, node.nameSpan);
      }
      const detail = why.because ? `: ${why.because}` : why.didYouMean ? `; did you mean \`${why.didYouMean}\`?` : '';
      fail(this.source, 'unknown-function', `unknown function \`${name}\`${detail}`, node.nameSpan, why.hint);
    }
    this.arity(node, spec.arity);
    if (spec.async) this.usage.isAsync = true;
    if (spec.builds !== undefined || spec.scans !== undefined || spec.indexes) this.usage.builds = true;
    const args = node.args.map((arg) => this.at(arg, 'value'));
    if (spec.pure && allLiterals(args)) this.foldable = true;
    return { ...node, args };
  }
}

function allLiterals(nodes: readonly Node[]): boolean {
  for (const n of nodes) if (n.kind !== 'literal') return false;
  return true;
}

/** Checks a parsed expression in a scope; returns the resolved tree. Throws only CompileError. */
export function check(ast: Node, source: string, scope: Scope, usage: Usage = newUsage(), part?: BlockPart): Node {
  return new Checker(source, scope, usage, part).check(ast);
}
