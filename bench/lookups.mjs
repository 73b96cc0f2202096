#!/usr/bin/env node
// What a host lookup costs per evaluation, beside the engine's synchronous evaluation:
// dns_query with a warm cache, counter_incr on Redis, sql_query on SQLite and PostgreSQL,
// key_get on the in-process store. The servers are real, started here on loopback ports of
// their own (the tests' starters, test/support/databases.ts and dns-server.ts, transpiled
// with esbuild), and stopped at the end.
//
//   npm run bench:lookups                  # from the project root (builds first)
//   node bench/lookups.mjs --save          # also write bench/results/<date>-lookups-node<version>.json
//
// Timing: mitata's measure() on each evaluation, awaited one after the other (the latency a
// session sees), median (p50) over rounds; then the throughput with 64 evaluations in
// flight at once (what a busy server gets from one connection per store). Every result is
// checked before it is timed.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { measure, do_not_optimize } from 'mitata';
import pg from 'pg';
import { compile } from '../dist/language/index.js';
import { StoreLookups, lookupSettings } from '../dist/hosts/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const ROUNDS = Number(args[args.indexOf('--rounds') + 1]) || 3;
const SAVE = args.includes('--save');
const MEASURE = { min_cpu_time: 300e6 };
const IN_FLIGHT = 64;

// The tests' server starters, as JavaScript (with the test helpers they import; packages stay external).
const cache = join(here, '.cache');
await build({
  entryPoints: [join(here, '..', 'test', 'support', 'databases.ts'), join(here, '..', 'test', 'support', 'dns-server.ts')],
  outdir: cache,
  bundle: true,
  packages: 'external',
  format: 'esm',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
});
const { startPostgres, startRedis } = await import(join(cache, 'databases.js'));
const { startDnsServer } = await import(join(cache, 'dns-server.js'));

const [postgres, redis, dns] = await Promise.all([
  startPostgres(),
  startRedis(),
  startDnsServer({ zone: { '20.1.168.192.zen.example.net': [{ type: 'A', data: '127.0.0.2', ttl: 3600 }] } }),
]);
const stop = () => Promise.all([postgres.stop(), redis.stop(), dns.stop()]);

try {
  const setup = new pg.Client({ connectionString: postgres.url });
  await setup.connect();
  await setup.query('CREATE TABLE addresses (address text PRIMARY KEY, quota bigint)');
  await setup.query("INSERT INTO addresses SELECT 'user' || i || '@example.org', i FROM generate_series(1, 10000) i");
  await setup.query("INSERT INTO addresses VALUES ('jane@example.org', 5000)");
  await setup.end();

  const lookups = new StoreLookups(
    lookupSettings({
      stores: {
        rate: { type: 'redis', url: redis.url, prefix: 'bench:', counterExpiry: '1h' },
        main: { type: 'postgresql', url: postgres.url },
        local: { type: 'sqlite', path: ':memory:' },
        mem: { type: 'memory', entries: { 'example.org': 'yes' } },
      },
      dns: { servers: [dns.address] },
    }),
  );
  await lookups.ready(5000);
  await compile("sql_query('local', 'CREATE TABLE addresses (address TEXT PRIMARY KEY, quota INTEGER)', [])").evaluateAsync({}, { lookups });
  await compile("sql_query('local', 'INSERT INTO addresses VALUES (?, ?)', ['jane@example.org', 5000])").evaluateAsync({}, { lookups });

  const vars = { local_port: 587, is_tls: true, rcpt: 'jane@example.org', remote_ip: '192.168.1.20', sender_domain: 'example.org' };
  const env = { lookups };
  const sync = compile('local_port != 25 && is_tls');
  const CASES = [
    { name: 'synchronous evaluation (E1)', program: sync, sync: true, expect: 1 },
    { name: 'the same through evaluateAsync', program: sync, expect: 1 },
    { name: 'key_get, in-process store', program: compile("key_get('mem', sender_domain) == 'yes'"), expect: 1 },
    { name: 'dns_query, warm cache (DNSBL)', program: compile("!is_empty(dns_query(ip_reverse_name(remote_ip) + '.zen.example.net', 'ipv4'))"), expect: 1 },
    { name: 'counter_incr, Redis', program: compile("counter_incr('rate', 'conn:' + remote_ip, 1) > 0"), expect: 1, io: true },
    { name: 'sql_query, SQLite (embedded)', program: compile("sql_query('local', 'SELECT quota FROM addresses WHERE address = ?', rcpt)"), expect: 5000 },
    { name: 'sql_query, PostgreSQL', program: compile("sql_query('main', 'SELECT quota FROM addresses WHERE address = $1', rcpt)"), expect: 5000, io: true },
  ];
  for (const c of CASES) {
    const got = c.sync ? c.program.evaluate(vars, env) : await c.program.evaluateAsync(vars, env);
    if (got !== c.expect) throw new Error(`${c.name}: expected ${c.expect}, got ${JSON.stringify(got)}`);
  }

  const latency = Object.fromEntries(CASES.map((c) => [c.name, []]));
  const throughput = Object.fromEntries(CASES.filter((c) => c.io).map((c) => [c.name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const c of CASES) {
      const stats = c.sync ? await measure(() => do_not_optimize(c.program.evaluate(vars, env)), MEASURE) : await measure(async () => do_not_optimize(await c.program.evaluateAsync(vars, env)), MEASURE);
      latency[c.name].push(stats.p50);
      if (c.io) {
        const n = 5000;
        const start = process.hrtime.bigint();
        let next = 0;
        await Promise.all(
          Array.from({ length: IN_FLIGHT }, async () => {
            while (next++ < n) await c.program.evaluateAsync(vars, env);
          }),
        );
        throughput[c.name].push(n / (Number(process.hrtime.bigint() - start) / 1e9));
      }
    }
  }
  await lookups.close();

  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const base = median(latency[CASES[0].name]);
  const fmt = (ns) => (ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : ns >= 1e3 ? `${(ns / 1e3).toFixed(2)} µs` : `${ns.toFixed(1)} ns`);
  console.log(`Node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} cores), ${ROUNDS} rounds; servers on loopback\n`);
  console.log('| case | per evaluation (p50) | × synchronous | evaluations/s, 64 in flight |');
  console.log('|---|---:|---:|---:|');
  const results = {};
  for (const c of CASES) {
    const ns = median(latency[c.name]);
    const tput = throughput[c.name] ? median(throughput[c.name]) : undefined;
    results[c.name] = { ns, ...(tput ? { perSecond: tput } : {}) };
    console.log(`| ${c.name} | ${fmt(ns)} | ${(ns / base).toFixed(1)}× | ${tput ? Math.round(tput).toLocaleString('en') : '—'} |`);
  }
  if (SAVE) {
    const dir = join(here, 'results');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${new Date().toISOString().slice(0, 10)}-lookups-node${process.versions.node}.json`);
    writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), node: process.version, machine: { cpu: cpus()[0]?.model, cores: cpus().length }, rounds: ROUNDS, inFlight: IN_FLIGHT, results }, null, 2) + '\n');
    console.log(`\nsaved ${file}`);
  }
} finally {
  await stop();
}
