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
import { readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpus } from 'node:os';
import { measure, do_not_optimize } from 'mitata';
import { Environment } from '@marcbachmann/cel-js';
import { compileExpression as filtrex } from 'filtrex';
import jsep from 'jsep';
import { eval as jsepEval } from 'expression-eval';
import jexlModule from 'jexl';
import { Parser as ExprEvalParser } from 'expr-eval';
import { compile } from '../dist/language/index.js';
import { startup, startupReport } from './startup.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const ROUNDS = Number(args[args.indexOf('--rounds') + 1]) || 3;
const SAVE = args.includes('--save');
const QUICK = args.includes('--quick');
const MEASURE = { min_cpu_time: QUICK ? 50e6 : 300e6 }; // ns of CPU time per measurement

// ---------------------------------------------------------------------------
// Inputs: 64 distinct context objects with the same values.

const BASE = { local_port: 587, is_tls: true, rcpt: 'jane@example.org', sender: 'bob@example.org', name_lower: 'cc', remote_ip: '192.168.1.20', retry_num: 3 };
const N_CTX = 64;
const contexts = (extra = {}) => Array.from({ length: N_CTX }, () => JSON.parse(JSON.stringify({ ...BASE, ...extra })));
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

async function evaluationBenchmarks() {
  const list = jobs();
  const samples = new Map();
  for (let round = 0; round < ROUNDS; round++) {
    // Interleave: every job once per round, in a rotated order.
    const order = list.map((_, k) => list[(k + round * 7) % list.length]);
    for (const job of order) {
      const key = `${job.caseId}\u0000${job.engine}`;
      if (!samples.has(key)) samples.set(key, []);
      samples.get(key).push(await time(job.fn, job.ctxs));
    }
    process.stderr.write(`round ${round + 1}/${ROUNDS} done\n`);
  }
  const results = {};
  for (const [key, xs] of samples) {
    const [caseId, engine] = key.split('\u0000');
    (results[caseId] ??= {})[engine] = median(xs);
  }
  return results;
}

// ---------------------------------------------------------------------------
// Compile time and scaling

async function compileTime(fn) {
  const stats = await measure(() => do_not_optimize(fn()), MEASURE);
  return stats.p50;
}

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
    out[id] = {
      'mta-expr': await compileTime(() => compile(c.ours, { variables: VARIABLES })),
      'cel-js': await compileTime(() => cel.parse(c['cel-js'])),
      jexl: await compileTime(() => jexl.compile(c.jexl)),
      filtrex: await compileTime(() => filtrex(c.filtrex, filtrexOptions)),
      'jsep+expression-eval': await compileTime(() => jsep(c['jsep+expression-eval'])),
      'expr-eval': await compileTime(() => exprEval.parse(c['expr-eval'])),
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
      compileUs: (await compileTime(() => compile(src, { variables: VARIABLES }))) / 1000,
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

function report(r) {
  const lines = [];
  lines.push(`Node ${process.version}, ${r.machine.cpu} (${r.machine.cores} cores), ${r.rounds} rounds; harness floor ${fmt(r.floorNs)} ns`);
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

const result = {
  date: new Date().toISOString(),
  node: process.version,
  machine: { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length },
  rounds: ROUNDS,
  peers: Object.fromEntries(Object.entries(PEERS).map(([k, v]) => [k, { cspSafe: v.csp }])),
  floorNs: await harnessFloor(),
  evaluation: await evaluationBenchmarks(),
  compile: await compileBenchmarks(),
  scaling: await scalingBenchmarks(),
  startup: startup(QUICK ? 7 : 21),
};
const text = report(result);
console.log(text);
if (SAVE) {
  mkdirSync(join(here, 'results'), { recursive: true });
  const file = join(here, 'results', `${result.date.slice(0, 10)}-node${process.version.slice(1)}.json`);
  writeFileSync(file, JSON.stringify({ ...result, table: text }, null, 2) + '\n');
  console.log(`\nsaved ${file}`);
}
