/**
 * The native RegExp subset (compiler/regex-native.ts): which patterns it takes, and a
 * differential fuzz against re2js on a few hundred thousand (pattern, subject) pairs (the
 * larger run is bench/regex-fuzz.mjs).
 */
import { RE2JS } from 're2js';
import { describe, expect, it } from 'vitest';
// @ts-expect-error the fuzzer is a plain script, without types
import { fuzz } from '../../bench/regex-fuzz.mjs';
import { nativePattern } from '../../src/language/compiler/regex-native.js';
import { compile } from '../../src/language/index.js';

interface FuzzStats {
  pairs: number;
  patterns: number;
  accepted: number;
  matched: number;
  disagreements: unknown[];
}

describe('the native RegExp subset', () => {
  it.each([
    ['^([^@]+)@(.+)$', '^([^@]+)@([^\\n]+)$'],
    ['^[a-z]+\\.[0-9]*$', '^[a-z]+\\.[0-9]*$'],
    ['^x-(a)b?c', '^x-(a)b?c'],
    ['^', '^'],
    ['^[a-z]*(@)[^.]+', '^[a-z]*(@)[^.]+'],
  ])('takes %s as %s', (pattern, source) => {
    expect(nativePattern(pattern)?.regex.source).toBe(source);
  });

  it.each([
    ['([^@]+)@(.+)', 'not anchored'],
    ['^(a+)+$', 'a quantified group'],
    ['^(a|b)c', 'alternation'],
    ['^a*a', 'a repeated set that what follows may continue'],
    ['^.*@', 'a repeated . before a character it matches'],
    ['^[ab]?[bc]', 'an optional set overlapping what follows'],
    ['^a*b?a', 'overlap past an optional item'],
    ['^\\d+', 'a class escape'],
    ['^\\w', 'a class escape'],
    ['^a\\b', 'a word boundary'],
    ['^(?i)a', 'an inline flag'],
    ['^(?:a)b', 'a non-capturing group'],
    ['^(?P<n>a)', 'a named group'],
    ['^a{2}', 'counted repetition'],
    ['^a*?b', 'a lazy quantifier'],
    ['^é', 'a character outside ASCII'],
    ['^[[:alpha:]]', 'a POSIX class'],
    ['^[a-]', 'a dash that is not a range'],
    ['^a$b', '$ before the end'],
    ['^\\n', 'an escape of a letter'],
  ])('refuses %s (%s)', (pattern) => {
    expect(nativePattern(pattern)).toBeUndefined();
  });

  it('agrees with re2js on the match and every capture, over 200,000 pairs', () => {
    const stats = fuzz({ pairs: 200_000, seed: 20261202, nativePattern, RE2JS }) as FuzzStats;
    expect(stats.disagreements).toEqual([]);
    // Not vacuous: many patterns are taken, and many pairs match.
    expect(stats.accepted).toBeGreaterThan(3000);
    expect(stats.matched).toBeGreaterThan(stats.pairs / 5);
  });

  it('gives a program the captures re2js gives, and the reference closures keep re2js', () => {
    const block = { match: [{ if: "matches('^([^@]+)@(.+)$', rcpt)", then: "$2 + '/' + $1" }], else: "'none'" };
    for (const rcpt of ['jane@example.org', 'a@b@c', '@x', 'x@', 'é😀@\ud800', 'no-at', 'a@b\nc']) {
      const fast = compile(block, { variables: ['rcpt'] }).evaluate({ rcpt });
      const reference = compile(block, { variables: ['rcpt'], optimize: false }).evaluate({ rcpt });
      expect(fast, rcpt).toBe(reference);
    }
  });
});
