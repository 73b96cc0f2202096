/**
 * The evaluation cost: each program's worst case estimated at compile time, the metered
 * closures of the programs over limits.maxCost, and the sizes of the values an evaluation
 * builds. The hostile cases marked "before" threw V8's own error, aborted the process out of
 * heap, or ran for many seconds on the code before the budget.
 */
import { describe, expect, it } from 'vitest';
import { compile, DEFAULT_LIMITS, EvaluationError, MAX_LIST_LENGTH, MAX_STRING_LENGTH, type Program } from '../../src/language/index.js';

function stopped(program: Program, vars: Record<string, unknown>): EvaluationError {
  try {
    program.evaluate(vars);
  } catch (e) {
    expect(e).toBeInstanceOf(EvaluationError);
    return e as EvaluationError;
  }
  throw new Error('evaluated');
}

const MIB = 'a'.repeat(1 << 20);

describe('the estimated worst case', () => {
  it('is small for everyday expressions, which run without a meter', () => {
    const everyday: Array<[string, string | null]> = [
      ['local_port != 25 && is_tls', 'MtaEhloVariable'],
      ["starts_with(rcpt, 'jane') || sender == 'jdoe'", null],
      ["'mx.' + rcpt + '-' + retry_num", null],
      ["matches('^([^@]+)@(.+)$', rcpt) && $2 != ''", null],
      [Array.from({ length: 1000 }, (_, i) => `retry_num * ${i + 1}`).join(' + '), null],
    ];
    for (const [source, variables] of everyday) {
      const p = compile(source, variables ? { variables } : {});
      expect(p.cost, source).toBeGreaterThan(0);
      expect(p.cost, source).toBeLessThanOrEqual(p.costLimit);
    }
    expect(compile('local_port != 25 && is_tls').cost).toBe(5);
  });

  it('counts a block as its conditions and its dearest branch, up to a condition that always holds', () => {
    const one = compile("split(rcpt, ',')").cost;
    expect(compile({ match: [{ if: 'is_tls', then: "split(rcpt, ',')" }], else: '0' }).cost).toBe(1 + one);
    expect(compile({ match: [{ if: 'true', then: '1' }, { if: "count(split(rcpt, ','))", then: '2' }], else: '0' }).cost).toBe(2);
  });

  it('bounds what every evaluation spends (explain reports both)', async () => {
    const p = compile("to_lowercase(split(rcpt, '@')[1]) + '.' + len(rcpt)");
    const x = await p.explain({ rcpt: 'Jane@Example.ORG' });
    expect(x.value).toBe('example.org.16');
    expect(x.cost).toEqual({ spent: expect.any(Number), estimate: p.cost, limit: DEFAULT_LIMITS.maxCost });
    expect(x.cost.spent).toBeLessThanOrEqual(p.cost);
    expect(x.cost.spent).toBeGreaterThanOrEqual(8);
  });
});

describe('a program over the budget', () => {
  const sorts = "sort(split(x, ','), 1)[0] + sort(split(x, ';'), 1)[0] + sort(split(x, ' '), 1)[0]";

  it('is metered: it gives the same values, and stops at limits.maxCost with the code budget', () => {
    const p = compile(sorts, { variables: ['x'] });
    expect(p.cost).toBeGreaterThan(p.costLimit);
    expect(p.evaluate({ x: 'b,a' })).toBe('ab,ab,a');
    const tight = compile(sorts, { variables: ['x'], limits: { maxCost: 20 } });
    const e = stopped(tight, { x: 'b,a' });
    expect(e.code).toBe('budget');
    expect(e.message).toBe('the evaluation cost more than 20 units (limits.maxCost)');
    expect(compile(sorts, { variables: ['x'], limits: { maxCost: 40 } }).evaluate({ x: 'b,a' })).toBe('ab,ab,a');
  });

  it('is stopped in asynchronous evaluation and explain too', async () => {
    const p = compile(`key_get('', x) + (${sorts})`, { variables: ['x'], limits: { maxCost: 20 } });
    const env = { lookups: { keyGet: () => 'k' } };
    await expect(p.evaluateAsync({ x: 'b,a' }, env)).rejects.toMatchObject({ code: 'budget' });
    await expect(p.explain({ x: 'b,a' }, env)).rejects.toMatchObject({ code: 'budget' });
    expect(await compile(`key_get('', x) + (${sorts})`, { variables: ['x'] }).evaluateAsync({ x: 'b,a' }, env)).toBe('kab,ab,a');
  });

  it('stops captures that feed themselves (21 s and 384 MiB from 275 characters before)', () => {
    const doubling = ["matches('^(.*)$', x)", ...Array(9).fill("matches('^(.*)$', $1 + $1)")].join(' && ');
    expect(doubling.length).toBeLessThan(300);
    expect(stopped(compile(doubling, { variables: ['x'] }), { x: 'a'.repeat(10_000) }).code).toBe('limit');
    const again = ["matches('^(.*)$', x + x + x + x + x + x)", ...Array(40).fill("matches('^(.*)$', $1)")].join(' && ');
    expect(stopped(compile(again, { variables: ['x'] }), { x: 'a'.repeat(10_000) }).code).toBe('budget');
    expect(compile(again, { variables: ['x'] }).evaluate({ x: 'ab' })).toBe(1);
  });
});

describe('the values an evaluation builds', () => {
  it('are strings of at most 1 MiB: 600 concatenations of a 1 MiB variable (V8 error before)', () => {
    const p = compile(Array(600).fill('x').join(' + '), { variables: ['x'] });
    const e = stopped(p, { x: MIB });
    expect(e.code).toBe('limit');
    expect(e.message).toBe(`a string of more than ${MAX_STRING_LENGTH} characters would be built`);
    expect(p.evaluate({ x: 'a'.repeat(1000) })).toHaveLength(600_000);
    expect(compile('x + x', { variables: ['x'] }).evaluate({ x: MIB.slice(1 << 19) })).toHaveLength(MAX_STRING_LENGTH);
  });

  it('are lists of at most 100,000 items: count(split(…, ″)) of 100 MiB (out of heap before)', () => {
    const p = compile(`count(split(${Array(100).fill('x').join(' + ')}, ''))`, { variables: ['x'] });
    expect(stopped(p, { x: MIB }).code).toBe('limit');
    const split = compile("count(split(x, ''))", { variables: ['x'] });
    expect(split.evaluate({ x: 'a'.repeat(MAX_LIST_LENGTH - 2) })).toBe(MAX_LIST_LENGTH);
    expect(stopped(split, { x: 'a'.repeat(MAX_LIST_LENGTH - 1) }).message).toBe(`a list of more than ${MAX_LIST_LENGTH} items would be built`);
    expect(stopped(compile('count(x + x)', { variables: ['x'] }), { x: Array(60_000).fill(1) }).code).toBe('limit');
    expect(stopped(compile('to_uppercase(x)', { variables: ['x'] }), { x: Array(100).fill(MIB.slice(20_000)) }).code).toBe('limit');
  });

  it('are the same whether the program is metered or not', () => {
    const cheap = compile('x + x', { variables: ['x'] });
    const metered = compile('x + x', { variables: ['x'], limits: { maxCost: 10 } });
    expect(cheap.cost).toBeLessThanOrEqual(cheap.costLimit);
    expect(metered.cost).toBeGreaterThan(metered.costLimit);
    expect(stopped(cheap, { x: MIB }).code).toBe('limit');
    expect(stopped(metered, { x: MIB }).code).toBe('limit');
  });
});
