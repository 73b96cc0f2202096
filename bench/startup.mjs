// Cold start of the command line: `mta-expr eval "1+1"` as a fresh process, beside
// `node -e 0` (the floor: Node's own start). Runs alternate, after one warm-up each;
// medians of the wall time.
//
//   node bench/startup.mjs [--runs 21]
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli.js');

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
};

function once(args, expected) {
  const t = performance.now();
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
  const ms = performance.now() - t;
  if (r.status !== 0 || r.stdout !== expected) throw new Error(`${args.join(' ')}: exit ${r.status}, output ${JSON.stringify(r.stdout)} ${r.stderr}`);
  return ms;
}

export function startup(runs = 21) {
  const cases = {
    'node -e 0': [['-e', '0'], ''],
    'mta-expr eval "1+1"': [[CLI, 'eval', '1+1'], '2\n'],
    'mta-expr --version': [[CLI, '--version'], null],
  };
  const version = spawnSync(process.execPath, [CLI, '--version'], { encoding: 'utf8' }).stdout;
  cases['mta-expr --version'][1] = version;
  const times = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  for (const [args, expected] of Object.values(cases)) once(args, expected);
  for (let i = 0; i < runs; i++) for (const [name, [args, expected]] of Object.entries(cases)) times[name].push(once(args, expected));
  return Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
}

export function startupReport(s) {
  const floor = s['node -e 0'];
  const lines = ['Cold start, ms (median wall time of a fresh process)', '', '| command | ms | × node -e 0 |', '|---|---:|---:|'];
  for (const [name, ms] of Object.entries(s)) lines.push(`| \`${name}\` | ${ms.toFixed(0)} | ${(ms / floor).toFixed(2)}× |`);
  return lines.join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const runs = Number(args[args.indexOf('--runs') + 1]) || 21;
  console.log(startupReport(startup(runs)));
}
