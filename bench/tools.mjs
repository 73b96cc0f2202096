// The policy tools at scale: `mta-expr test` on a thousand cases and `mta-expr replay` on a
// hundred thousand recorded steps, through the library the commands run (dist/), timed in
// parts: reading and checking the file or the lines, then the evaluation. Each part is the
// median of several runs after a warm-up; every result is checked before it is timed.
//
//   npm run bench:tools            (builds first)
//   node bench/tools.mjs [--runs 7]
import { buildObjects } from '../dist/hosts/config/live.js';
import { parseRecordedStep } from '../dist/hosts/smtp/record.js';
import { selfSignedCertificate } from '../dist/hosts/smtp/tls.js';
import { Coverage } from '../dist/hosts/testing/coverage.js';
import { Replay } from '../dist/hosts/testing/replay.js';
import { CaseRunner } from '../dist/hosts/testing/runner.js';
import { parseTestFile } from '../dist/hosts/testing/test-file.js';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 7;
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

async function timed(fn) {
  await fn(); // warm-up
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  return median(times);
}

// --- test: 1000 cases with variables (6 expected fields each: 6000 field evaluations), and 20 scripted sessions.
const PORTS = [25, 587, 465, 2525];
const cases = [];
for (let i = 0; i < 1000; i++) {
  const local_port = PORTS[i % 4];
  const is_tls = i % 3 === 0;
  cases.push({
    name: `case ${i}`,
    vars: { local_port, is_tls, remote_ip: `192.0.2.${i % 250}`, listener: local_port === 25 ? 'smtp' : 'submission', sender: `user${i}@example.org`, authenticated_as: `user${i}@example.org` },
    expect: {
      'MtaStageAuth.saslMechanisms': local_port === 25 ? [] : is_tls ? ['plain', 'login', 'oauthbearer', 'xoauth2'] : ['oauthbearer', 'xoauth2'],
      'MtaStageAuth.require': local_port !== 25,
      'MtaStageAuth.maxFailures': 3,
      'MtaStageAuth.waitOnFail': '5s',
      'MtaStageAuth.mustMatchSender': true,
      'MtaStageConnect.hostname': 'mx.example.org',
    },
  });
}
const sessions = Array.from({ length: 20 }, (_, i) => ({
  name: `session ${i}`,
  connection: { local_port: 587, remote_ip: `198.51.100.${i}` },
  session: [{ send: 'EHLO client.example', reply: 250 }, { send: 'STARTTLS', reply: 220 }, { send: 'EHLO client.example', reply: '250 AUTH PLAIN LOGIN' }, { send: 'MAIL FROM:<a@example.org>', reply: 530 }, 'QUIT'],
}));
const text = JSON.stringify({ hostname: 'mx.example.org', cases: [...cases, ...sessions] }, null, 2);
const objects = buildObjects({});
const env = { system: { hostname: 'mx.example.org', domain: 'example.org' } };
const tls = await selfSignedCertificate('mx.example.org');

let file;
const parseMs = await timed(() => {
  file = parseTestFile('bench.test.json', text);
});
const run = async (list) => {
  const runner = new CaseRunner({ objects, users: [], env, tls: async () => tls, coverage: new Coverage(objects) });
  let failed = 0;
  for (const c of list) if (!(await runner.run(c)).passed) failed++;
  if (failed > 0) throw new Error(`${failed} cases failed`);
};
const varsMs = await timed(() => run(file.cases.slice(0, 1000)));
const sessionMs = await timed(() => run(file.cases.slice(1000)));

// --- replay: 100,000 steps (25,000 sessions × connect, ehlo, ehlo after STARTTLS, mail), current = the defaults, candidate = no AUTH from 10.0.0.0/8.
const lines = [];
for (let s = 0; s < 25_000; s++) {
  const session = s.toString(16).padStart(16, '0');
  const remote_ip = s % 10 === 0 ? `10.${s % 256}.${(s >> 8) % 256}.${s % 200}` : `192.0.2.${s % 250}`;
  const base = { protocol: 'smtp', asn: '', country: '', listener: 'submission', remote_ip, remote_port: 40000 + (s % 20000), local_ip: '192.0.2.254', local_port: 587, is_tls: false };
  const time = '2026-12-01T00:00:00.000Z';
  lines.push(JSON.stringify({ session, time, stage: 'connect', vars: base }));
  lines.push(JSON.stringify({ session, time, stage: 'ehlo', vars: { ...base, helo_domain: 'client.example' } }));
  lines.push(JSON.stringify({ session, time, stage: 'ehlo', vars: { ...base, is_tls: true, helo_domain: 'client.example' } }));
  lines.push(JSON.stringify({ session, time, stage: 'mail', vars: { ...base, is_tls: true, sender: `u${s}@example.org`, sender_domain: 'example.org', authenticated_as: `u${s}@example.org` } }));
}
const candidate = buildObjects({
  MtaStageAuth: { saslMechanisms: { match: [{ if: "is_ip_in_cidr(remote_ip, '10.0.0.0/8')", then: 'false' }, { if: 'local_port != 25 && is_tls', then: '[plain, login, oauthbearer, xoauth2]' }, { if: 'local_port != 25', then: '[oauthbearer, xoauth2]' }], else: 'false' } },
});
let steps;
const readMs = await timed(() => {
  steps = lines.map((l) => parseRecordedStep(l));
});
let report;
const replayMs = await timed(async () => {
  const replay = new Replay({ current: objects, candidate, env });
  for (const step of steps) await replay.add(step);
  report = replay.report();
});
if (report.steps !== 100_000 || report.changedSessions !== 2500) throw new Error(`unexpected replay report: ${JSON.stringify({ steps: report.steps, changed: report.changedSessions })}`);

const fmt = (ms) => (ms < 10 ? ms.toFixed(2) : ms.toFixed(0));
console.log(`Node ${process.version}, ${runs} runs (median)\n`);
console.log('| work | read and check, ms | evaluate, ms | per item |');
console.log('|---|---:|---:|---:|');
console.log(`| test: 1000 cases with variables (6000 fields) | ${fmt(parseMs)} (the whole file) | ${fmt(varsMs)} | ${((varsMs * 1000) / 1000).toFixed(1)} µs a case |`);
console.log(`| test: 20 scripted sessions (5 commands, STARTTLS) | | ${fmt(sessionMs)} | ${(sessionMs / 20).toFixed(2)} ms a session |`);
console.log(`| replay: 100,000 steps of 25,000 sessions, two configurations | ${fmt(readMs)} | ${fmt(replayMs)} | ${((replayMs * 1000) / 100_000).toFixed(2)} µs a step |`);
