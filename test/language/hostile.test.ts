/**
 * Hostile input: nothing may hang, overflow the stack or throw anything but CompileError
 * (compiling) and EvaluationError (evaluating). Speed is measured in bench/, not here;
 * these tests check outcomes. Those marked "(quadratic before)" took minutes or aborted the
 * process on the code before the change, and fail there by the test timeout.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile, CompileError, DEFAULT_LIMITS, EvaluationError, MAX_LIMITS, type CompileOptions } from '../../src/language/index.js';
import { ROOT } from '../support/helpers.js';

function evaluationError(f: () => unknown): EvaluationError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(EvaluationError);
    return e as EvaluationError;
  }
  throw new Error('evaluated');
}

function compileError(source: string, options = {}): CompileError {
  try {
    compile(source, options);
  } catch (e) {
    expect(e).toBeInstanceOf(CompileError);
    return e as CompileError;
  }
  throw new Error('compiled');
}

describe('regular expressions run in linear time', () => {
  it('matches a catastrophic-backtracking pattern against a 50,000-character subject', () => {
    const p = compile("matches('(a+)+$', subject)", { variables: 'SpamGenericVariable' });
    expect(p.evaluate({ subject: 'a'.repeat(50_000) + '!' })).toBe(0);
    expect(p.evaluate({ subject: 'a'.repeat(50_000) })).toBe(1);
  });

  it('refuses what RE2 refuses: backreferences, lookaround, huge repeats', () => {
    expect(compileError("matches('(a)\\1', x)").code).toBe('invalid-regex');
    expect(compileError("matches('(?=a)', x)").code).toBe('invalid-regex');
    expect(compileError("matches('((a{100}){100}){100}', x)").code).toBe('invalid-regex');
  });
});

describe('regular expressions have a bounded program and subject', () => {
  const options: CompileOptions = { variables: ['x'] };

  it('refuses, without compiling it, a pattern whose program is over limits.maxRegexSize (500,000 instructions from 3.5 KB)', () => {
    const e = compileError(`matches('${'a{1000}'.repeat(500)}', x)`, options);
    expect(e.code).toBe('limit');
    expect(e.detail).toContain('limits.maxRegexSize');
    expect(e.column).toBe(9);
  });

  it('counts the patterns of a program together, each distinct one once', () => {
    const pattern = '[a-z]{1000}';
    expect(compile(Array(20).fill(`matches('${pattern}', x)`).join(' || '), options).variables).toEqual(['x']);
    const distinct = Array.from({ length: 20 }, (_, i) => `matches('${pattern}${i}', x)`).join(' || ');
    expect(compileError(distinct, options).detail).toMatch(/together they count \d+ against the limit of 10000/);
    const block = { match: Array.from({ length: 20 }, (_, i) => ({ if: `matches('${pattern}${i}', x)`, then: '1' })), else: '0' };
    expect(compileError(block as never, options).part).toMatchObject({ kind: 'if' });
    expect(compile(distinct, { ...options, limits: { maxRegexSize: 30_000 } }).isAsync).toBe(false);
  });

  it('fails an evaluation whose value is longer than limits.maxMatchLength, rather than searching part of it', () => {
    const p = compile("matches('(?:[a-z]{100}){10}0', x)", options);
    const e = evaluationError(() => p.evaluate({ x: 'abcdefghijklmnopqrstuvwxyz'.repeat(40_330) }));
    expect(e.code).toBe('limit');
    expect(e.message).toContain('limits.maxMatchLength');
    expect(compile("matches('a', x)", { ...options, limits: { maxMatchLength: 4 } }).evaluate({ x: 'xxxa' })).toBe(1);
    expect(evaluationError(() => compile("matches('a', x)", { ...options, limits: { maxMatchLength: 4 } }).evaluate({ x: 'xxxxa' })).code).toBe('limit');
  });

  it('stops, before searching, a match that would cost more than the budget (9 s per MiB before)', () => {
    const p = compile("matches('(?:[a-z]{100}){10}0', x) && $0 != ''", options);
    expect(p.cost).toBeGreaterThan(p.costLimit);
    const subject = 'abcdefghijklmnopqrstuvwxyz'.repeat(2_500) + '0';
    expect(evaluationError(() => p.evaluate({ x: subject })).code).toBe('budget');
    expect(p.evaluate({ x: 'abcdefghijklmnopqrstuvwxyz'.repeat(40) + '0' })).toBe(1);
  });
});

describe('text read as a number (quadratic before: 500 s at 1 MiB)', () => {
  const digits = '1'.repeat(1 << 20);

  it('is parsed in linear time when compared, sorted, deduplicated or indexed', () => {
    const p = compile('x == 5 || x < 5 || x > 5 || 5 - x == 1 || is_intersect([x], [5, 6]) || contains([1, 2], x)', { variables: ['x'] });
    expect(p.evaluate({ x: digits + 'x' })).toBe(1);
    expect(compile('count(dedup([x, 1, 2, x]))', { variables: ['x'] }).evaluate({ x: digits + '.5e' })).toBe(3);
  });

  it('is parsed in linear time when folded at compile time', () => {
    const literal = `'${'1'.repeat(DEFAULT_LIMITS.maxSourceLength - 20)}x'`;
    expect(compile(`${literal} == 0`).parts[0]!.optimized).toMatchObject({ kind: 'literal', value: 1 });
  });
});

describe('dedup and is_intersect of mixed kinds (quadratic before: 1 s at 20k items)', () => {
  it('take linear time on 100,000 strings and numbers', () => {
    const items = Array.from({ length: 100_000 }, (_, i) => (i % 2 === 0 ? i : String(i)));
    expect(compile('count(dedup(x + x))', { variables: ['x'] }).evaluate({ x: items.slice(0, 50_000) })).toBe(50_000);
    expect(compile('is_intersect(x, y)', { variables: ['x', 'y'] }).evaluate({ x: items, y: ['-1', 99_999] })).toBe(1);
    const lists = compile('is_intersect(x, y)', { variables: ['x', 'y'] });
    expect(lists.evaluate({ x: items, y: items.slice(0, 20_000).map((i) => [i]) })).toBe(0);
    // Lists in a list cost more to index: 100,000 of them are past the budget.
    expect(evaluationError(() => lists.evaluate({ x: items, y: items.map((i) => [i]) })).code).toBe('budget');
  });
});

describe('limits give positioned errors, never a stack overflow', () => {
  it.each([
    ['parentheses', '('.repeat(100_000) + '1' + ')'.repeat(100_000)],
    ['brackets', '['.repeat(100_000) + ']'.repeat(100_000)],
    ['unary operators', '!'.repeat(100_000) + '1'],
    ['minus signs', '-'.repeat(100_000) + '1'],
    ['calls', 'len('.repeat(50_000) + '1' + ')'.repeat(50_000)],
    ['index chains', 'x' + '[0]'.repeat(50_000)],
  ])('deep %s', (_what, source) => {
    const e = compileError(source);
    expect(e.code).toBe('limit');
    expect(e.line).toBe(1);
  });

  it('accepts 1,000-term chains and refuses chains past maxDepth', () => {
    const terms = (n: number) => Array.from({ length: n }, (_, i) => `(retry_num + ${i})`).join(' + ');
    expect(compile(terms(1000), { variables: 'MtaQueueHostVariable' }).evaluate({ retry_num: 1 })).toBe(1000 + 999 * 500);
    const e = compileError(terms(DEFAULT_LIMITS.maxDepth + 10), { variables: 'MtaQueueHostVariable' });
    expect(e.code).toBe('limit');
  });

  it('refuses too many tokens and too long sources', () => {
    expect(compileError(Array(30_000).fill('1').join('+')).code).toBe('limit');
    expect(compileError(`'${'x'.repeat(DEFAULT_LIMITS.maxSourceLength)}'`).code).toBe('limit');
    expect(compileError('1 + 1 + 1', { limits: { maxNodes: 3 } }).code).toBe('limit');
  });

  it('evaluates long && / || chains without recursion depth per operand', () => {
    const chain = Array.from({ length: 1500 }, () => '$A').join(' && ');
    expect(compile(chain).evaluate({}, { globals: { A: 1 } })).toBe(1);
  });

  it('compiles, evaluates and explains a chain of 1,667 comparisons (a stack overflow before)', async () => {
    const chain = 'x ' + Array.from({ length: 1666 }, (_, i) => `< ${i}`).join(' ');
    const p = compile(chain, { variables: ['x'] });
    expect(p.evaluate({ x: 1 })).toBe(1);
    expect((await p.explain({ x: 1 })).value).toBe(1);
    expect(compile(chain, { variables: ['x'], optimize: false }).evaluate({ x: 1 })).toBe(1);
  });
});

describe('every limit has an upper bound, and within them nothing overflows', () => {
  const maxDepth = MAX_LIMITS.maxDepth - 2;
  const nesting = MAX_LIMITS.maxNesting;
  const deep: Record<string, string> = {
    comparisons: 'x ' + Array.from({ length: maxDepth }, (_, i) => `${['<', '==', '>=', '!='][i % 4]} ${i}`).join(' '),
    arithmetic: 'x ' + Array.from({ length: maxDepth }, (_, i) => `${['+', '-', '*', '/'][i % 4]} y`).join(' '),
    'exclusive or': 'x ' + Array.from({ length: maxDepth }, () => '^ y').join(' '),
    indexes: 'x' + '[y]'.repeat(maxDepth),
    lookups: "key_get('s', x) " + Array.from({ length: maxDepth }, (_, i) => `${i % 2 ? '+' : '-'} y`).join(' '),
    parentheses: '('.repeat(nesting) + 'x' + ')'.repeat(nesting),
    brackets: '['.repeat(nesting) + 'x' + ']'.repeat(nesting),
    calls: 'trim('.repeat(nesting) + 'x' + ')'.repeat(nesting),
    'unary operators': '!-'.repeat(nesting / 2) + 'x',
    'chains in parentheses': Array.from({ length: nesting - 1 }, () => '(y < 1 + ').join('') + 'x' + ')'.repeat(nesting - 1),
  };
  const limits = { ...MAX_LIMITS, maxCost: DEFAULT_LIMITS.maxCost };
  const env = { lookups: { keyGet: () => 5 } };

  it.each(Object.entries(deep))('%s at the deepest allowed: compiled, evaluated and explained', async (_what, source) => {
    for (const optimize of [true, false]) {
      const p = compile(source, { variables: ['x', 'y'], limits, optimize });
      for (const run of [() => p.evaluateAsync({ x: 2, y: 1 }, env), () => p.explain({ x: 2, y: 1 }, env)]) {
        try {
          await run();
        } catch (e) {
          // Some of these build values past the runtime's sizes; none may overflow the stack.
          expect(e).toBeInstanceOf(EvaluationError);
          expect((e as EvaluationError).message).not.toMatch(/call stack/);
        }
      }
    }
  });

  it('compiles and explains the largest program the upper bounds accept', async () => {
    const groups = Array.from({ length: 49 }, () => `[${Array(1999).fill('x').join(', ')}]`);
    const source = `count(${groups.join(' + ')})`;
    expect(source.length).toBeLessThanOrEqual(MAX_LIMITS.maxSourceLength);
    const p = compile(source, { variables: ['x'], limits: MAX_LIMITS });
    expect(p.evaluate({ x: 1 })).toBe(97_951);
    expect((await p.explain({ x: 1 })).value).toBe(97_951);
  });

  it('refuses every limit past its upper bound', () => {
    for (const [key, max] of Object.entries(MAX_LIMITS)) {
      expect(() => compile('1', { limits: { [key]: max } })).not.toThrow();
      expect(() => compile('1', { limits: { [key]: max + 1 } }), key).toThrow(new TypeError(`limit \`${key}\` must be an integer from 1 to ${max}`));
      expect(() => compile('1', { limits: { [key]: 0 } }), key).toThrow(TypeError);
    }
  });

  it('counts the expressions of a block together against the size limits', () => {
    const third = '[' + 'x, '.repeat(Math.floor(DEFAULT_LIMITS.maxNodes / 6)) + 'x]';
    const e = compileError({ match: [{ if: third, then: third }], else: third } as never, { variables: ['x'] });
    expect(e.detail).toContain("with the block's other expressions (limits.maxNodes)");
    expect(e.part).toEqual({ kind: 'else' });
  });

  it('refuses a block of more than limits.maxConditions conditions before reading them, and too many patterns (12,000 regexes took 5.3 s)', () => {
    const match = Array.from({ length: 12_000 }, (_, i) => ({ if: `matches('^a${i}-[0-9]+b$', rcpt)`, then: `${i}` }));
    const e = compileError({ match, else: '0' } as never, { variables: ['rcpt'] });
    expect(e.code).toBe('limit');
    expect(e.part).toEqual({ kind: 'if', condition: 1001 });
    expect(compileError({ match: match.slice(0, 1000), else: '0' } as never, { variables: ['rcpt'] }).detail).toContain('limits.maxRegexSize');
    expect(compile({ match: match.slice(0, 200), else: '0' }, { variables: ['rcpt'] }).evaluate({ rcpt: 'a199-123b' })).toBe(199);
    const equalities = Array.from({ length: 1000 }, (_, i) => ({ if: `rcpt == 'a${i}'`, then: `${i}` }));
    expect(compile({ match: equalities, else: '0' }, { variables: ['rcpt'] }).evaluate({ rcpt: 'a999' })).toBe(999);
  });
});

describe('content security policy', () => {
  it.skipIf(!process.env.NODE_OPTIONS?.includes('--disallow-code-generation-from-strings'))('runs this suite with code generation disallowed', () => {
    expect(() => new Function('return 1')).toThrow(EvalError);
    expect(compile("matches('^(a+)+$', x) || x == 'b'", { variables: ['x'] }).evaluate({ x: 'aaa' })).toBe(1);
  });

  it('compiles and evaluates with code generation from strings disallowed', () => {
    const script = `
      import { compile } from ${JSON.stringify(join(ROOT, 'dist', 'language', 'index.js'))};
      const p = compile({ match: [{ if: "matches('^(.+)@(.+)$', rcpt) && local_port != 25", then: "$2 + ':' + hash($1, 'sha256')" }], else: 'false' }, { variables: 'MtaRcptToVariable' });
      console.log(JSON.stringify(p.evaluate({ rcpt: 'a@b.org', local_port: 587 })));
      try { new Function('return 1'); console.log('codegen allowed'); } catch { console.log('codegen blocked'); }
    `;
    const r = spawnSync(process.execPath, ['--disallow-code-generation-from-strings', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n')).toEqual([JSON.stringify('b.org:ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb'), 'codegen blocked']);
  });
});
