/**
 * Property tests (fast-check) for the engine's invariants:
 *  1. compiling any string either succeeds or throws CompileError, nothing else;
 *  2. printing a parsed AST and parsing it back gives the same AST;
 *  3. optimised and unoptimised programs agree on random programs and inputs;
 *  4. evaluating any compiled program on any variables never throws;
 *  5. under any cost budget, evaluation throws nothing but EvaluationError;
 *  6. the estimated worst case bounds what an evaluation spends, and the metered closures
 *     (those of `explain`) agree with the others;
 *  7. `dedup` and `is_intersect` (linear) agree with their definitions (pairwise equality).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Node } from '../../src/language/syntax/ast.js';
import { stripSpans } from '../../src/language/syntax/ast.js';
import { compile, CompileError, EvaluationError, MAX_LIMITS, parse, prepareVariables, print, type HostValue } from '../../src/language/index.js';
import { BUILTIN_FUNCTIONS, constant } from '../../src/language/index.js';
import { equals, Float, type Value } from '../../src/language/runtime/values.js';
import { sameJson } from '../support/helpers.js';

// ---------------------------------------------------------------------------
// Generators

const SOUP = [
  'a', 'x', 'rcpt', 'local_port', 'from.domain', 'len', 'matches', 'system', 'true', '0', '1', '25', '1.5', '.5', '5s', '100ms',
  "'", '"', '\\', '$', '$1', '$SPAM', '(', ')', '[', ']', ',', '+', '-', '*', '/', '!', '^', '&', '&&', '|', '||', '=', '==',
  '!=', '<', '<=', '=<', '>', '>=', '=>', ' ', '\n', '\t', '#', '?', 'é', '😀', '.', '_',
];

/** Strings that look like the language (most random strings fail in the lexer at once). */
const languageLike = fc.array(fc.constantFrom(...SOUP), { maxLength: 24 }).map((parts) => parts.join(''));
const anyString = fc.oneof(languageLike, fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ maxLength: 40 }));

const IDENTIFIERS = ['rcpt', 'sender', 'from.domain', 'x_1', 'local_port'];
const STRING_PIECES = ['a', 'b', '@', '.', ' ', 'é', '\\.', "\\'", '"', '1', '-'];

const syntacticLeaf: fc.Arbitrary<Node> = fc.oneof(
  fc.nat({ max: 1_000_000 }).map((value): Node => ({ kind: 'literal', value, span: { start: 0, end: 0 } })),
  fc
    .double({ min: 0, max: 1e25, noNaN: true, noDefaultInfinity: true })
    .map((value): Node => ({ kind: 'literal', value: new Float(value), span: { start: 0, end: 0 } })),
  fc
    .array(fc.constantFrom(...STRING_PIECES), { maxLength: 6 })
    .map((p): Node => ({ kind: 'literal', value: p.join(''), span: { start: 0, end: 0 } })),
  fc.constantFrom(...IDENTIFIERS).map((name): Node => ({ kind: 'identifier', name, span: { start: 0, end: 0 } })),
  fc.constantFrom('SPAM', 'A.B').map((name): Node => ({ kind: 'global', name, span: { start: 0, end: 0 } })),
  fc.nat({ max: 12 }).map((index): Node => ({ kind: 'capture', index, span: { start: 0, end: 0 } })),
);

const BINARY_OPS = ['||', '&&', '^', '==', '!=', '<', '<=', '>', '>=', '+', '-', '*', '/'] as const;
const span = { start: 0, end: 0 };

const syntacticTree = fc.letrec<{ node: Node }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    syntacticLeaf,
    fc.record({ op: fc.constantFrom('!', '-'), operand: tie('node') }).map((r): Node => ({ kind: 'unary', op: r.op as '!' | '-', operand: r.operand, span })),
    fc.record({ op: fc.constantFrom(...BINARY_OPS), left: tie('node'), right: tie('node') }).map((r): Node => ({ kind: 'binary', ...r, span })),
    fc.record({ target: tie('node'), index: tie('node') }).map((r): Node => ({ kind: 'index', ...r, span })),
    fc.array(tie('node'), { maxLength: 3 }).map((items): Node => ({ kind: 'array', items, span })),
    fc
      .record({ name: fc.constantFrom('len', 'f', 'split'), args: fc.array(tie('node'), { maxLength: 3 }) })
      .map((r): Node => ({ kind: 'call', ...r, span, nameSpan: span })),
  ),
})).node;

// Well-formed programs: every name resolves and every call has its arity.
const VARIABLES = ['rcpt', 'sender', 'local_port', 'is_tls', 'recipients', 'octets', 'subject'];
const SYNC_FUNCTIONS: Array<[string, number]> = [
  ['trim', 1], ['len', 1], ['to_lowercase', 1], ['is_uppercase', 1], ['count_chars', 1], ['contains', 2],
  ['contains_ignore_case', 2], ['eq_ignore_case', 2], ['starts_with', 2], ['strip_suffix', 2], ['substring', 3],
  ['lines', 1], ['split', 2], ['rsplit_once', 2], ['split_n', 3], ['split_words', 1], ['hash', 2], ['count', 1],
  ['sort', 2], ['dedup', 1], ['winnow', 1], ['is_intersect', 2], ['is_email', 1], ['email_part', 2], ['is_empty', 1],
  ['is_number', 1], ['is_ip_addr', 1], ['is_ip_in_cidr', 2], ['ip_reverse_name', 1], ['if_then', 3],
];
const PATTERNS = ["'^([^@]+)@(.+)$'", "'^[a-z]*(@)[^.]+'", "'^(x?)-'", "'(?i)^ab'", "'[0-9]+'", "'(a)?(b)'"];

const programLeaf = fc.oneof(
  fc.constantFrom(...VARIABLES),
  fc.integer({ min: -5, max: 300 }).map(String),
  fc.constantFrom('0.5', '2.0', "''", "'abc'", "'25'", "'user@example.org'", "'10.1.2.3'", "'10.0.0.0/8'", "'md5'", "','", "' '"),
  fc.constantFrom('plain', 'login', 'true', 'false', '5s', '$SPAM', '$0', '$1', '$2', "system('hostname')", "metric('load')"),
);

const programSource = fc.letrec<{ e: string }>((tie) => ({
  e: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    programLeaf,
    fc.tuple(fc.constantFrom('!', '-'), tie('e')).map(([op, e]) => `${op}(${e})`),
    fc.tuple(tie('e'), fc.constantFrom(...BINARY_OPS), tie('e')).map(([a, op, b]) => `(${a}) ${op} (${b})`),
    fc.tuple(tie('e'), tie('e')).map(([a, b]) => `(${a})[${b}]`),
    fc.array(tie('e'), { maxLength: 3 }).map((items) => `[${items.join(', ')}]`),
    fc.tuple(fc.constantFrom(...PATTERNS), tie('e')).map(([p, e]) => `matches(${p}, ${e})`),
    fc
      .constantFrom(...SYNC_FUNCTIONS)
      .chain(([name, arity]) => fc.array(tie('e'), { minLength: arity, maxLength: arity }).map((args) => `${name}(${args.join(', ')})`)),
  ),
})).e;

const programBlock = fc
  .tuple(fc.array(fc.tuple(programSource, programSource), { maxLength: 3 }), programSource)
  .map(([conds, otherwise]) => ({ match: conds.map(([c, t]) => ({ if: c, then: t })), else: otherwise }));

/** If/then ladders comparing one expression with literals (compiled to a table lookup). */
const ladderBlock = fc
  .tuple(
    fc.constantFrom('octets[3]', 'local_port', 'rcpt', '$SPAM', 'recipients[0]'),
    fc.array(fc.constantFrom('2', "'2'", '3', "'x'", "''", '0', "'02'", '2.0', "'1e0'", '1'), { minLength: 4, maxLength: 8 }),
    fc.boolean(),
  )
  .map(([key, literals, flip]) => ({
    match: literals.map((lit, i) => ({ if: flip ? `${lit} == ${key}` : `${key} == ${lit}`, then: String(i) })),
    else: "'none'",
  }));

/** Tests of known variables against literals, alone and in chains (the fused leaves of fast.ts). */
const leafTest = fc.oneof(
  fc
    .tuple(fc.constantFrom(...VARIABLES), fc.constantFrom('==', '!=', '<', '<=', '>', '>='), fc.constantFrom('25', '0', '-3', '2', "'25'", "'x'", "''", "'2'"), fc.boolean())
    .map(([name, op, lit, flip]) => (flip ? `${lit} ${op} ${name}` : `${name} ${op} ${lit}`)),
  fc.constantFrom(...VARIABLES),
  fc.constantFrom(...VARIABLES).map((name) => `!${name}`),
  // Predicates with a test on the raw host value (FunctionSpec.hostTest).
  fc
    .tuple(fc.constantFrom('starts_with', 'ends_with', 'contains'), fc.constantFrom(...VARIABLES), fc.constantFrom("'2'", "'x'", "''", "'@'", "'a,b'"))
    .map(([f, name, lit]) => `${f}(${name}, ${lit})`),
  fc
    .tuple(fc.constantFrom("['2', 'x']", "['']", "['1', '2', '3', '4', '5', '6', '7', '8', '9', 'x']", "['25', '02']"), fc.constantFrom(...VARIABLES))
    .map(([list, name]) => `contains(${list}, ${name})`),
);
const leafChain = fc
  .array(fc.tuple(fc.constantFrom('&&', '||'), leafTest), { minLength: 1, maxLength: 4 })
  .map((parts) => parts.map(([op, t], i) => (i === 0 ? t : `${op} ${t}`)).join(' '));
/** Sums that start with a text literal (concatenated directly while every term is a string or an integer). */
const textSum = fc
  .tuple(
    fc.constantFrom("'mx.'", "'a'", "'-'"),
    fc.array(fc.oneof(fc.constantFrom(...VARIABLES), fc.constantFrom("'-'", "''", '3', '-7', '2.5', '[1]', 'plain', "'é'")), { minLength: 1, maxLength: 5 }),
  )
  .map(([head, terms]) => [head, ...terms].join(' + '));

/** Blocks whose results are all literals (returned as they are, converted at compile time). */
const literalBlock = fc
  .tuple(fc.array(leafChain, { minLength: 1, maxLength: 3 }), fc.constantFrom('[plain, login]', "['a', 2]", '[1.5, [2.5]]', '2.5', "'x'", 'false', '[]'))
  .map(([whens, otherwise]) => ({ match: whens.map((when, i) => ({ if: when, then: ['[plain, login]', "'x'", '[0.5]', '3'][i]! })), else: otherwise }));

/** A host value in canonical JSON form, to compare what `evaluate` returns. */
function hostJson(v: HostValue | null): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map((x) => hostJson(x as HostValue));
  return { constant: (v as { name: string }).name };
}

const scalar = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom('user@example.org', '10.1.2.3', '::ffff:10.1.2.3', 'ABC', '25', '1.5', ''),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
);
const hostValue = fc.oneof(scalar, fc.array(scalar, { maxLength: 4 }), fc.array(fc.array(scalar, { maxLength: 2 }), { maxLength: 2 }));
const variables = fc.dictionary(fc.constantFrom(...VARIABLES), fc.oneof(hostValue, fc.constantFrom(2, '2', 'x', '02', 1, '1', [127, 0, 0, 2], ['2'], [0, 0, 0, '3'])));
const environment = fc.record({
  system: fc.dictionary(fc.constantFrom('hostname', 'domain'), scalar),
  globals: fc.dictionary(fc.constantFrom('SPAM'), fc.oneof(scalar, fc.constantFrom(2, '2', 'x', 3))),
  metrics: fc.dictionary(fc.constantFrom('load'), fc.double()),
});

/** Hostile host inputs: odd types, prototype tricks, cycles. */
const hostile = fc.oneof(
  hostValue,
  fc.constantFrom<unknown>(
    { toString: () => 'x' },
    Symbol('s'),
    () => 1,
    10n ** 30n,
    Number.MAX_VALUE,
    -0,
    NaN,
    Infinity,
    new Date(0),
    new Map([['a', 1]]),
    Object.create(null),
  ),
);
const hostileVars = fc.oneof(
  fc.dictionary(fc.constantFrom(...VARIABLES, '__proto__', 'constructor'), hostile),
  fc.constant(Object.create({ rcpt: 'inherited', local_port: 25 })),
);

/** Variables with large values too, so that the sizes the cost counts vary. */
const sizedVars = fc.dictionary(
  fc.constantFrom(...VARIABLES),
  fc.oneof(
    hostValue,
    fc.tuple(fc.constantFrom('a', 'A,b ', '1', 'é@x.'), fc.integer({ min: 1, max: 3000 })).map(([s, n]) => s.repeat(n)),
    fc.array(fc.constantFrom('a', 'B', '1', 2, '', 'x,y'), { maxLength: 300 }),
  ),
);

/** Limits of any allowed value, the cost budget low enough to stop many evaluations. */
const anyLimits = fc.record(
  {
    maxCost: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: MAX_LIMITS.maxCost })),
    maxMatchLength: fc.integer({ min: 1, max: MAX_LIMITS.maxMatchLength }),
    maxDepth: fc.integer({ min: 1, max: MAX_LIMITS.maxDepth }),
    maxNesting: fc.integer({ min: 1, max: MAX_LIMITS.maxNesting }),
  },
  { requiredKeys: ['maxCost'] },
);

/** Values whose equality crosses kinds: numeric text, text that reads as 0, floats, NaN, constants, lists of them. */
const trickyScalar = fc.constantFrom<Value>('abc', 'x', '0', '00', '1', '1.0', '1e0', '+1', '', 0, 1, -1, 2, new Float(1), new Float(0), new Float(-0), new Float(NaN), constant('plain'), constant('login'));
const trickyValue: fc.Arbitrary<Value> = fc.oneof(
  { weight: 3, arbitrary: trickyScalar },
  { weight: 1, arbitrary: fc.array(fc.oneof(trickyScalar, fc.array(trickyScalar, { maxLength: 2 })), { maxLength: 3 }) },
);

function parseOrNull(source: string): Node | null {
  try {
    return parse(source);
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------

describe('properties', () => {
  it('(1) compiling any string succeeds or throws a positioned CompileError', () => {
    fc.assert(
      fc.property(anyString, fc.constantFrom(undefined, 'MtaEhloVariable', 'SpamIpVariable'), (source, group) => {
        try {
          compile(source, group ? { variables: group } : {});
        } catch (e) {
          expect(e).toBeInstanceOf(CompileError);
          const err = e as CompileError;
          expect(err.line).toBeGreaterThanOrEqual(1);
          expect(err.column).toBeGreaterThanOrEqual(1);
          expect(err.offset).toBeGreaterThanOrEqual(0);
          expect(err.offset).toBeLessThanOrEqual(source.length);
          expect(err.snippet).toContain('^');
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('(1) compiling any block succeeds or throws CompileError naming its part', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(anyString, anyString), { maxLength: 3 }), anyString, (conds, otherwise) => {
        try {
          compile({ match: conds.map(([c, t]) => ({ if: c, then: t })), else: otherwise });
        } catch (e) {
          expect(e).toBeInstanceOf(CompileError);
          expect((e as CompileError).part).toBeDefined();
        }
      }),
      { numRuns: 500 },
    );
  });

  it('(2) print then parse gives the same AST, for random trees', () => {
    fc.assert(
      fc.property(syntacticTree, (ast) => {
        const text = print(ast);
        expect(stripSpans(parse(text)), text).toEqual(stripSpans(ast));
      }),
      { numRuns: 2000 },
    );
  });

  it('(2) print then parse gives the same AST, for random source strings', () => {
    fc.assert(
      fc.property(fc.oneof(languageLike, programSource), (source) => {
        const ast = parseOrNull(source);
        if (ast === null) return;
        expect(stripSpans(parse(print(ast))), source).toEqual(stripSpans(ast));
      }),
      { numRuns: 2000 },
    );
  });

  it('(3) optimised and unoptimised programs agree', () => {
    fc.assert(
      fc.property(fc.oneof(programSource, programBlock, ladderBlock, leafChain, literalBlock, textSum), variables, environment, (source, vars, env) => {
        const optimized = compile(source);
        const plain = compile(source, { optimize: false });
        const a = optimized.evaluateJson(vars, env);
        const b = plain.evaluateJson(vars, env);
        expect(sameJson(a, b), `${JSON.stringify(source)}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`).toBe(true);
        // The same variables prepared once (one hidden class for every object).
        const prepared = optimized.evaluateJson(prepareVariables(vars), env);
        expect(sameJson(prepared, b), `${JSON.stringify(source)} prepared: ${JSON.stringify(prepared)} vs ${JSON.stringify(b)}`).toBe(true);
        // What `evaluate` gives the host (literal results returned as they are, stateless programs).
        const hostA = hostJson(optimized.evaluate(vars, env));
        const hostB = hostJson(plain.evaluate(vars, env));
        expect(sameJson(hostA, hostB), `${JSON.stringify(source)}: ${JSON.stringify(hostA)} vs ${JSON.stringify(hostB)}`).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('(5) under any budget and limits, evaluation throws nothing but EvaluationError', async () => {
    const stopped = new Set<string>();
    await fc.assert(
      fc.asyncProperty(fc.oneof(programSource, programBlock), fc.oneof(hostileVars, sizedVars), environment, anyLimits, async (source, vars, env, limits) => {
        let program;
        try {
          program = compile(source, { limits });
        } catch (e) {
          expect(e).toBeInstanceOf(CompileError);
          return;
        }
        const v = vars as Record<string, unknown>;
        for (const run of [() => program.evaluate(v, env), () => program.evaluateAsync(v, env), () => program.explain(v, env)]) {
          try {
            await run();
          } catch (e) {
            expect(e, `${JSON.stringify(source)} ${JSON.stringify(limits)}`).toBeInstanceOf(EvaluationError);
            expect(['limit', 'budget']).toContain((e as EvaluationError).code);
            stopped.add((e as EvaluationError).code);
          }
        }
      }),
      { numRuns: 1500 },
    );
    // Both ways of stopping were met.
    expect([...stopped].sort()).toEqual(['budget', 'limit']);
  });

  it('(6) what an evaluation spends is within the estimate, and the metered closures agree', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(programSource, programBlock, ladderBlock), sizedVars, environment, async (source, vars, env) => {
        const program = compile(source);
        let value;
        try {
          value = program.evaluateJson(vars, env);
        } catch (e) {
          // A value past the runtime's sizes fails the same way metered.
          expect(e).toBeInstanceOf(EvaluationError);
          await expect(program.explain(vars, env)).rejects.toMatchObject({ code: (e as EvaluationError).code });
          return;
        }
        const x = await program.explain(vars, env);
        expect(sameJson(x.value, value), `${JSON.stringify(source)}: ${JSON.stringify(x.value)} vs ${JSON.stringify(value)}`).toBe(true);
        expect(x.cost.spent).toBeGreaterThan(0);
        expect(x.cost.spent, JSON.stringify(source)).toBeLessThanOrEqual(program.cost);
      }),
      { numRuns: 1500 },
    );
  });

  it('(7) dedup and is_intersect agree with pairwise equality', () => {
    const dedup = BUILTIN_FUNCTIONS.get('dedup')!.fn!;
    const isIntersect = BUILTIN_FUNCTIONS.get('is_intersect')!.fn!;
    fc.assert(
      fc.property(fc.array(trickyValue, { maxLength: 12 }), fc.array(trickyValue, { maxLength: 12 }), (a, b) => {
        const kept: Value[] = [];
        for (const item of a) if (!kept.some((k) => equals(k, item))) kept.push(item);
        expect(dedup(a)).toEqual(kept);
        expect(isIntersect(a, b)).toBe(a.some((x) => b.some((y) => equals(x, y))) ? 1 : 0);
      }),
      { numRuns: 3000 },
    );
  });

  it('(4) evaluation never throws, whatever the host passes', () => {
    fc.assert(
      fc.property(fc.oneof(programSource, programBlock), hostileVars, environment, (source, vars, env) => {
        const program = compile(source);
        let value: HostValue | null = null;
        expect(() => {
          value = program.evaluate(vars as Record<string, unknown>, env);
        }).not.toThrow();
        expect(() => JSON.stringify(value)).not.toThrow();
        // Prepared, the same hostile variables give the same value.
        expect(sameJson(program.evaluateJson(prepareVariables(vars as object), env), program.evaluateJson(vars as object, env)), JSON.stringify(source)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });
});
