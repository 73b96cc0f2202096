/**
 * The grammar in grammar/expression.ebnf is the contract. These tests prove the parser
 * matches it:
 *  1. structurally: every rule of the Chevrotain parser, serialised, equals the grammar's rule;
 *  2. lexically: every token pattern and operator class equals the grammar's;
 *  3. behaviourally: on random token sequences, the parser accepts exactly when a recogniser
 *     built from the grammar file accepts.
 */
import type { IProduction, TokenType } from 'chevrotain';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CompileError } from '../../src/language/errors/index.js';
import * as L from '../../src/language/syntax/lexer.js';
import { grammarProductions, parse } from '../../src/language/syntax/parser.js';
import { ROOT } from '../support/helpers.js';

// ---------------------------------------------------------------------------
// Reading the grammar file

type G =
  | { t: 'alt'; items: G[] }
  | { t: 'seq'; items: G[] }
  | { t: 'rep'; item: G }
  | { t: 'opt'; item: G }
  | { t: 'name'; name: string }
  | { t: 'lit'; text: string };

const text = readFileSync(join(ROOT, 'grammar', 'expression.ebnf'), 'utf8').replace(/\(\*[\s\S]*?\*\)/g, '');
const ruleLines = new Map<string, string>();
for (const line of text.split('\n')) {
  const m = /^([A-Za-z_]+)\s*::=\s*(.*)$/.exec(line.trim());
  if (m) ruleLines.set(m[1]!, m[2]!.trim());
}
const SYNTAX_RULES = [...ruleLines.keys()].filter((n) => /^[a-z]/.test(n));

function parseRule(body: string): G {
  const tokens = body.match(/'[^']*'|[A-Za-z_]+|[()|*?]/g) ?? [];
  let i = 0;
  const alt = (): G => {
    const items = [seq()];
    while (tokens[i] === '|') {
      i++;
      items.push(seq());
    }
    return items.length === 1 ? items[0]! : { t: 'alt', items };
  };
  const seq = (): G => {
    const items: G[] = [];
    while (i < tokens.length && tokens[i] !== '|' && tokens[i] !== ')') {
      let atom: G;
      const tok = tokens[i++]!;
      if (tok === '(') {
        atom = alt();
        expect(tokens[i++]).toBe(')');
      } else if (tok.startsWith("'")) atom = { t: 'lit', text: tok.slice(1, -1) };
      else atom = { t: 'name', name: tok };
      if (tokens[i] === '*') {
        i++;
        atom = { t: 'rep', item: atom };
      } else if (tokens[i] === '?') {
        i++;
        atom = { t: 'opt', item: atom };
      }
      items.push(atom);
    }
    return items.length === 1 ? items[0]! : { t: 'seq', items };
  };
  const g = alt();
  expect(i).toBe(tokens.length);
  return g;
}

const grammar = new Map(SYNTAX_RULES.map((n) => [n, parseRule(ruleLines.get(n)!)]));

/** Canonical text of a grammar node: groups always parenthesised, alternatives in order. */
function canon(g: G): string {
  switch (g.t) {
    case 'alt':
      return `(${g.items.map(canon).join(' | ')})`;
    case 'seq':
      return g.items.map(canon).join(' ');
    case 'rep':
      return `(${inner(g.item)})*`;
    case 'opt':
      return `(${inner(g.item)})?`;
    case 'name':
      return g.name;
    case 'lit':
      return `'${g.text}'`;
  }
}
const inner = (g: G): string => (g.t === 'alt' ? g.items.map(canon).join(' | ') : canon(g));

// ---------------------------------------------------------------------------
// Reading the parser

const RULE_NAMES: Record<string, string> = {
  expression: 'expression',
  orRule: 'or',
  andRule: 'and',
  xorRule: 'xor',
  equalityRule: 'equality',
  relationRule: 'relation',
  additiveRule: 'additive',
  termRule: 'term',
  unaryRule: 'unary',
  postfixRule: 'postfix',
  primaryRule: 'primary',
  callRule: 'call',
  arrayRule: 'array',
};

const TOKEN_NAMES = new Map<TokenType, string>([
  [L.OrOp, 'OR_OP'],
  [L.AndOp, 'AND_OP'],
  [L.EqualityOp, 'EQUALITY_OP'],
  [L.RelationOp, 'RELATION_OP'],
  [L.AdditiveOp, 'ADDITIVE_OP'],
  [L.MultiplicativeOp, 'MULTIPLICATIVE_OP'],
  [L.UnaryOp, 'UNARY_OP'],
  [L.NumberLiteral, 'NUMBER'],
  [L.StringLiteral, 'STRING'],
  [L.Identifier, 'IDENTIFIER'],
  [L.Global, 'GLOBAL'],
  [L.Capture, 'CAPTURE'],
  [L.Caret, "'^'"],
  [L.LParen, "'('"],
  [L.RParen, "')'"],
  [L.LBracket, "'['"],
  [L.RBracket, "']'"],
  [L.Comma, "','"],
]);

function canonGast(p: IProduction): string {
  const seq = (defs: IProduction[]): string => defs.map(canonGast).join(' ');
  const name = p.constructor.name;
  const q = p as unknown as { definition: IProduction[]; terminalType: TokenType; nonTerminalName: string };
  switch (name) {
    case 'Terminal': {
      const n = TOKEN_NAMES.get(q.terminalType);
      if (!n) throw new Error(`token ${q.terminalType.name} has no grammar name`);
      return n;
    }
    case 'NonTerminal':
      return RULE_NAMES[q.nonTerminalName] ?? `?${q.nonTerminalName}`;
    case 'Repetition':
      return `(${seq(q.definition)})*`;
    case 'Option':
      return `(${seq(q.definition)})?`;
    case 'Alternation':
      return `(${q.definition.map((a) => seq((a as unknown as { definition: IProduction[] }).definition)).join(' | ')})`;
    default:
      throw new Error(`production ${name} is not in the grammar notation`);
  }
}

describe('grammar/expression.ebnf', () => {
  const productions = grammarProductions();

  it('has the same rules as the parser', () => {
    expect(new Set(SYNTAX_RULES)).toEqual(new Set(Object.keys(productions).map((n) => RULE_NAMES[n] ?? n)));
  });

  it.each(SYNTAX_RULES)('rule `%s` is the parser rule', (rule) => {
    const parserName = Object.keys(RULE_NAMES).find((k) => RULE_NAMES[k] === rule)!;
    const fromParser = productions[parserName]!.definition.map(canonGast).join(' ');
    expect(fromParser).toBe(canon(grammar.get(rule)!));
  });

  it('defines the lexer token patterns', () => {
    const regex = (name: string): string => /^\/(.*)\/([a-z]*)\s*$/.exec(ruleLines.get(name)!)![1]!;
    const pattern = (t: TokenType): string => (t.PATTERN as RegExp).source;
    expect(regex('WHITESPACE')).toBe(pattern(L.WhiteSpace));
    expect(regex('STRING')).toBe(pattern(L.StringLiteral));
    expect(regex('NUMBER')).toBe(pattern(L.NumberLiteral));
    expect(regex('CAPTURE')).toBe(pattern(L.Capture));
    expect(regex('GLOBAL')).toBe(pattern(L.Global));
    expect(regex('IDENTIFIER')).toBe(pattern(L.Identifier));
    expect(regex('INTEGER')).toBe(L.INTEGER_LITERAL.source);
    expect(regex('FLOAT')).toBe(L.FLOAT_LITERAL.source);
    expect(regex('DURATION')).toBe(L.DURATION_LITERAL.source);
  });

  it('defines the operator classes', () => {
    const classes: Array<[string, TokenType]> = [
      ['OR_OP', L.OrOp],
      ['AND_OP', L.AndOp],
      ['EQUALITY_OP', L.EqualityOp],
      ['RELATION_OP', L.RelationOp],
      ['ADDITIVE_OP', L.AdditiveOp],
      ['MULTIPLICATIVE_OP', L.MultiplicativeOp],
      ['UNARY_OP', L.UnaryOp],
    ];
    for (const [name, category] of classes) {
      const inGrammar = new Set(ruleLines.get(name)!.match(/'[^']*'/g)!.map((s) => s.slice(1, -1)));
      const inLexer = new Set(L.allTokens.filter((t) => t.CATEGORIES?.includes(category)).map((t) => t.PATTERN as string));
      expect(inLexer, name).toEqual(inGrammar);
    }
  });
});

// ---------------------------------------------------------------------------
// A recogniser built from the grammar file, compared with the parser on random input

const WORDS: Record<string, string[]> = {
  NUMBER: ['1', '2.5', '5s'],
  STRING: ["'s'"],
  IDENTIFIER: ['x', 'f'],
  GLOBAL: ['$G'],
  CAPTURE: ['$1'],
};
const TOKEN_CLASSES = new Map<string, string[]>();
for (const [cls, words] of Object.entries(WORDS)) for (const w of words) TOKEN_CLASSES.set(w, [cls]);
for (const name of ruleLines.keys()) {
  if (!name.endsWith('_OP')) continue;
  for (const lit of ruleLines.get(name)!.match(/'[^']*'/g)!) {
    const w = lit.slice(1, -1);
    TOKEN_CLASSES.set(w, [...(TOKEN_CLASSES.get(w) ?? []), name]);
  }
}
for (const w of ['^', '(', ')', '[', ']', ',']) TOKEN_CLASSES.set(w, []);
const ALPHABET = [...TOKEN_CLASSES.keys()];

/** End positions reachable by matching `g` from `pos` (the grammar has no left recursion). */
function ends(g: G, input: string[], pos: number, memo: Map<string, Set<number>>): Set<number> {
  switch (g.t) {
    case 'lit':
      return new Set(input[pos] === g.text ? [pos + 1] : []);
    case 'name': {
      if (grammar.has(g.name)) {
        const key = `${g.name}@${pos}`;
        let r = memo.get(key);
        if (!r) {
          memo.set(key, new Set());
          r = ends(grammar.get(g.name)!, input, pos, memo);
          memo.set(key, r);
        }
        return r;
      }
      const w = input[pos];
      return new Set(w !== undefined && TOKEN_CLASSES.get(w)?.includes(g.name) ? [pos + 1] : []);
    }
    case 'alt':
      return new Set(g.items.flatMap((i) => [...ends(i, input, pos, memo)]));
    case 'seq': {
      let at = new Set([pos]);
      for (const item of g.items) at = new Set([...at].flatMap((p) => [...ends(item, input, p, memo)]));
      return at;
    }
    case 'opt':
      return new Set([pos, ...ends(g.item, input, pos, memo)]);
    case 'rep': {
      const all = new Set([pos]);
      let frontier = [pos];
      while (frontier.length > 0) {
        const next: number[] = [];
        for (const p of frontier) for (const e of ends(g.item, input, p, memo)) if (!all.has(e)) (all.add(e), next.push(e));
        frontier = next;
      }
      return all;
    }
  }
}

function grammarAccepts(words: string[]): boolean {
  return ends({ t: 'name', name: 'expression' }, words, 0, new Map()).has(words.length);
}

function parserAccepts(words: string[]): boolean {
  try {
    parse(words.join(' '));
    return true;
  } catch (e) {
    if (!(e instanceof CompileError)) throw e;
    return false;
  }
}

/** Random sentences of the grammar, for the accepting side (random tokens are mostly rejected). */
function sentence(g: G, depth: number, rand: () => number): string[] {
  switch (g.t) {
    case 'lit':
      return [g.text];
    case 'name': {
      if (grammar.has(g.name)) return sentence(grammar.get(g.name)!, depth + 1, rand);
      const words = ALPHABET.filter((w) => TOKEN_CLASSES.get(w)!.includes(g.name));
      return [words[Math.floor(rand() * words.length)]!];
    }
    case 'alt': {
      // Deep down, take the last alternative of `unary`/`primary` that does not recurse.
      const choices = depth > 8 ? g.items.filter((i) => !JSON.stringify(i).includes('"expression"') && !JSON.stringify(i).includes('"unary"')) : g.items;
      const pick = (choices.length ? choices : g.items)[Math.floor(rand() * (choices.length || g.items.length))]!;
      return sentence(pick, depth, rand);
    }
    case 'seq':
      return g.items.flatMap((i) => sentence(i, depth, rand));
    case 'opt':
      return depth < 8 && rand() < 0.5 ? sentence(g.item, depth, rand) : [];
    case 'rep': {
      const n = depth < 8 ? Math.floor(rand() * 3) : 0;
      return Array.from({ length: n }, () => sentence(g.item, depth, rand)).flat();
    }
  }
}

describe('the parser accepts exactly the grammar', () => {
  it('agrees with the grammar recogniser on random token sequences', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...ALPHABET), { minLength: 1, maxLength: 9 }), (words) => {
        expect(parserAccepts(words)).toBe(grammarAccepts(words));
      }),
      { numRuns: 3000 },
    );
  });

  it('accepts random sentences generated from the grammar', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), (seed) => {
        let x = seed;
        const rand = (): number => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
        const words = sentence({ t: 'name', name: 'expression' }, 0, rand);
        expect(grammarAccepts(words)).toBe(true);
        expect(parserAccepts(words), words.join(' ')).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
