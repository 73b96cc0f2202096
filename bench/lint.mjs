// The cost of linting beside the cost of compiling: the real-world corpus (when
// ../shared/corpus is there), and large blocks of the shapes the rules work hardest on
// (long chains, long ladders, repeated long conditions). Medians of repeated runs.
//
//   npm run build && node bench/lint.mjs [--runs 15]
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compile, lint } from '../dist/language/index.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CORPUS = join(ROOT, '..', 'shared', 'corpus');
const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 15;

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

function measure(fn) {
  // Warm up for about half a second, so the numbers are those of optimised code.
  for (const end = performance.now() + 500; performance.now() < end; ) fn();
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    times.push(performance.now() - t);
  }
  return median(times);
}

/** Cases: [name, [{ input, options, field }]]. */
const cases = [];

if (existsSync(join(CORPUS, 'schema-defaults.json'))) {
  const spam = JSON.parse(readFileSync(join(CORPUS, 'spam-filter-rules.json'), 'utf8')).blocks;
  const defaults = JSON.parse(readFileSync(join(CORPUS, 'schema-defaults.json'), 'utf8')).fields.filter((f) => f.default && typeof f.default.else === 'string');
  cases.push([
    `corpus (${spam.length + defaults.length} blocks)`,
    [
      ...spam.map((b) => ({ input: b.block, field: { variables: b.variables } })),
      ...defaults.map((f) => ({ input: f.default, field: { variables: f.variables, constants: f.constants } })),
    ],
  ]);
}

const field = { variables: 'MtaRcptToVariable', type: 'string' };
const terms = (n, f) => Array.from({ length: n }, (_, i) => f(i));
cases.push(
  ['sum of 1999 terms', [{ input: terms(1999, () => 'local_port').join(' + '), field }]],
  ['|| chain of 1999 comparisons', [{ input: terms(1999, (i) => `rcpt == 'a${i}'`).join(' || '), field }]],
  ['ladder of 2000 conditions', [{ input: { match: terms(2000, (i) => ({ if: `local_port == ${i}`, then: `'${i}'` })), else: "'x'" }, field }]],
  ['256 overlapping ranges', [{ input: { match: terms(256, (i) => ({ if: `local_port == ${i * 2} || local_port > ${i * 3} && local_port < ${i * 3 + 2}`, then: `'${i}'` })), else: "'x'" }, field }]],
  ['256 repeats of a 200-term condition', [{ input: { match: terms(256, () => ({ if: terms(200, (i) => `local_port == ${i}`).join(' || '), then: "'a'" })), else: "'x'" }, field }]],
);

const options = (f) => ({ ...(f.variables !== undefined ? { variables: f.variables } : {}), ...(f.constants !== undefined ? { constants: f.constants } : {}) });
console.log(`Node ${process.version}, ${runs} runs, median ms\n`);
console.log('| case | compile | lint | lint ÷ compile |');
console.log('|---|---:|---:|---:|');
for (const [name, items] of cases) {
  const programs = items.map((c) => [compile(c.input, options(c.field)), c.field]);
  const c = measure(() => items.forEach((it) => compile(it.input, options(it.field))));
  const l = measure(() => programs.forEach(([p, f]) => lint(p, { field: f })));
  console.log(`| ${name} | ${c.toFixed(2)} | ${l.toFixed(2)} | ${(l / c).toFixed(2)} |`);
}
