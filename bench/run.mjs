#!/usr/bin/env node
// Benchmarks mta-expr against a hand-written JavaScript closure (the physical limit) and
// the peer engines that can express each case, all in one process, interleaved in rounds.
//
//   npm run bench                    # from the project root (builds first)
//   node bench/run.mjs --rounds 5    # more rounds
//   node bench/run.mjs --save        # also write bench/results/<date>-node<version>.json
//
// Timing: mitata's measure() (batched loops, so nanosecond costs are resolved); each call
// gets its variables as a parameter, cycling through 64 distinct context objects so nothing
// can be constant-folded. Every engine's result is checked before it is timed. Reported:
// the median over rounds of each measurement's median (p50), and the ratio to the closure.
// After the first run, a megamorphic run times mta-expr and the closure again on context
// objects of eight different shapes (what a server evaluating many fields for many sessions
// sees), printed beside the first. Compile timings compile a different source string on each
// call (a literal varies), so no cache or string-keyed shortcut can answer.
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { measure, do_not_optimize } from 'mitata';
import { Environment } from '@marcbachmann/cel-js';
import { compileExpression as filtrex } from 'filtrex';
import jsep from 'jsep';
import { eval as jsepEval } from 'expression-eval';
import jexlModule from 'jexl';
import { Parser as ExprEvalParser } from 'expr-eval';
import { compile, prepareVariables } from '../dist/language/index.js';
import { startup, startupReport } from './startup.mjs';

const here = dirname(fileURLToPath(import.meta.url));

/** The commit measured (short hash, `+dirty` with uncommitted changes), or `unknown` outside a git checkout. */
function gitCommit() {
  try {
    const hash = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: here, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', '../src'], { cwd: here, encoding: 'utf8' }).trim() !== '';
    return dirty ? `${hash}+dirty` : hash;
  } catch {
    return 'unknown';
  }
}
const args = process.argv.slice(2);
const ROUNDS = Number(args[args.indexOf('--rounds') + 1]) || 3;
const SAVE = args.includes('--save');
const QUICK = args.includes('--quick');
/** Only the compile timings and the scaling (a quick check of a change to compile time). */
const COMPILE_ONLY = args.includes('--compile-only');
const MEASURE = { min_cpu_time: QUICK ? 50e6 : 300e6 }; // ns of CPU time per measurement

// ---------------------------------------------------------------------------
// Inputs: 64 distinct context objects with the same values.

const BASE = { local_port: 587, is_tls: true, rcpt: 'jane@example.org', sender: 'bob@example.org', name_lower: 'cc', remote_ip: '192.168.1.20', retry_num: 3 };
const N_CTX = 64;
const contexts = (extra = {}) => Array.from({ length: N_CTX }, () => JSON.parse(JSON.stringify({ ...BASE, ...extra })));
/**
 * 64 context objects of eight different shapes (hidden classes): the same values, with the
 * keys in another order and an extra key of each shape's own.
 */
const SHAPES = 8;
const mixedContexts = (extra = {}) =>
  Array.from({ length: N_CTX }, (_, i) => {
    const shape = i % SHAPES;
    const entries = Object.entries({ ...BASE, ...extra });
    const rotated = [...entries.slice(shape), ...entries.slice(0, shape)];
    return JSON.parse(JSON.stringify(Object.fromEntries([...rotated, [`shape_${shape}`, shape]])));
  });
const celContexts = () => contexts().map((c) => ({ ...c, local_port: BigInt(c.local_port), retry_num: BigInt(c.retry_num) }));
const VARIABLES = Object.keys(BASE).concat(['octets']);

// ---------------------------------------------------------------------------
// Engines

const cel = new Environment()
  .registerVariable('local_port', 'int')
  .registerVariable('is_tls', 'bool')
  .registerVariable('rcpt', 'string')
  .registerVariable('sender', 'string')
  .registerVariable('name_lower', 'string')
  .registerVariable('remote_ip', 'string')
  .registerVariable('retry_num', 'int');
const jexl = new jexlModule.Jexl();
jexl.addFunction('starts_with', (a, b) => String(a).startsWith(b));
const exprEval = new ExprEvalParser();
exprEval.functions.starts_with = (a, b) => String(a).startsWith(b);
const filtrexOptions = { extraFunctions: { starts_with: (a, b) => String(a).startsWith(b), concat: (...p) => p.join('') } };

const ours = (source) => {
  const p = compile(source, { variables: VARIABLES, constants: 'MtaAuthTypeConstant' });
  return (c) => p.evaluate(c);
};

/** Per case: the expression in each engine's syntax (engines that cannot express it are absent). */
const EXPRESSION_CASES = [
  {
    id: 'E1',
    ours: 'local_port != 25 && is_tls',
    expected: true,
    closure: (c) => c.local_port !== 25 && c.is_tls,
    'cel-js': 'local_port != 25 && is_tls',
    filtrex: 'local_port != 25 and is_tls',
    'jsep+expression-eval': 'local_port != 25 && is_tls',
    jexl: 'local_port != 25 && is_tls',
    'expr-eval': 'local_port != 25 and is_tls',
  },
  {
    id: 'E2',
    ours: "starts_with(rcpt, 'jane') || sender == 'jdoe'",
    expected: true,
    closure: (c) => c.rcpt.startsWith('jane') || c.sender === 'jdoe',
    'cel-js': "rcpt.startsWith('jane') || sender == 'jdoe'",
    filtrex: 'starts_with(rcpt, "jane") or sender == "jdoe"',
    'jsep+expression-eval': "rcpt.startsWith('jane') || sender == 'jdoe'",
    jexl: "starts_with(rcpt, 'jane') || sender == 'jdoe'",
    'expr-eval': 'starts_with(rcpt, "jane") or sender == "jdoe"',
  },
  {
    id: 'E3',
    ours: "contains(['to', 'cc', 'bcc'], name_lower)",
    expected: true,
    closure: (() => {
      const list = ['to', 'cc', 'bcc'];
      return (c) => list.includes(c.name_lower);
    })(),
    'cel-js': "name_lower in ['to', 'cc', 'bcc']",
    filtrex: 'name_lower in ("to", "cc", "bcc")',
    'jsep+expression-eval': "['to', 'cc', 'bcc'].includes(name_lower)",
    jexl: "name_lower in ['to', 'cc', 'bcc']",
    'expr-eval': 'name_lower in ["to", "cc", "bcc"]',
  },
  {
    id: 'E4',
    ours: "'mx.' + rcpt + '-' + retry_num",
    expected: 'mx.jane@example.org-3',
    closure: (c) => 'mx.' + c.rcpt + '-' + c.retry_num,
    'cel-js': "'mx.' + rcpt + '-' + string(retry_num)",
    filtrex: 'concat("mx.", rcpt, "-", retry_num)',
    'jsep+expression-eval': "'mx.' + rcpt + '-' + retry_num",
    jexl: "'mx.' + rcpt + '-' + retry_num",
    'expr-eval': '"mx." || rcpt || "-" || retry_num',
  },
  {
    id: 'E5',
    ours: '(retry_num > 3 || local_port == 25) && !is_tls',
    expected: false,
    closure: (c) => (c.retry_num > 3 || c.local_port === 25) && !c.is_tls,
    'cel-js': '(retry_num > 3 || local_port == 25) && !is_tls',
    filtrex: '(retry_num > 3 or local_port == 25) and not is_tls',
    'jsep+expression-eval': '(retry_num > 3 || local_port == 25) && !is_tls',
    jexl: '(retry_num > 3 || local_port == 25) && !is_tls',
    'expr-eval': '(retry_num > 3 or local_port == 25) and not is_tls',
  },
];

/** How each peer compiles a source into (context) => value, with whether it is CSP-safe. */
const PEERS = {
  'cel-js': { csp: true, make: (src) => cel.parse(src), contexts: celContexts },
  filtrex: { csp: false, make: (src) => filtrex(src, filtrexOptions) },
  'jsep+expression-eval': {
    csp: true,
    make: (src) => {
      const ast = jsep(src);
      return (c) => jsepEval(ast, c);
    },
  },
  jexl: {
    csp: true,
    make: (src) => {
      const e = jexl.compile(src);
      return (c) => e.evalSync(c);
    },
  },
  'expr-eval': {
    csp: true,
    make: (src) => {
      const e = exprEval.parse(src);
      return (c) => e.evaluate(c);
    },
  },
};

// Cases only mta-expr expresses (compared with the closure).
const SASL = JSON.parse(readFileSync(join(here, '..', 'examples', 'sasl-mechanisms.json'), 'utf8'));
const ALL_MECHANISMS = Object.freeze(['plain', 'login', 'oauthbearer', 'xoauth2']);
const OAUTH_MECHANISMS = Object.freeze(['oauthbearer', 'xoauth2']);
const ipv4 = (s) => {
  const p = s.split('.');
  return ((+p[0] << 24) | (+p[1] << 16) | (+p[2] << 8) | +p[3]) >>> 0;
};
const LADDER = {
  match: Array.from({ length: 20 }, (_, i) => ({ if: `octets[3] == ${i + 2}`, then: `'LISTED_${i + 2}'` })),
  else: 'false',
};
const BLOCK_CASES = [
  {
    id: 'saslMechanisms',
    ours: SASL,
    expected: ['plain', 'login', 'oauthbearer', 'xoauth2'],
    closure: (c) => (c.local_port !== 25 && c.is_tls ? ALL_MECHANISMS : c.local_port !== 25 ? OAUTH_MECHANISMS : false),
  },
  {
    id: 'regex+captures',
    ours: { match: [{ if: "matches('^([^@]+)@(.+)$', rcpt)", then: "$2 + '/' + $1" }], else: "''" },
    expected: 'example.org/jane',
    closure: (() => {
      const re = /^([^@]+)@(.+)$/;
      return (c) => {
        const m = re.exec(c.rcpt);
        return m ? m[2] + '/' + m[1] : '';
      };
    })(),
  },
  {
    id: 'cidr',
    ours: "is_ip_in_cidr(remote_ip, '10.0.0.0/8') || is_ip_in_cidr(remote_ip, '192.168.0.0/16')",
    expected: true,
    closure: (c) => {
      const n = ipv4(c.remote_ip);
      return n >>> 24 === 10 || n >>> 16 === 0xc0a8;
    },
  },
  {
    id: 'ladder20',
    ours: LADDER,
    extra: { octets: [127, 0, 0, 21] },
    expected: 'LISTED_21',
    closure: (c) => {
      const o = c.octets[3];
      for (let i = 2; i <= 21; i++) if (o === i) return 'LISTED_' + i;
      return false;
    },
  },
];

// ---------------------------------------------------------------------------
// Checking and timing

function normalize(v) {
  if (Array.isArray(v)) return v.map(normalize);
  if (v && typeof v === 'object' && 'name' in v) return v.name; // a constant
  if (v === 1 || v === 1n) return true;
  if (v === 0 || v === 0n) return false;
  return v;
}

function check(name, caseId, fn, ctx, expected) {
  const got = normalize(fn(ctx));
  if (JSON.stringify(got) !== JSON.stringify(normalize(expected))) {
    throw new Error(`${name} on ${caseId}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(got)}`);
  }
}

async function time(fn, ctxs) {
  let i = 0;
  const stats = await measure(() => {
    i = (i + 1) & (N_CTX - 1);
    do_not_optimize(fn(ctxs[i]));
  }, MEASURE);
  return stats.p50;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Builds every (case, engine) pair, checks it, and returns the timing jobs. */
function jobs() {
  const out = [];
  for (const c of EXPRESSION_CASES) {
    const engines = [['closure', c.closure, contexts()], ['mta-expr', ours(c.ours), contexts()]];
    for (const [name, peer] of Object.entries(PEERS)) {
      if (!c[name]) continue;
      engines.push([name, peer.make(c[name]), (peer.contexts ?? contexts)()]);
    }
    for (const [name, fn, ctxs] of engines) {
      check(name, c.id, fn, ctxs[0], c.expected);
      out.push({ caseId: c.id, engine: name, fn, ctxs });
    }
  }
  for (const c of BLOCK_CASES) {
    const ctxs = contexts(c.extra);
    for (const [name, fn] of [['closure', c.closure], ['mta-expr', ours(c.ours)]]) {
      check(name, c.id, fn, ctxs[0], c.expected);
      out.push({ caseId: c.id, engine: name, fn, ctxs });
    }
  }
  return out;
}

/** Every job once per round, in a rotated order; the median of each job's p50 over the rounds, by case and engine. */
async function timeRounds(list, label) {
  const samples = new Map();
  for (let round = 0; round < ROUNDS; round++) {
    const order = list.map((_, k) => list[(k + round * 7) % list.length]);
    for (const job of order) {
      const key = `${job.caseId}\u0000${job.engine}`;
      if (!samples.has(key)) samples.set(key, []);
      samples.get(key).push(await time(job.fn, job.ctxs));
    }
    process.stderr.write(`${label} round ${round + 1}/${ROUNDS} done\n`);
  }
  const results = {};
  for (const [key, xs] of samples) {
    const [caseId, engine] = key.split('\u0000');
    (results[caseId] ??= {})[engine] = median(xs);
  }
  return results;
}

let JOBS = null;

async function evaluationBenchmarks() {
  JOBS = jobs();
  return timeRounds(JOBS, 'first run');
}

/**
 * The megamorphic run: mta-expr and the closure of every case on contexts of eight shapes,
 * each result checked on every shape first.
 */
async function megamorphicBenchmarks() {
  const list = [];
  for (const job of JOBS.filter((j) => j.engine === 'closure' || j.engine === 'mta-expr')) {
    const c = EXPRESSION_CASES.find((x) => x.id === job.caseId) ?? BLOCK_CASES.find((x) => x.id === job.caseId);
    const ctxs = mixedContexts(c.extra);
    for (let k = 0; k < SHAPES; k++) check(job.engine, `${job.caseId} (shape ${k})`, job.fn, ctxs[k], c.expected);
    list.push({ ...job, ctxs });
  }
  const out = await timeRounds(list, 'megamorphic run');
  // Prepared variables, in a process of their own: a host that prepares its variables
  // prepares all of them, so its closures never see the shapes of the host's objects (in
  // this process they have seen them all).
  const child = JSON.parse(execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--prepared-only', '--rounds', String(ROUNDS), ...(QUICK ? ['--quick'] : [])], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }));
  for (const [caseId, ns] of Object.entries(child.evaluation)) out[caseId]['mta-expr prepared'] = ns;
  out.prepare = child.prepare;
  return out;
}

/** The megamorphic run on prepared variables (the child process of megamorphicBenchmarks). */
async function preparedOnly() {
  const list = [];
  for (const c of [...EXPRESSION_CASES, ...BLOCK_CASES]) {
    const fn = ours(c.ours);
    const ctxs = mixedContexts(c.extra).map((x) => prepareVariables(x));
    for (let k = 0; k < SHAPES; k++) check('mta-expr prepared', `${c.id} (shape ${k})`, fn, ctxs[k], c.expected);
    list.push({ caseId: c.id, engine: 'mta-expr', fn, ctxs });
  }
  const results = await timeRounds(list, 'prepared run');
  const evaluation = Object.fromEntries(Object.entries(results).map(([caseId, row]) => [caseId, row['mta-expr']]));
  return { evaluation, prepare: await time((x) => prepareVariables(x), mixedContexts()) };
}

// ---------------------------------------------------------------------------
// Compile time and scaling

/** The p50 of `make(source)` over sources that differ in one literal, cycled so each call compiles a string not compiled just before. */
async function compileTime(make, variant) {
  const sources = Array.from({ length: 4096 }, (_, k) => variant(k));
  let i = 0;
  const stats = await measure(() => {
    i = (i + 1) & 4095;
    do_not_optimize(make(sources[i]));
  }, MEASURE);
  return stats.p50;
}

/** The k-th variant of a source: its first `25` becomes `25 + k`. */
const variantOf = (src) => (k) => src.replace('25', String(25 + k));

function corpusBlocks() {
  const dir = join(here, '..', '..', 'shared', 'corpus');
  if (!existsSync(join(dir, 'schema-defaults.json'))) return null;
  const defaults = JSON.parse(readFileSync(join(dir, 'schema-defaults.json'), 'utf8')).fields;
  const spam = JSON.parse(readFileSync(join(dir, 'spam-filter-rules.json'), 'utf8')).blocks;
  return [
    ...defaults.filter((f) => f.default).map((f) => [f.default, { variables: f.variables, constants: f.constants }]),
    ...spam.map((b) => [b.block, { variables: b.variables, constants: null }]),
  ];
}

async function compileBenchmarks() {
  const e1 = EXPRESSION_CASES[0];
  const e5 = EXPRESSION_CASES[4];
  const x10 = (src, op) => Array.from({ length: 10 }, () => `(${src})`).join(op);
  const out = {};
  const rows = [
    ['E1', e1],
    ['E5x10', { ours: x10(e5.ours, ' || '), 'cel-js': x10(e5['cel-js'], ' || '), jexl: x10(e5.jexl, ' || '), filtrex: x10(e5.filtrex, ' or '), 'jsep+expression-eval': x10(e5['jsep+expression-eval'], ' || '), 'expr-eval': x10(e5['expr-eval'], ' or ') }],
  ];
  for (const [id, c] of rows) {
    // Every source compiles to a working program: the variants are checked on one context first.
    const probe = compile(variantOf(c.ours)(4000), { variables: VARIABLES });
    if (probe.evaluate(BASE) === undefined) throw new Error(`compile ${id}: the variant does not evaluate`);
    out[id] = {
      'mta-expr': await compileTime((src) => compile(src, { variables: VARIABLES }), variantOf(c.ours)),
      'cel-js': await compileTime((src) => cel.parse(src), variantOf(c['cel-js'])),
      jexl: await compileTime((src) => jexl.compile(src), variantOf(c.jexl)),
      filtrex: await compileTime((src) => filtrex(src, filtrexOptions), variantOf(c.filtrex)),
      'jsep+expression-eval': await compileTime((src) => jsep(src), variantOf(c['jsep+expression-eval'])),
      'expr-eval': await compileTime((src) => exprEval.parse(src), variantOf(c['expr-eval'])),
    };
  }
  const blocks = corpusBlocks();
  if (blocks) {
    const all = () => {
      for (const [block, options] of blocks) compile(block, options);
    };
    for (let i = 0; i < 5; i++) all(); // warm
    const runs = [];
    for (let i = 0; i < 30; i++) {
      const t = performance.now();
      all();
      runs.push(performance.now() - t);
    }
    out.corpus = { blocks: blocks.length, ms: median(runs) };
  }
  return out;
}

async function scalingBenchmarks() {
  const out = [];
  for (const n of [10, 100, 1000]) {
    const src = Array.from({ length: n }, (_, i) => `retry_num * ${i + 1}`).join(' + ');
    const p = compile(src, { variables: VARIABLES });
    const ctxs = contexts();
    const expected = (3 * n * (n + 1)) / 2;
    if (p.evaluate(ctxs[0]) !== expected) throw new Error(`scaling ${n}: wrong result`);
    out.push({
      terms: n,
      evaluateNs: await time((c) => p.evaluate(c), ctxs),
      compileUs: (await compileTime((source) => compile(source, { variables: VARIABLES }), (k) => src.replace('retry_num * 1 ', `retry_num * ${k + 1} `))) / 1000,
    });
  }
  return out;
}

async function harnessFloor() {
  const ctxs = contexts();
  return time((c) => c, ctxs);
}

// ---------------------------------------------------------------------------
// Report

const ENGINES = ['closure', 'mta-expr', 'cel-js', 'filtrex', 'jsep+expression-eval', 'jexl', 'expr-eval'];
const fmt = (ns) => (ns === undefined ? '—' : ns < 10 ? ns.toFixed(2) : ns < 1000 ? ns.toFixed(1) : ns.toFixed(0));

/** The evaluation and megamorphic tables (absent with --compile-only). */
function evaluationReport(r, lines) {
  lines.push('');
  lines.push('Evaluation, ns/op (median), × = ratio to the hand-written closure');
  lines.push('');
  lines.push(`| case | ${ENGINES.join(' | ')} |`);
  lines.push(`|---|${ENGINES.map(() => '---:').join('|')}|`);
  for (const [caseId, row] of Object.entries(r.evaluation)) {
    const base = row.closure;
    const cells = ENGINES.map((e) => (row[e] === undefined ? '—' : e === 'closure' ? fmt(row[e]) : `${fmt(row[e])} (${(row[e] / base).toFixed(1)}×)`));
    lines.push(`| ${caseId} | ${cells.join(' | ')} |`);
  }
  lines.push('');
  lines.push(`Megamorphic run (contexts of ${SHAPES} shapes), ns/op (median), beside the first run; × = ratio to mta-expr's first run`);
  lines.push('');
  lines.push('| case | closure | closure, 8 shapes | mta-expr | mta-expr, 8 shapes | mta-expr, 8 shapes, prepared | prepared / closure, 8 shapes | cel-js / mta-expr |');
  lines.push('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const [caseId, row] of Object.entries(r.evaluation)) {
    const m = r.megamorphic[caseId];
    const cel = row['cel-js'] === undefined ? '—' : `${(row['cel-js'] / row['mta-expr']).toFixed(1)}`;
    const ratio = (x) => `${fmt(x)} (${(x / row['mta-expr']).toFixed(1)}×)`;
    lines.push(`| ${caseId} | ${fmt(row.closure)} | ${fmt(m.closure)} | ${fmt(row['mta-expr'])} | ${ratio(m['mta-expr'])} | ${ratio(m['mta-expr prepared'])} | ${(m['mta-expr prepared'] / m.closure).toFixed(1)} | ${cel} |`);
  }
  lines.push('', `prepareVariables of one context (once per SMTP stage, not per field): ${fmt(r.megamorphic.prepare)} ns; prepared, in a process of its own`);
}

function report(r) {
  const lines = [];
  lines.push(`Node ${process.version}, ${r.machine.cpu} (${r.machine.cores} cores), ${r.rounds} rounds; harness floor ${fmt(r.floorNs)} ns`);
  lines.push(`mta-expr ${r.version} (${r.commit}); load average at the start ${r.load.join(', ')}, at the end ${r.loadEnd.join(', ')}`);
  if (r.evaluation) evaluationReport(r, lines);
  lines.push('');
  lines.push('Compile time, µs per expression (median)');
  lines.push('');
  const compilers = ['mta-expr', 'cel-js', 'filtrex', 'jsep+expression-eval', 'jexl', 'expr-eval'];
  lines.push(`| expression | ${compilers.join(' | ')} |`);
  lines.push(`|---|${compilers.map(() => '---:').join('|')}|`);
  for (const id of ['E1', 'E5x10']) {
    lines.push(`| ${id} | ${compilers.map((e) => (r.compile[id][e] / 1000).toFixed(2)).join(' | ')} |`);
  }
  if (r.compile.corpus) lines.push(`\nWhole corpus (${r.compile.corpus.blocks} blocks) compiled, warm: ${r.compile.corpus.ms.toFixed(2)} ms`);
  lines.push('');
  lines.push('Scaling (`retry_num * 1 + … + retry_num * n`)');
  lines.push('');
  lines.push('| terms | evaluate ns | ns/term | compile µs | µs/term |');
  lines.push('|---:|---:|---:|---:|---:|');
  for (const s of r.scaling) {
    lines.push(`| ${s.terms} | ${fmt(s.evaluateNs)} | ${(s.evaluateNs / s.terms).toFixed(2)} | ${s.compileUs.toFixed(1)} | ${(s.compileUs / s.terms).toFixed(2)} |`);
  }
  if (r.startup) lines.push('', startupReport(r.startup));
  return lines.join('\n');
}

if (args.includes('--prepared-only')) {
  process.stdout.write(JSON.stringify(await preparedOnly()));
  process.exit(0);
}

const result = {
  date: new Date().toISOString(),
  node: process.version,
  machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length },
  rounds: ROUNDS,
  peers: Object.fromEntries(Object.entries(PEERS).map(([k, v]) => [k, { cspSafe: v.csp }])),
  floorNs: await harnessFloor(),
  version: JSON.parse(readFileSync(join(here, '..', 'package.json'), 'utf8')).version,
  commit: gitCommit(),
  load: loadavg().map((x) => Number(x.toFixed(2))),
  ...(COMPILE_ONLY ? {} : { evaluation: await evaluationBenchmarks(), megamorphic: await megamorphicBenchmarks() }),
  compile: await compileBenchmarks(),
  scaling: await scalingBenchmarks(),
  ...(COMPILE_ONLY ? {} : { startup: startup(QUICK ? 7 : 21) }),
};
result.loadEnd = loadavg().map((x) => Number(x.toFixed(2)));
const text = report(result);
console.log(text);
if (SAVE) {
  mkdirSync(join(here, 'results'), { recursive: true });
  // One file per version of the code measured: date, commit, Node.
  const file = join(here, 'results', `${result.date.slice(0, 10)}-${result.commit}-node${process.version.slice(1)}.json`);
  writeFileSync(file, JSON.stringify({ ...result, table: text }, null, 2) + '\n');
  console.log(`\nsaved ${file}`);
}
