// Hostile programs and inputs, timed: the slowest compiles the default limits accept (each
// limit filled in the way that costs most), and evaluations that the cost budget or the
// sizes of built values stop. Each case runs a few times after a warm-up; the median wall
// time is reported, with what the evaluation spent where it completed.
//
//   node bench/hostile.mjs [--runs 5]
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const RUNS = Number(args[args.indexOf('--runs') + 1]) || 5;
const { compile, DEFAULT_LIMITS, EvaluationError, CompileError } = await import(join(here, '..', 'dist', 'language', 'index.js'));

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
};

function timed(f) {
  let outcome;
  const once = () => {
    const t = performance.now();
    try {
      outcome = f();
    } catch (e) {
      if (!(e instanceof EvaluationError || e instanceof CompileError)) throw e;
      outcome = `${e.name} ${e.code}`;
    }
    return performance.now() - t;
  };
  once();
  const ms = median(Array.from({ length: RUNS }, once));
  return { ms, outcome };
}

const { maxNodes, maxConditions, maxRegexSize } = DEFAULT_LIMITS;
const items = (n, f) => Array.from({ length: n }, (_, i) => f(i));
const words = (n) => items(n, (i) => `w${i.toString(36)}x`).join('|');
/** Terms joined by an operator, in parenthesised groups of 1000 (a chain may not be deeper than maxDepth). */
const chain = (terms, op) => items(Math.ceil(terms.length / 1000), (g) => `(${terms.slice(g * 1000, g * 1000 + 1000).join(op)})`).join(op);

/** The largest programs the default limits accept, each filling one limit the costly way. */
const COMPILES = {
  'list of variables, maxNodes tokens': () => `[${items(maxNodes / 2 - 2, () => 'x').join(', ')}]`,
  'sums in parentheses, maxNodes tokens': () => items(Math.floor(maxNodes / 2000), () => `(${items(999, () => 'y').join(' + ')})`).join(' + '),
  'comparison chains, maxNodes tokens': () => items(Math.floor(maxNodes / 4000), () => `(y ${items(1980, (i) => `< ${i}`).join(' ')})`).join(' || '),
  'calls, maxNodes tokens': () => chain(items(Math.floor(maxNodes / 7) - 10, (i) => `contains(x, '${i}')`), ' || '),
  'block of maxConditions conditions': () => ({ match: items(maxConditions, (i) => ({ if: `x == 'a${i}' || z == 'b${i}'`, then: `'${i}'` })), else: "''" }),
  'block of maxConditions conditions, maxNodes tokens': () => ({
    match: items(maxConditions, (i) => ({ if: items(Math.floor((maxNodes / maxConditions - 5) / 4), (j) => `x == 'a${i}${j}'`).join(' || '), then: `[x, '${i}']` })),
    else: "''",
  }),
  'tiny patterns, maxRegexSize': () => chain(items(Math.floor(maxRegexSize / 40), (i) => `matches('^a${i}$', x)`), ' || '),
  'one literal pattern, maxRegexSize': () => `matches('${'abcdefgh'.repeat(Math.floor((maxRegexSize - 40) / 8))}', x)`,
  'word alternation, maxRegexSize': () => `matches('(?i)\\b(${words(1600).slice(0, maxRegexSize - 60).replace(/\|[^|]*$/, '')})\\b', x)`,
  'Unicode classes, maxRegexSize': () => items(Math.floor(maxRegexSize / 3600), (i) => `matches('${'\\pL'.repeat(100)}${i}', x)`).join(' || '),
  'counted repeats, maxRegexSize': () => items(9, (i) => `matches('[a-z\\pN]{1000}${i}', x)`).join(' || '),
  'patterns and tokens together': () => chain([...items(Math.floor(maxRegexSize / 45), (i) => `matches('^(a|b)${i}$', x)`), ...items(Math.floor((maxNodes - 100 - (maxRegexSize / 45) * 7) / 4), (i) => `x == '${i}'`)], ' || '),
  'longest string literal': () => `'${'x'.repeat(DEFAULT_LIMITS.maxSourceLength - 2)}'`,
};

// The slowest in a fresh process is often the first: every case is also timed cold.
const compiles = [];
for (const [name, make] of Object.entries(COMPILES)) {
  const source = make();
  const variables = ['x', 'y', 'z'];
  const cold = performance.now();
  try {
    compile(source, { variables });
  } catch (e) {
    throw new Error(`${name}: ${e.detail ?? e.message}`);
  }
  const coldMs = performance.now() - cold;
  const { ms, outcome } = timed(() => compile(source, { variables }));
  compiles.push({ name, coldMs, ms, outcome: typeof outcome === 'string' ? outcome : `cost ≤ ${outcome.cost}` });
}

const MIB = 'a'.repeat(1 << 20);
const letters = 'abcdefghijklmnopqrstuvwxyz';
/** Evaluations stopped by the budget or the sizes (the first ones took seconds, overflowed or ran out of heap without them). */
const EVALUATIONS = {
  "'111…1x' == 5 (1 MiB of digits)": ['x == 5', { x: '1'.repeat(1 << 20) + 'x' }],
  '600 concatenations of a 1 MiB variable': [items(600, () => 'x').join(' + '), { x: MIB }],
  "count(split(…, '')) of 100 of them": [`count(split(${items(100, () => 'x').join(' + ')}, ''))`, { x: MIB }],
  'captures feeding themselves': [["matches('^(.*)$', x)", ...items(9, () => "matches('^(.*)$', $1 + $1)")].join(' && '), { x: 'a'.repeat(10_000) }],
  '(?:[a-z]{100}){10}0 with captures, 64 KiB': ["matches('(?:[a-z]{100}){10}0', x) && $0 != ''", { x: letters.repeat(2520) + '0' }],
  'dedup of 100,000 mixed items': ['count(dedup(x))', { x: items(100_000, (i) => (i % 2 ? String(i) : i)) }],
  'is_intersect of 100,000 mixed items': ['is_intersect(x, y)', { x: items(100_000, (i) => (i % 2 ? String(i) : i)), y: items(100_000, (i) => [i]) }],
  'strings built to the budget': [items(100, () => 'len(x + x + x + x)').join(' + '), { x: 'a'.repeat(100_000) }],
  'lists built to the budget': [items(60, () => "count(split(x, ','))").join(' + '), { x: 'a,'.repeat(50_000) }],
  'case conversion to the budget': [items(100, () => 'len(to_lowercase(x))').join(' + '), { x: 'A'.repeat(1 << 20) }],
  'mapped lists to the budget': [items(60, () => 'count(to_uppercase(y))').join(' + '), { y: items(100_000, (i) => `w${i}`) }],
  'matches with captures to the budget': [items(20, () => "matches('^([a-z]+)@(.+)$', x) && len($1) > 0").join(' && '), { x: 'a'.repeat(60_000) + '@b' }],
  'sorts to the budget': [items(20, () => 'count(sort(y, 1))').join(' + '), { y: items(100_000, (i) => `w${(i * 7919) % 100_000}`) }],
  'dedups to the budget': [items(40, () => 'count(dedup(y))').join(' + '), { y: items(100_000, (i) => (i % 2 ? `w${i}` : i)) }],
  'list concatenations to the budget': [items(50, () => 'count(y + y)').join(' + '), { y: items(50_000, (i) => i) }],
  'hashes to the budget': [items(100, () => "len(hash(x + 'a', 'sha512'))").join(' + '), { x: 'a'.repeat(1 << 19) }],
};

const evaluations = [];
for (const [name, [source, vars]] of Object.entries(EVALUATIONS)) {
  const p = compile(source, { variables: ['x', 'y'] });
  const { ms, outcome } = timed(() => p.evaluate(vars));
  let spent = null;
  try {
    spent = (await p.explain(vars)).cost.spent;
  } catch {
    // stopped: it spent the budget (or less, stopped by a size)
  }
  evaluations.push({ name, metered: p.cost > p.costLimit, ms, outcome: typeof outcome === 'string' ? outcome : 'completed', spent });
}

const lines = [`Node ${process.version}, ${RUNS} runs, median wall time`, '', 'Compiles at the default limits', '', '| program | first ms | ms | outcome |', '|---|---:|---:|---|'];
for (const c of compiles) lines.push(`| ${c.name} | ${c.coldMs.toFixed(1)} | ${c.ms.toFixed(1)} | ${c.outcome} |`);
lines.push('', `Evaluations (limits.maxCost ${DEFAULT_LIMITS.maxCost})`, '', '| evaluation | metered | ms | outcome | units spent | ns/unit |', '|---|---|---:|---|---:|---:|');
for (const e of evaluations) {
  const perUnit = e.spent ? (e.ms * 1e6) / e.spent : e.outcome.endsWith('budget') ? (e.ms * 1e6) / DEFAULT_LIMITS.maxCost : null;
  lines.push(`| ${e.name} | ${e.metered ? 'yes' : 'no'} | ${e.ms.toFixed(1)} | ${e.outcome} | ${e.spent ?? '—'} | ${perUnit === null ? '—' : perUnit.toFixed(0)} |`);
}
console.log(lines.join('\n'));
