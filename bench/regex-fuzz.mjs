#!/usr/bin/env node
// Differential fuzzing of the native RegExp subset (src/language/compiler/regex-native.ts)
// against re2js: random patterns in and around the subset, random subjects, and for every
// pattern the subset accepts, the match and every capture compared on every subject.
//
//   npm run build && node bench/regex-fuzz.mjs                 # 5,000,000 pairs
//   node bench/regex-fuzz.mjs --pairs 20000000 --seed 7
//
// It then times accepted patterns on hostile subjects of growing length (a failing match
// that gives back every character it took), to show the time grows linearly.
//
// The test suite runs the same fuzzer on a few hundred thousand pairs
// (test/language/regex-native.test.ts).
import { pathToFileURL } from 'node:url';

/** A small seeded generator (mulberry32), so a run can be repeated from its seed. */
export function random(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ANY = ['a', 'b', 'c', 'x', '@', '.', '-', ' ', '+', '(', '[', ']', '0', '7', 'A', '\r', '\u2028', 'é', '😀', '\ud800', '\udc00'];
/** Atoms of the subset, each with characters it matches (to build subjects that match). */
const ATOMS = [
  ['a', ['a']], ['b', ['b']], ['c', ['c']], ['@', ['@']], ['-', ['-']], [' ', [' ']], ['x', ['x']],
  ['\\.', ['.']], ['\\-', ['-']], ['\\+', ['+']], ['\\(', ['(']], ['\\[', ['[']], ['.', ANY],
  ['[ab]', ['a', 'b']], ['[^@]', ANY.filter((c) => c !== '@')], ['[a-c]', ['a', 'b', 'c']], ['[^a]', ANY.filter((c) => c !== 'a')],
  ['[.@]', ['.', '@']], ['[^\\]]', ANY.filter((c) => c !== ']')], ['[0-9]', ['0', '7']], ['[^ab@]', ['c', 'x', '-', '😀', '\r']], ['[\\-x]', ['-', 'x']],
];
// Forms outside the subset, so that its edges are exercised too.
const OUTSIDE = ['\\d', '\\w', '\\s', '\\b', '(?i)a', 'a{2}', 'a*?', '(?:a)', '(?P<n>a)', 'a|b', '[[:alpha:]]', 'é', '\\pL'];
const QUANTIFIERS = ['', '', '', '*', '+', '?'];
const SUBJECT_UNITS = [...ANY, '\n'];

function pick(rand, xs) {
  return xs[Math.floor(rand() * xs.length)];
}

/** A random pattern (mostly anchored sequences of atoms and groups, sometimes a form outside the subset) and a string it may match. */
export function pattern(rand) {
  const seq = (depth) => {
    let text = '';
    let example = '';
    const n = 1 + Math.floor(rand() * 4);
    for (let i = 0; i < n; i++) {
      const r = rand();
      if (r < 0.15 && depth < 2) {
        const inner = seq(depth + 1);
        text += `(${inner.text})${rand() < 0.1 ? pick(rand, ['*', '+', '?']) : ''}`;
        example += inner.example;
      } else if (r < 0.18) text += pick(rand, OUTSIDE);
      else {
        const [atom, members] = pick(rand, ATOMS);
        const q = pick(rand, QUANTIFIERS);
        text += atom + q;
        const times = q === '' ? 1 : q === '?' ? Math.floor(rand() * 2) : (q === '+' ? 1 : 0) + Math.floor(rand() * 4);
        for (let k = 0; k < times; k++) example += pick(rand, members);
      }
    }
    return { text, example };
  };
  const body = seq(0);
  return { text: `${rand() < 0.95 ? '^' : ''}${body.text}${rand() < 0.5 ? '$' : ''}`, example: body.example };
}

/** A subject: the pattern's example, often changed by a character or extended, or a random string. */
export function subject(rand, example) {
  const r = rand();
  if (r < 0.3) {
    const n = Math.floor(rand() * 12);
    let s = '';
    for (let i = 0; i < n; i++) s += pick(rand, SUBJECT_UNITS);
    return s;
  }
  if (r < 0.5) return example;
  if (r < 0.7) return example + pick(rand, SUBJECT_UNITS) + (rand() < 0.5 ? example : '');
  const units = Array.from(example);
  const at = Math.floor(rand() * (units.length + 1));
  if (rand() < 0.5) units.splice(at, 1);
  else units.splice(at, 0, pick(rand, SUBJECT_UNITS));
  return units.join('');
}

/**
 * Runs `pairs` comparisons from `seed`. `nativePattern` and `RE2JS` are passed in (the
 * sources for the test suite, the build for the benchmark). Returns the counts and the
 * first disagreements.
 */
export function fuzz({ pairs, seed, nativePattern, RE2JS, subjectsPerPattern = 40 }) {
  const rand = random(seed);
  const stats = { pairs: 0, patterns: 0, accepted: 0, matched: 0, disagreements: [] };
  while (stats.pairs < pairs) {
    const { text: p, example } = pattern(rand);
    stats.patterns++;
    let re2;
    try {
      re2 = RE2JS.compile(p);
    } catch {
      continue;
    }
    const native = nativePattern(p);
    if (native === undefined) continue;
    stats.accepted++;
    const groups = re2.groupCount();
    if (groups !== native.groups) stats.disagreements.push({ pattern: p, groups: [groups, native.groups] });
    for (let k = 0; k < subjectsPerPattern; k++) {
      const s = subject(rand, example);
      const m = re2.matcher(s);
      const expected = m.find() ? Array.from({ length: groups + 1 }, (_, i) => m.group(i) ?? '') : null;
      const r = native.regex.exec(s);
      const got = r === null ? null : Array.from({ length: groups + 1 }, (_, i) => r[i] ?? '');
      stats.pairs++;
      if (expected !== null) stats.matched++;
      if (JSON.stringify(expected) !== JSON.stringify(got) && stats.disagreements.length < 20) stats.disagreements.push({ pattern: p, subject: s, expected, got });
    }
  }
  return stats;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const arg = (name, d) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : d);
  const { RE2JS } = await import('re2js');
  const { nativePattern } = await import('../dist/language/compiler/regex-native.js');
  const t = performance.now();
  const stats = fuzz({ pairs: arg('--pairs', 5_000_000), seed: arg('--seed', 1), nativePattern, RE2JS });
  const seconds = (performance.now() - t) / 1000;
  console.log(`${stats.pairs} pairs (${stats.matched} matches) over ${stats.accepted} accepted of ${stats.patterns} patterns, ${seconds.toFixed(1)} s: ${stats.disagreements.length} disagreements`);
  for (const d of stats.disagreements) console.log(JSON.stringify(d));
  const hostile = [
    ['^([^@]+)@(.+)$', (n) => 'a'.repeat(n)],
    ['^[a-z]*[0-9]+x$', (n) => 'a'.repeat(n) + '0'.repeat(n)],
    ['^(.*)$', (n) => 'a'.repeat(n) + '\n'],
  ];
  for (const [p, make] of hostile) {
    const native = nativePattern(p);
    if (native === undefined) throw new Error(`${p} should be in the subset`);
    const cells = [];
    for (const n of [1 << 14, 1 << 16, 1 << 18, 1 << 20]) {
      const input = make(n);
      const t0 = performance.now();
      for (let k = 0; k < 5; k++) native.regex.exec(input);
      cells.push(`${n}: ${((performance.now() - t0) / 5).toFixed(2)} ms`);
    }
    console.log(`${p} on hostile input: ${cells.join(', ')}`);
  }
  process.exitCode = stats.disagreements.length === 0 ? 0 : 1;
}
