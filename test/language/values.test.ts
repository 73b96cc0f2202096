/** Value kinds and coercions (SPEC §4), beyond the conformance vectors. */
import { describe, expect, it } from 'vitest';
import { compile } from '../../src/language/index.js';
import {
  compare,
  compareStrings,
  constant,
  equals,
  Float,
  floatToString,
  INT_MAX,
  parseNumber,
  toIndex,
  toStr,
} from '../../src/language/runtime/values.js';
import { fromHost, toJsonValue } from '../../src/language/runtime/host-values.js';

const ev = (expr: string, vars?: Record<string, unknown>) => compile(expr).evaluateJson(vars);

describe('to string', () => {
  it.each([
    [0.1, '0.1'],
    [2, '2'],
    [1e21, '1000000000000000000000'],
    [1.5e-7, '0.00000015'],
    [-2.5e22, '-25000000000000000000000'],
    [123456789.125, '123456789.125'],
    [-0, '-0'],
    [Infinity, 'inf'],
    [-Infinity, '-inf'],
    [NaN, 'NaN'],
  ])('float %d → %s', (x, s) => {
    expect(floatToString(x)).toBe(s);
  });

  it('joins arrays with CRLF; nested arrays contribute nothing', () => {
    expect(toStr(['a', 1, new Float(2.5), constant('plain')])).toBe('a\r\n1\r\n2.5\r\nplain');
    expect(toStr(['a', ['b'], 'c'])).toBe('a\r\n\r\nc');
  });

  it('prints the saturated integer maximum as i64::MAX', () => {
    expect(toStr(INT_MAX)).toBe('9223372036854775807');
    expect(ev("'' + (9223372036854775807 + 1)")).toBe(INT_MAX);
    expect(ev("'n' + (9223372036854775807 + 1)")).toBe('n9223372036854775807');
  });
});

describe('to number', () => {
  it.each([
    ['25', 25],
    ['-7', -7],
    ['+3', 3],
    ['1e3', new Float(1000)],
    ['.5', new Float(0.5)],
    ['5.', new Float(5)],
    ['abc', 0],
    ['', 0],
    [' 1', 0],
    ['inf', 0],
    ['0x10', 0],
    ['99999999999999999999', new Float(1e20)],
  ])('%j', (s, n) => {
    expect(parseNumber(s)).toEqual(n);
  });
});

describe('equality and order', () => {
  it('orders strings by code point, not UTF-16 unit', () => {
    expect(compareStrings('\uFFFF', '😀')).toBeLessThan(0);
    expect(compareStrings('a', 'ab')).toBeLessThan(0);
    expect(ev("'\uFFFF' < '😀'")).toBe(1);
  });
  it('orders kinds: number < constant < string < array', () => {
    const plain = constant('plain');
    expect(compare(5, plain)).toBeLessThan(0);
    expect(compare(plain, 'a')).toBeLessThan(0);
    expect(compare('a', [])).toBeLessThan(0);
    expect(compare([], 5)).toBeGreaterThan(0);
  });
  it('compares strings with numbers numerically', () => {
    expect(equals('25', 25)).toBe(true);
    expect(equals('2.5', new Float(2.5))).toBe(true);
    expect(equals(new Float(1), 1)).toBe(true);
    expect(equals('a', 'A')).toBe(false);
  });
  it('makes every ordering of NaN false', () => {
    expect(ev("'1e400' * 0 < 1")).toBe(0);
    expect(ev("'1e400' * 0 >= 1")).toBe(0);
    expect(ev("'1e400' * 0 != '1e400' * 0")).toBe(1);
  });
});

describe('integers and floats', () => {
  it('keeps 2.0 a float and 2 an integer for indexing', () => {
    expect(ev('[1, 2, 3][-1]')).toBe('');
    expect(ev('[1, 2, 3][-1.0]')).toBe(1);
    expect(ev('[1, 2, 3][4 / 2]')).toBe(3);
    expect(toIndex(new Float(-0.5))).toBe(0);
  });
  it('saturates integer arithmetic and not float arithmetic', () => {
    expect(ev('9223372036854775807 * 2')).toBe(INT_MAX);
    expect(ev('-9223372036854775807 - 10')).toBe(-INT_MAX);
    expect(ev('100000000000000000000.0 * 1000')).toBe(1e23);
  });
  it('divides to a float, zero divisor to 0', () => {
    expect(compile('7 / 2').evaluateValue()).toEqual(new Float(3.5));
    expect(compile('1 / 0').evaluateValue()).toEqual(new Float(0));
  });
});

describe('host values', () => {
  it('converts JS values (SPEC §4.1)', () => {
    expect(fromHost(true)).toBe(1);
    expect(fromHost(2.5)).toEqual(new Float(2.5));
    expect(fromHost(10n)).toBe(10);
    expect(fromHost(null)).toBe('');
    expect(fromHost(undefined)).toBe('');
    expect(fromHost({})).toBe('');
    expect(fromHost([true, null, 1.5])).toEqual([1, '', new Float(1.5)]);
  });
  it('survives cyclic arrays', () => {
    const a: unknown[] = ['x'];
    a.push(a);
    expect(() => compile('len(v) + count(v)', { variables: ['v'] }).evaluate({ v: a })).not.toThrow();
  });
  it('encodes canonical JSON', () => {
    expect(toJsonValue([constant('plain'), new Float(2), 'x'])).toEqual([{ constant: 'plain' }, 2, 'x']);
    expect(toJsonValue(undefined)).toBeNull();
  });
});
