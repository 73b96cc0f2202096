// The worst `/set` the default limits accept, against a running `mta-expr serve`: how long the
// API takes to answer it, and how late a `/health` asked meanwhile is answered (what every
// other client, and the SMTP server of `serve --smtp`, waits while the event loop is busy).
//
//   npm run build && node bench/api-set.mjs [--runs 3]
//
// The cases grow to what one request may hold: the largest block the language's limits
// accept, every field of an object so, and maxCallsInRequest (16) such calls.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 3;
const TOKEN = 'bench-admin-token-0123456789';
const USING = ['urn:ietf:params:jmap:core', 'urn:stalwart:jmap'];

/**
 * The largest block of the default limits, the costly way: maxConditions (1,000) conditions,
 * the first 200 regular expressions (near maxRegexSize, 10,000 instructions in all), the
 * others `||` chains of four comparisons (near maxNodes, 20,000 tokens in all); 115 KB.
 */
const largestBlock = (salt) => ({
  match: Array.from({ length: 1000 }, (_, i) => ({
    if: i < 200 ? `matches('^(a|b)${salt}z${i}$', helo_domain) && local_port == ${i}` : Array.from({ length: 4 }, (_, j) => `helo_domain == '${salt}${i}.${j}'`).join(' || '),
    then: String(i % 7),
  })),
  else: '3',
});

// The fields of MtaStageAuth in the EHLO context (the variables of the blocks).
const FIELDS = ['maxFailures', 'waitOnFail', 'saslMechanisms', 'require'];
const set = (fields, id = 's') => ['x:MtaStageAuth/set', { update: { singleton: fields } }, id];
const everyField = (salt) => Object.fromEntries(FIELDS.map((f, i) => [f, largestBlock(`${salt}${i}`)]));

const cases = [
  ['one field, the largest block', (r) => [set({ maxFailures: largestBlock(`a${r}`) })]],
  ['4 fields of MtaStageAuth, the largest block each', (r) => [set(everyField(`b${r}`))]],
  ['16 calls (maxCallsInRequest) of 4 such fields (7 MB)', (r) => Array.from({ length: 16 }, (_, c) => set(everyField(`c${r}-${c}`), `s${c}`))],
  ['the same, one atomic request', (r) => Array.from({ length: 16 }, (_, c) => set(everyField(`d${r}-${c}`), `s${c}`)), [...USING, 'urn:mta-expr:jmap:atomic']],
];

function startServe(data) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'dist', 'cli.js'), 'serve', '--data', data, '--listen', '127.0.0.1:0'], {
      env: { ...process.env, MTA_EXPR_ADMIN_TOKEN: TOKEN },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /(http:\/\/127\.0\.0\.1:\d+)\/api/.exec(out);
      if (m) resolve({ child, url: m[1] });
    });
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}`)));
  });
}

/** Asks /health every 5 ms until stopped; the longest wait for an answer. */
function pollHealth(url) {
  let stop = false;
  let worst = 0;
  const done = (async () => {
    while (!stop) {
      const t = performance.now();
      await (await fetch(`${url}/health`)).arrayBuffer();
      worst = Math.max(worst, performance.now() - t);
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  return async () => {
    stop = true;
    await done;
    return worst;
  };
}

const data = mkdtempSync(join(tmpdir(), 'mta-expr-bench-set-'));
const { child, url } = await startServe(data);
try {
  console.log(`node ${process.version}; medians of ${runs} runs; the worst /health latency seen while each /set was answered`);
  for (const [name, make, using = USING] of cases) {
    const answers = [];
    const health = [];
    let bytes = 0;
    let outcome = '';
    for (let r = 0; r < runs; r++) {
      const body = JSON.stringify({ using, methodCalls: make(r) });
      bytes = body.length;
      const stopPolling = pollHealth(url);
      await new Promise((res) => setTimeout(res, 50));
      const t = performance.now();
      const res = await fetch(`${url}/api`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${TOKEN}` }, body });
      const json = await res.json();
      answers.push(performance.now() - t);
      health.push(await stopPolling());
      const responses = json.methodResponses ?? [];
      outcome = res.status !== 200 ? `HTTP ${res.status} ${json.limit ?? json.type}` : responses.map((m) => (m[0] === 'error' ? m[1].type : m[1].updated ? 'updated' : Object.values(m[1].notUpdated ?? {})[0]?.type)).join(',');
    }
    const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
    console.log(`${name}: request ${(bytes / 1024).toFixed(0)} KiB, answered in ${median(answers).toFixed(0)} ms; /health waited up to ${median(health).toFixed(0)} ms (${[...new Set(outcome.split(','))].join(', ')})`);
  }
} finally {
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  rmSync(data, { recursive: true, force: true });
}
