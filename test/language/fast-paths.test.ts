/**
 * The fast paths of the optimised closures at the edges the property tests rarely reach:
 * the value size bounds of a text sum, prototype pollution, a nested evaluation of a
 * stateless program, and literal block results returned as they are.
 */
import { describe, expect, it } from 'vitest';
import { compile, MAX_STRING_LENGTH, prepareVariables } from '../../src/language/index.js';

const both = (source: string, variables: string[]) => [compile(source, { variables }), compile(source, { variables, optimize: false })];

describe('a text sum concatenated directly', () => {
  it('refuses a string past MAX_STRING_LENGTH as the reference closures do, however the terms arrive', () => {
    const big = 'x'.repeat(MAX_STRING_LENGTH);
    for (const source of ["'a' + big", "'a' + big + 'b'", "'a' + n + big", "'a' + big + n + '-' + n", "'a' + big + f", "'a' + big + l"]) {
      for (const p of both(source, ['big', 'n', 'f', 'l'])) {
        expect(() => p!.evaluate({ big, n: 1, f: 2.5, l: [1] }), source).toThrow(/more than 1048576 characters/);
      }
    }
  });

  it('prints host integers, floats, booleans, lists and big numbers as the language does', () => {
    for (const value of [3, -7, 0, -0, 2.5, 1e21, 2 ** 63, -(2 ** 63), 2 ** 64, true, false, null, [1, 'a'], 10n, NaN]) {
      for (const source of ["'mx.' + x", "'mx.' + x + '-'", "'mx.' + r + '-' + x", "'mx.' + x + '-' + x + '.' + x"]) {
        const [fast, reference] = both(source, ['x', 'r']);
        expect(fast!.evaluate({ x: value, r: 'jane' }), `${source} with ${String(value)}`).toEqual(reference!.evaluate({ x: value, r: 'jane' }));
      }
    }
  });
});

describe('a stateless program', () => {
  it('evaluates again from inside its own evaluation (a custom function)', () => {
    let inner: number | null = null;
    const p = compile("local_port == 25 && check(rcpt) == 1", {
      functions: [{ name: 'check', arity: 1, fn: () => ((inner = p.evaluate({ local_port: 26, rcpt: 'b' }) as number), 1) }],
    });
    expect(p.evaluate({ local_port: 25, rcpt: 'a' })).toBe(1);
    expect(inner).toBe(0);
  });

  it('never reads a variable from a polluted Object.prototype', () => {
    const proto = Object.prototype as Record<string, unknown>;
    proto.local_port = 25;
    proto.is_tls = 1;
    try {
      expect(compile('local_port == 25').evaluate({})).toBe(0);
      expect(compile('!is_tls').evaluate({})).toBe(1);
      expect(compile("starts_with(rcpt, 'a')").evaluate({})).toBe(0);
    } finally {
      delete proto.local_port;
      delete proto.is_tls;
    }
  });
});

describe('literal block results', () => {
  it('are returned as the same frozen values on every evaluation, floats unboxed', () => {
    const p = compile({ match: [{ if: 'local_port != 25', then: '[plain, login]' }, { if: 'is_tls', then: '[1.5, [2.5]]' }], else: 'false' });
    const first = p.evaluate({ local_port: 587 });
    expect(p.evaluate({ local_port: 588 })).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(p.evaluate({ local_port: 25, is_tls: true })).toEqual([1.5, [2.5]]);
    expect(p.evaluateValue({ local_port: 25, is_tls: true })).not.toEqual([1.5, [2.5]]);
    expect(p.evaluate({ local_port: 25 })).toBe(0);
  });
});

describe('prepared variables', () => {
  it('give what the object they were prepared from gives, custom variables included', () => {
    const p = compile("local_port != 25 && is_tls && tier == 'gold'", { variables: ['local_port', 'is_tls', 'tier'] });
    const vars = { local_port: 587, is_tls: true, tier: 'gold' };
    expect(p.evaluate(prepareVariables(vars))).toBe(1);
    expect(p.evaluate(prepareVariables({ ...vars, tier: 'silver' }))).toBe(0);
  });

  it('have one hidden class whatever the key order, and are a snapshot that reads each getter once', () => {
    let reads = 0;
    const host = {
      get local_port() {
        reads++;
        return 25;
      },
    };
    const prepared = prepareVariables(host);
    const p = compile('local_port == 25');
    expect([p.evaluate(prepared), p.evaluate(prepared), reads]).toEqual([1, 1, 1]);
    expect(Object.keys(prepareVariables({ is_tls: 1, local_port: 2 }))).toEqual(Object.keys(prepareVariables({ local_port: 2, is_tls: 1 })));
    expect(prepareVariables(prepared)).toBe(prepared);
  });

  it('read only own properties: nothing inherited, nothing polluted, `__proto__` as data', () => {
    const inherited = prepareVariables(Object.create({ local_port: 25 }));
    expect(compile('local_port == 25').evaluate(inherited)).toBe(0);
    const json = prepareVariables(JSON.parse('{"__proto__": {"x": 1}, "rcpt": "a"}'));
    expect(Object.getPrototypeOf(json)).toBe(Object.getPrototypeOf(prepareVariables({})));
    expect(compile("rcpt == 'a'").evaluate(json)).toBe(1);
    const proto = Object.prototype as Record<string, unknown>;
    proto.sender = 'evil';
    try {
      expect(compile("sender == 'evil'").evaluate(prepareVariables({}))).toBe(0);
    } finally {
      delete proto.sender;
    }
  });
});
