/** The library API: compile options, programs, host safety, lookups, explain and typed readers. */
import { describe, expect, it, vi } from 'vitest';
import {
  asBoolean,
  asConstantList,
  asDuration,
  asInteger,
  asList,
  asString,
  compile,
  CompileError,
  constant,
  EvaluationError,
} from '../../src/language/index.js';
import { MemoryLookups } from '../../src/hosts/lookups/memory.js';

const SASL = {
  match: [
    { if: 'local_port != 25 && is_tls', then: '[plain, login, oauthbearer, xoauth2]' },
    { if: 'local_port != 25', then: '[oauthbearer, xoauth2]' },
  ],
  else: 'false',
};
const EHLO = { variables: 'MtaEhloVariable', constants: 'MtaAuthTypeConstant' } as const;

describe('compile and evaluate', () => {
  it('evaluates an expression in its context', () => {
    const e = compile('local_port != 25 && is_tls', { variables: 'MtaEhloVariable' });
    expect(e.evaluate({ local_port: 587, is_tls: true })).toBe(1);
    expect(e.evaluate({ local_port: 25, is_tls: true })).toBe(0);
    expect(e.variables).toEqual(['is_tls', 'local_port']);
    expect(e.isAsync).toBe(false);
    expect(e.isUnset).toBe(false);
  });

  it('evaluates a block to constants', () => {
    const b = compile(SASL, EHLO);
    expect(b.evaluate({ local_port: 587, is_tls: true })).toEqual(['plain', 'login', 'oauthbearer', 'xoauth2'].map(constant));
    expect(b.evaluate({ local_port: 587 })).toEqual([constant('oauthbearer'), constant('xoauth2')]);
    expect(b.evaluate({ local_port: 25 })).toBe(0);
  });

  it('gives null for an unset block', () => {
    const b = compile({ match: [], else: '  ' });
    expect(b.isUnset).toBe(true);
    expect(b.evaluate()).toBeNull();
    expect(b.evaluateJson()).toBeNull();
  });

  it('hands out results that cannot be changed under later evaluations', () => {
    const b = compile(SASL, EHLO);
    const first = b.evaluate({ local_port: 587 }) as unknown[];
    expect(() => {
      first.length = 0;
    }).toThrow(TypeError);
    expect(b.evaluate({ local_port: 587 })).toHaveLength(2);
    const built = compile('[rcpt, 1.5]').evaluate({ rcpt: 'a' }) as unknown[];
    built.length = 0;
    expect(compile('[rcpt, 1.5]').evaluate({ rcpt: 'a' })).toEqual(['a', 1.5]);
  });

  it('accepts explicit variable and constant lists', () => {
    const e = compile('if_then(tier == 2, gold, silver)', { variables: ['tier'], constants: ['gold', 'silver'] });
    expect(e.evaluate({ tier: 2 })).toEqual(constant('gold'));
    expect(() => compile('rcpt', { variables: ['tier'] })).toThrow(CompileError);
  });

  it('reads system values, globals and metrics from the environment', () => {
    const e = compile("system('hostname') + ' ' + $SPAM + ' ' + metric('load')");
    expect(e.evaluate({}, { system: { hostname: 'mx' }, globals: { SPAM: 1 }, metrics: { load: 0.5 } })).toBe('mx 1 0.5');
    expect(e.evaluate({}, { metrics: (name) => (name === 'load' ? 2 : undefined) })).toBe(' 0 2');
    expect(e.evaluate()).toBe(' 0 0');
  });

  it('checks metric names when the host lists them', () => {
    expect(() => compile("metric('lod')", { metrics: ['load'] })).toThrow("did you mean 'load'");
    expect(compile("metric('load')", { metrics: ['load'] }).evaluate()).toBe(0);
  });

  it('keeps captures for the rest of the block evaluation', () => {
    const b = compile({
      match: [
        { if: "matches('^(\\w+)@(.+)$', sender) && false", then: "'no'" },
        { if: "matches('^x(y)?', 'x')", then: "'[' + $1 + '|' + $0 + ']'" },
      ],
      else: "''",
    });
    expect(b.evaluate({ sender: 'bob@x.org' })).toBe('[|x]');
  });
});

describe('block optimisation', () => {
  it('drops conditions that are false literals and stops at true ones, but explains every condition', async () => {
    const b = compile({ match: [{ if: 'false', then: '1' }, { if: '1 < 2', then: '2' }, { if: 'x', then: '3' }], else: '4' }, { variables: ['x'] });
    expect(b.evaluate({ x: 1 })).toBe(2);
    const plain = compile({ match: [{ if: 'false', then: '1' }, { if: '1 < 2', then: '2' }, { if: 'x', then: '3' }], else: '4' }, { variables: ['x'], optimize: false });
    expect(plain.evaluate({ x: 1 })).toBe(2);
    const x = await b.explain({ x: 1 });
    expect(x.conditions.map((c) => c.matched)).toEqual([false, true]);
    expect(x.taken).toEqual({ kind: 'then', condition: 2, source: '2' });
  });

  it('turns a ladder of comparisons with one key into a table, first match winning', () => {
    const ladder = {
      match: [
        { if: "octets[3] == '2'", then: "'a'" },
        { if: 'octets[3] == 2', then: "'b'" },
        { if: 'octets[3] == 3', then: "'c'" },
        { if: "octets[3] == 'x'", then: "'d'" },
        { if: 'octets[3] == 4', then: '$1' },
      ],
      else: "'none'",
    };
    const p = compile(ladder, { variables: 'SpamIpVariable' });
    expect(p.evaluate({ octets: [127, 0, 0, 2] })).toBe('a');
    expect(p.evaluate({ octets: [127, 0, 0, '02'] })).toBe('b');
    expect(p.evaluate({ octets: [127, 0, 0, 3.0] })).toBe('c');
    expect(p.evaluate({ octets: [127, 0, 0, 'x'] })).toBe('d');
    expect(p.evaluate({ octets: [127, 0, 0, 4] })).toBe('');
    expect(p.evaluate({ octets: [127, 0, 0, 9] })).toBe('none');
    expect(p.evaluate({})).toBe('none');
  });
});

describe('options', () => {
  it('rejects unknown options, groups and names', () => {
    expect(() => compile('1', { variabels: 'x' } as never)).toThrow(TypeError);
    expect(() => compile('1', { variables: 'NoSuchGroup' })).toThrow(/unknown variable group/);
    expect(() => compile('1', { constants: 'NoSuchGroup' })).toThrow(/unknown constant group/);
    expect(() => compile('1', { variables: ['constructor'] })).toThrow(/cannot be a variable name/);
    expect(() => compile('1', { limits: { maxDepth: 0 } })).toThrow(TypeError);
  });

  it('registers custom functions, checked like built-ins', () => {
    const fn = vi.fn((x: unknown) => String(x).length * 2);
    const functions = [{ name: 'double_len', arity: 1, fn }];
    const e = compile('double_len(rcpt)', { functions });
    expect(e.evaluate({ rcpt: 'abc' })).toBe(6);
    expect(() => compile('double_len()', { functions })).toThrow('`double_len` expects 1 argument, got 0');
    expect(() => compile('double_lem(rcpt)', { functions })).toThrow('did you mean `double_len`?');
    expect(() => compile('matches', { functions: [{ name: 'matches', arity: 1, fn }] })).toThrow(TypeError);
  });

  it('folds pure custom functions at compile time and leaves impure ones to run', () => {
    const pure = vi.fn(() => 7);
    const impure = vi.fn(() => 7);
    const p = compile('f(1) + g(1)', {
      functions: [
        { name: 'f', arity: 1, fn: pure, pure: true },
        { name: 'g', arity: 1, fn: impure },
      ],
    });
    expect(pure).toHaveBeenCalledTimes(1);
    p.evaluate();
    p.evaluate();
    expect(pure).toHaveBeenCalledTimes(1);
    expect(impure).toHaveBeenCalledTimes(2);
  });
});

describe('host safety', () => {
  it('never reads inherited or polluted properties as variables', () => {
    const e = compile('rcpt + local_port', { variables: 'MtaRcptToVariable' });
    const inherited = Object.create({ rcpt: 'evil@x', local_port: 25 });
    expect(e.evaluate(inherited)).toBe('');
    (Object.prototype as Record<string, unknown>).rcpt = 'polluted';
    try {
      expect(e.evaluate({ local_port: 1 })).toBe(1);
      expect(compile('$rcpt').evaluate({}, { globals: {} })).toBe(0);
    } finally {
      delete (Object.prototype as Record<string, unknown>).rcpt;
    }
  });

  it('treats Object.prototype names as unknown names, globals as unset', () => {
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      expect(() => compile(name)).toThrow(CompileError);
      expect(() => compile(`${name}(1)`)).toThrow(CompileError);
      expect(compile(`$${name}`).evaluate({}, { globals: {} })).toBe(0);
      expect(() => compile(`system('${name}')`)).toThrow(CompileError);
      expect(compile(`metric('${name}')`).evaluate({}, { metrics: {} })).toBe(0);
    }
  });

  it('accepts null-prototype variable objects and ignores non-object inputs', () => {
    const vars = Object.assign(Object.create(null), { rcpt: 'a@b' });
    expect(compile('rcpt').evaluate(vars)).toBe('a@b');
    expect(compile('rcpt').evaluate('nonsense' as never)).toBe('');
  });
});

describe('host lookups', () => {
  const lookups = new MemoryLookups({
    domains: ['example.org'],
    addresses: ['jane@example.org'],
    stores: { 'trusted-domains': { 'example.org': 'yes' } },
    dns: {
      'example.org': {
        A: ['192.0.2.1'],
        AAAA: ['2001:db8::1'],
        MX: [
          { exchange: 'mx2.example.org.', priority: 20 },
          { exchange: 'mx1.example.org.', priority: 10 },
        ],
        TXT: [['v=spf1 ', '-all']],
      },
      '192.0.2.1': { PTR: ['mail.example.org.'] },
    },
    sql: {
      db: (query, params) =>
        query.startsWith('SELECT one')
          ? { rows: [[params[0]]] }
          : query.startsWith('SELECT row')
            ? { rows: [[1, null]] }
            : query.startsWith('SELECT many')
              ? { rows: [[1], [2]] }
              : query.startsWith('SELECT none')
                ? { rows: [] }
                : { affected: 3 },
    },
  });
  const run = (expr: string, vars: Record<string, unknown> = {}) => compile(expr).evaluateAsync(vars, { lookups });

  it('marks programs that call lookups as asynchronous', () => {
    const p = compile("key_exists('trusted-domains', from.domain)");
    expect(p.isAsync).toBe(true);
    expect(() => p.evaluate({})).toThrow(TypeError);
  });

  it.each([
    ["is_local_domain('EXAMPLE.org')", 1],
    ["is_local_address('john@example.org')", 0],
    ["key_get('trusted-domains', 'example.org')", 'yes'],
    ["key_get('trusted-domains', 'other.org')", ''],
    ["key_get('no-such-store', 'x')", ''],
    ["key_exists('trusted-domains', 'example.org')", 1],
    ["key_exists('no-such-store', 'x')", ''],
    ["key_set('', 'k', 5) + key_get('', 'k')", 6],
    ["counter_incr('', 'c', 2) + counter_incr('', 'c', 3)", 7],
    ["counter_get('', 'never')", 0],
    ["dns_query('example.org', 'ipv4')", ['192.0.2.1']],
    ["dns_query('example.org', 'ip')", ['192.0.2.1', '2001:db8::1']],
    ["dns_query('example.org', 'mx')", ['mx1.example.org', 'mx2.example.org']],
    ["dns_query('example.org', 'txt')", 'v=spf1 -all'],
    ["dns_query('192.0.2.1', 'ptr')", ['mail.example.org']],
    ["dns_query('example.org', 'ptr')", ''],
    ["dns_query('nx.example.org', 'ipv4')", []],
    ["dns_query('example.org', 'srv')", ''],
    ["sql_query('db', 'SELECT one', ['x'])", 'x'],
    ["sql_query('db', 'SELECT row', 1)", [1, '']],
    ["sql_query('db', 'SELECT many', [])", [[1], [2]]],
    ["sql_query('db', 'SELECT none', [])", ''],
    ["sql_query('db', 'DELETE', [])", 3],
  ])('%s', async (expr, expected) => {
    expect(await run(expr)).toEqual(expected);
  });

  it('fails with an EvaluationError naming the function', async () => {
    await expect(run("sql_query('nodb', 'SELECT 1', [])")).rejects.toThrow(EvaluationError);
    await expect(run("sql_query('nodb', 'SELECT 1', [])")).rejects.toMatchObject({ functionName: 'sql_query' });
    await expect(compile("is_local_domain('x')").evaluateAsync({}, {})).rejects.toThrow(/is_local_domain: the host provides no isLocalDomain/);
  });

  it('short-circuits lookups', async () => {
    const spy = vi.spyOn(lookups, 'keySet');
    await run("0 && key_set('', 'never', 1)");
    await run("1 || key_set('', 'never', 1)");
    expect(spy).not.toHaveBeenCalled();
    spy.mockRestore();
  });

  it('runs custom asynchronous functions', async () => {
    const p = compile('reputation(remote_ip) > 50', { functions: [{ name: 'reputation', arity: 1, asyncFn: async () => 80 }] });
    expect(p.isAsync).toBe(true);
    expect(await p.evaluateAsync({ remote_ip: '192.0.2.1' })).toBe(1);
  });
});

describe('explain', () => {
  it('reports each condition, the branch taken and the captures', async () => {
    const b = compile({ match: [{ if: 'retry_num > 1', then: "'fallback'" }, { if: "matches('^(.+)@(.+)$', rcpt)", then: '$2' }], else: "'mx'" });
    const x = await b.explain({ retry_num: 0, rcpt: 'a@b.org' });
    expect(x.conditions).toEqual([
      { condition: 1, source: 'retry_num > 1', value: 0, matched: false, captures: [] },
      { condition: 2, source: "matches('^(.+)@(.+)$', rcpt)", value: 1, matched: true, captures: ['a@b.org', 'a', 'b.org'] },
    ]);
    expect(x.taken).toEqual({ kind: 'then', condition: 2, source: '$2' });
    expect(x.value).toBe('b.org');
  });
});

describe('trace', () => {
  it('gives the explanation and the value as evaluateAsync does, constants as Constant', async () => {
    const b = compile(SASL, EHLO);
    for (const vars of [{ local_port: 587, is_tls: true }, { local_port: 587 }, { local_port: 25 }]) {
      const t = await b.trace(vars);
      expect(t.explanation).toEqual(await b.explain(vars));
      expect(t.value).toEqual(b.evaluate(vars));
    }
    const t = await b.trace({ local_port: 587 });
    expect(t.explanation.conditions.map((c) => c.matched)).toEqual([false, true]);
    expect(t.explanation.taken).toEqual({ kind: 'then', condition: 2, source: '[oauthbearer, xoauth2]' });
    expect(asConstantList(t.value)).toEqual(['oauthbearer', 'xoauth2']);
  });

  it('gives null for an unset block and rejects with EvaluationError when a function fails', async () => {
    expect(await compile({ match: [], else: '' }).trace({})).toEqual({ explanation: { conditions: [], taken: null, value: null, captures: [], cost: { spent: 0, estimate: 0, limit: 1_000_000 } }, value: null });
    const boom = compile('boom()', { functions: [{ name: 'boom', arity: 0, asyncFn: async () => Promise.reject(new Error('down')) }] });
    await expect(boom.trace({})).rejects.toBeInstanceOf(EvaluationError);
  });
});

describe('typed readers', () => {
  it('reads the SASL mechanisms as a list of constants', () => {
    const b = compile(SASL, EHLO);
    expect(asConstantList(b.evaluate({ local_port: 587, is_tls: true }))).toEqual(['plain', 'login', 'oauthbearer', 'xoauth2']);
    expect(asConstantList(b.evaluate({ local_port: 25 }))).toEqual([]);
    expect(asConstantList(['plain'], ['login'])).toBeUndefined();
    expect(asConstantList(compile("''").evaluate())).toEqual([]);
    expect(asConstantList(compile("['plain']").evaluate())).toBeUndefined();
  });

  it('reads booleans, integers, durations, strings and lists', () => {
    expect(asBoolean(compile("'0'").evaluate())).toBe(true);
    expect(asBoolean(null)).toBeUndefined();
    expect(asInteger(compile("'42'").evaluate())).toBe(42);
    expect(asInteger(compile('7 / 2').evaluate())).toBe(3);
    expect(asInteger('x')).toBeUndefined();
    expect(asDuration(compile('5s').evaluate())).toBe(5000);
    expect(asDuration('10m')).toBe(600_000);
    expect(asDuration(0)).toBeUndefined();
    expect(asDuration(-5)).toBeUndefined();
    expect(asString(compile('false').evaluate())).toBeUndefined();
    expect(asString('hello')).toBe('hello');
    expect(asList('x')).toEqual(['x']);
    expect(asList('')).toEqual([]);
  });
});
