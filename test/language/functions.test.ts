/** Built-in functions beyond the conformance vectors: edge cases of each table row. */
import { describe, expect, it } from 'vitest';
import { BUILTIN_FUNCTIONS, compile, SPECIAL_FORMS } from '../../src/language/index.js';

const ev = (expr: string, vars?: Record<string, unknown>) => compile(expr).evaluateJson(vars);

describe('text', () => {
  it.each([
    ["trim('\u00a0x\u3000\n')", 'x'],
    ["trim('\ufeffx')", '\ufeffx'],
    ["split_n('ab', '', 1)", ['', 'ab']],
    ["split_n('ab', '', 5)", ['', 'a', 'b', '']],
    ["split_n('a,b,c', ',', -1)", ['a', 'b', 'c']],
    ["split('', '')", ['', '']],
    ["rsplit('ab', '')", ['', 'b', 'a', '']],
    ["split('a😀b', '')", ['', 'a', '😀', 'b', '']],
    ["split_once('ab', '')", ['', 'ab']],
    ["rsplit_once('ab', '')", ['ab', '']],
    ["substring('a😀bc', 1, 2)", '😀b'],
    ["substring('abc', 1.9, 1)", 'b'],
    ["substring('abc', '1', 1)", 'b'],
    ["substring('abc', 'x', 1)", 'a'],
    ["count_spaces('a\u2003b\tc\u200b')", 2],
    ["count_chars(['ab', 'c'])", 5],
    ["len('😀')", 4],
    ['len(plain)', 5],
    ["is_lowercase('ß1')", 1],
    ["is_lowercase(['a', 'B'])", [1, 0]],
    ["has_digits([1, 'x'])", [1, 0]],
    ["lines('')", []],
    ["lines('a\n\nb')", ['a', '', 'b']],
    ["split_words('über  straße 3x')", ['über', 'straße', '3x']],
    ["contains_ignore_case('STRASSE', 'strasse')", 1],
    ["eq_ignore_case('É', 'é')", 0],
    ["hash('abc', 'SHA256')", ''],
    ["strip_suffix([1, 'x1'], 1)", ['', 'x']],
  ])('%s', (expr, expected) => {
    expect(ev(expr)).toEqual(expected);
  });

  it('keeps backslashes in string literals', () => {
    expect(ev("lines('a\\nb')")).toEqual(['a\\nb']);
  });
});

describe('arrays', () => {
  it.each([
    ["sort([plain, 'b', [1], login], true)", [{ constant: 'login' }, { constant: 'plain' }, 'b', [1]]],
    ['sort([3, 1, 2], 0)', [3, 2, 1]],
    ["dedup(['a', 'A', 'a'])", ['a', 'A']],
    ['dedup([[1], [1], 2])', [[1], 2]],
    ["dedup(['abc', 0, 'x'])", ['abc', 'x']],
    ['winnow(5)', 5],
    ['is_intersect([1, 2], [3, 2.0])', 1],
    ["is_intersect(['1'], [1])", 1],
    ["is_intersect([], 'a')", 0],
    ['count([[]])', 1],
  ])('%s', (expr, expected) => {
    expect(ev(expr)).toEqual(expected);
  });
});

describe('e-mail', () => {
  it.each([
    ['first.last+tag@sub.example.org', 1],
    ["o'brien@example.ie", 1],
    ['üñí@exämple.org', 1],
    ['"a@b"@example.org', 1],
    ['"unterminated@example.org', 0],
    ['.a@example.org', 0],
    ['a.@example.org', 1],
    ['a..@example.org', 0],
    ['.@example.org', 0],
    ['a@example..org', 0],
    ['a@example.org.', 0],
    ['a@-', 0],
    ['', 0],
    ['a(b)@c.d', 0],
  ])('is_email(%j) = %i', (address, expected) => {
    expect(compile('is_email(v)', { variables: ['v'] }).evaluate({ v: address })).toBe(expected);
  });

  it('splits addresses elementwise', () => {
    expect(ev("email_part(['a@x.org', 'b@y.org', 'c'], 'domain')")).toEqual(['x.org', 'y.org', '']);
  });
});

describe('IP addresses', () => {
  it.each([
    ['255.255.255.255', 1, 1, 0],
    ['256.0.0.1', 0, 0, 0],
    ['1.2.3', 0, 0, 0],
    ['0x1.2.3.4', 0, 0, 0],
    ['1:2:3:4:5:6:7:8', 1, 0, 1],
    ['1:2:3:4:5:6:7:8:9', 0, 0, 0],
    ['::', 1, 0, 1],
    ['2001:DB8::1', 1, 0, 1],
    ['::ffff:01.2.3.4', 0, 0, 0],
    ['12345::', 0, 0, 0],
    [' 1.2.3.4', 0, 0, 0],
  ])('%s', (ip, any, v4, v6) => {
    const p = (f: string) => compile(`${f}(v)`, { variables: ['v'] }).evaluate({ v: ip });
    expect([p('is_ip_addr'), p('is_ipv4_addr'), p('is_ipv6_addr')]).toEqual([any, v4, v6]);
  });

  it.each([
    ['192.168.1.20', '192.168.0.0/16', 1],
    ['192.168.1.20', '192.168.1.16/29', 1],
    ['192.168.1.24', '192.168.1.16/29', 0],
    ['192.168.1.20', '192.168.0.0/7', 0],
    ['192.168.1.20', '192.168.0.0/33', 0],
    ['192.168.1.20', '192.168.0.0/', 0],
    ['192.168.1.20', '192.168.0.0/16/1', 0],
    ['::10.1.2.3', '10.0.0.0/8', 1],
    ['2001:db8::1', '10.0.0.0/8', 0],
    ['2001:db8:ffff::1', '2001:db8::/33', 0],
    ['2001:db8:7fff::1', '2001:db8::/33', 1],
    ['::1', '::1', 1],
  ])('is_ip_in_cidr(%s, %s) = %i', (ip, cidr, expected) => {
    expect(compile('is_ip_in_cidr(a, b)', { variables: ['a', 'b'] }).evaluate({ a: ip, b: cidr })).toBe(expected);
  });

  it('reverses IPv4-mapped addresses as IPv6', () => {
    expect(ev("ip_reverse_name('::ffff:1.2.3.4')")).toBe('4.0.3.0.2.0.1.0.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0');
  });
});

describe('function table', () => {
  it('has every function of SPEC §10', () => {
    const names = [
      'trim', 'trim_start', 'trim_end', 'len', 'to_lowercase', 'to_uppercase', 'is_lowercase', 'is_uppercase', 'has_digits',
      'count_chars', 'count_spaces', 'count_uppercase', 'count_lowercase', 'contains', 'contains_ignore_case', 'eq_ignore_case',
      'starts_with', 'ends_with', 'strip_prefix', 'strip_suffix', 'substring', 'lines', 'split', 'rsplit', 'split_once',
      'rsplit_once', 'split_n', 'split_words', 'hash', 'count', 'sort', 'dedup', 'winnow', 'is_intersect', 'is_email',
      'email_part', 'is_empty', 'is_number', 'is_ip_addr', 'is_ipv4_addr', 'is_ipv6_addr', 'is_ip_in_cidr', 'ip_reverse_name',
      'if_then', 'is_local_domain', 'is_local_address', 'key_get', 'key_exists', 'key_set', 'counter_incr', 'counter_get',
      'dns_query', 'sql_query',
    ];
    expect(new Set([...BUILTIN_FUNCTIONS.keys()])).toEqual(new Set(names));
    expect([...SPECIAL_FORMS.keys()]).toEqual(['matches', 'system', 'metric']);
  });

  it('checks every arity', () => {
    for (const [name, spec] of BUILTIN_FUNCTIONS) {
      const args = (n: number) => Array.from({ length: n }, () => "'a'").join(', ');
      expect(() => compile(`${name}(${args(spec.arity + 1)})`)).toThrow(`\`${name}\` expects ${spec.arity} argument`);
      if (spec.arity > 0) expect(() => compile(`${name}(${args(spec.arity - 1)})`)).toThrow('expects');
    }
  });
});
