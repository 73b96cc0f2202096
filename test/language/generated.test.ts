/**
 * The generated files are what their generators in scripts/ write: regenerate with
 * `npm run generate` after changing the inputs.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error the generator is a plain script, without types
import { generate, TARGET } from '../../scripts/generate-variable-readers.mjs';
import { ALL_VARIABLES } from '../../src/language/contexts.js';
import { FAST_LEAVES, FAST_READERS } from '../../src/language/compiler/generated/variable-readers.js';
import { compile, constant } from '../../src/language/index.js';

/** Host values a leaf must treat as the reference closures do: each JS type, numeric text, the edges of the fast path. */
const HOST_VALUES: unknown[] = [
  25, 24, 26, 0, -0, 1, -1, 2.5, NaN, Infinity, -Infinity, 9.2e18, -9.2e18, 9.3e18, 2 ** 63, Number.MAX_SAFE_INTEGER,
  '25', '025', ' 25', '2.5e1', '', 'a', 'plain', 'abc', '0', 'x', true, false, null, undefined,
  10n ** 30n, 25n, [25], [], ['a'], [[]], constant('plain'), { toString: () => '25' }, new Date(0), Object.create(null),
];
const NUMBER_LITERALS = ['25', '0', '-3'];
const STRING_LITERALS = ["'25'", "'a'", "''", "'plain'"];
const OPERATORS = ['==', '!=', '<', '<=', '>', '>='];
const NUMBER_OPERATORS = OPERATORS;
const STRING_OPERATORS = ['==', '!='];

describe('variable readers', () => {
  it('are what scripts/generate-variable-readers.mjs writes from ALL_VARIABLES', () => {
    expect(readFileSync(TARGET as string, 'utf8')).toBe((generate as (names: readonly string[]) => string)(ALL_VARIABLES));
  });

  it('give, for every variable, operator and literal, what the reference closures give', () => {
    let checked = 0;
    for (const name of ALL_VARIABLES) {
      const leaves = FAST_LEAVES[name]!;
      const cases: Array<[string, ((v: Record<string, unknown>) => boolean) | undefined]> = [
        [`!!${name}`, leaves.test],
        [`!${name}`, leaves.notTest],
      ];
      for (const op of NUMBER_OPERATORS) for (const lit of NUMBER_LITERALS) cases.push([`${name} ${op} ${lit}`, leaves.number(op, Number(lit))]);
      for (const op of STRING_OPERATORS) for (const lit of STRING_LITERALS) cases.push([`${name} ${op} ${lit}`, leaves.string(op, lit.slice(1, -1))]);
      for (const [source, leaf] of cases) {
        expect(leaf, source).toBeTypeOf('function');
        const reference = compile(source, { optimize: false });
        const fast = compile(source);
        for (const [i, value] of HOST_VALUES.entries()) {
          const vars = { [name]: value };
          const expected = reference.evaluate(vars) === 1;
          expect(leaf!(vars), `${source} on host value #${i}`).toBe(expected);
          expect(fast.evaluate(vars) === 1, `${source} on host value #${i}`).toBe(expected);
          checked++;
        }
      }
    }
    expect(checked).toBe(ALL_VARIABLES.length * (2 + NUMBER_OPERATORS.length * NUMBER_LITERALS.length + STRING_OPERATORS.length * STRING_LITERALS.length) * HOST_VALUES.length);
  });

  it('test a predicate on the raw value as the reference closures call it (FunctionSpec.hostTest)', () => {
    const calls = ["starts_with(rcpt, 'ja')", "ends_with(rcpt, '5')", "contains(rcpt, '2')", "contains(rcpt, '')", "contains(['25', 'a', ''], rcpt)", "contains(['1', '2', '3', '4', '5', '6', '7', '8', '9', 'plain'], rcpt)"];
    for (const source of calls) {
      // `x_rcpt` is no known variable: its test reads it through the plain reader.
      for (const [name, vars] of [['rcpt', (x: unknown) => ({ rcpt: x })], ['x_rcpt', (x: unknown) => ({ x_rcpt: x })]] as const) {
        const text = source.replace('rcpt', name);
        const reference = compile(text, { optimize: false, variables: [name] });
        const fast = compile(text, { variables: [name] });
        for (const [i, value] of [...HOST_VALUES, 'jane', 'x5', 'a2b', ['25'], [2], ['plain']].entries()) {
          expect(fast.evaluate(vars(value)), `${text} on host value #${i}`).toBe(reference.evaluate(vars(value)));
        }
      }
    }
  });

  it('have no leaf for an ordering of strings (the generic comparison decides it)', () => {
    for (const op of ['<', '<=', '>', '>=']) expect(FAST_LEAVES.rcpt!.string(op, 'a')).toBeUndefined();
  });

  it('read own properties and never polluted ones', () => {
    const read = FAST_READERS['from.domain']!;
    expect(read({ 'from.domain': 'x.org' })).toBe('x.org');
    expect(read({})).toBeUndefined();
    (Object.prototype as Record<string, unknown>)['from.domain'] = 'evil';
    const leaves = FAST_LEAVES['from.domain']!;
    try {
      expect(read({})).toBeUndefined();
      expect(read({ 'from.domain': 'x.org' })).toBe('x.org');
      expect(leaves.test({})).toBe(false);
      expect(leaves.string('==', 'evil')!({})).toBe(false);
      expect(leaves.string('==', 'x.org')!({ 'from.domain': 'x.org' })).toBe(true);
    } finally {
      delete (Object.prototype as Record<string, unknown>)['from.domain'];
    }
  });
});
