#!/usr/bin/env node
// A soak run: `mta-expr serve --smtp` (the built CLI, a process of its own) taking SMTP
// sessions with messages from several clients at once, while the management API changes the
// greeting with a /set call every few hundred milliseconds, for about a minute. It prints
// the server's resident memory (VmRSS of /proc/PID/status) after a warm-up and at the end,
// the highest seen, and what was sent; every session must succeed and every /set be applied.
//
//   npm run bench:soak                              # from the project root (builds first)
//   node bench/soak.mjs --seconds 20 --clients 4    # shorter, fewer clients
//   node bench/soak.mjs --cli OTHER/dist/cli.js     # another build of the CLI, to compare
//
// Messages: 9 of 10 are about 20 KB, 1 of 10 about 1 MB (a mix of text mail and
// attachments). The server discards them when it has --discard (so the figure is the
// server's own memory, not a spool's page cache); a build without it keeps its default.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import nodemailer from 'nodemailer';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const option = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const SECONDS = Number(option('--seconds', '60'));
const CLIENTS = Number(option('--clients', '8'));
const CLI = option('--cli', join(here, '..', 'dist', 'cli.js'));
const TOKEN = 'soak-admin-token';

const help = spawnSync(process.execPath, [CLI, 'serve', '--help'], { encoding: 'utf8' }).stdout;
const discard = help.includes('--discard') ? ['--discard'] : [];
const data = mkdtempSync(join(tmpdir(), 'mta-expr-soak-'));
const server = spawn(process.execPath, [CLI, 'serve', '--data', data, '--listen', '127.0.0.1:0', '--smtp', '--smtp-port', '0', '--submission-port', '0', '--hostname', 'mx.soak.test', ...discard], {
  env: { ...process.env, MTA_EXPR_ADMIN_TOKEN: TOKEN },
  stdio: ['ignore', 'pipe', 'pipe'],
});
let out = '';
let err = '';
server.stdout.setEncoding('utf8').on('data', (d) => (out = (out + d).slice(-100_000)));
server.stderr.setEncoding('utf8').on('data', (d) => (err = (err + d).slice(-100_000)));

const rssMiB = () => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${server.pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
};

async function waitFor(pattern, ms = 20_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const m = pattern.exec(out);
    if (m) return m;
    if (Date.now() > deadline || server.exitCode !== null) throw new Error(`the server did not start:\n${out}\n${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const api = (await waitFor(/(http:\/\/127\.0\.0\.1:\d+)\/api/))[1];
const smtpPort = Number((await waitFor(/smtp on 127\.0\.0\.1:(\d+)/))[1]);

const line = 'The quick brown fox jumps over the lazy dog, again and again and again.\r\n';
const small = line.repeat(Math.ceil(20_000 / line.length));
const large = line.repeat(Math.ceil(1_000_000 / line.length));
const stats = { sessions: 0, bytes: 0, failures: 0, sets: 0, setFailures: 0 };

async function client(n, until) {
  for (let i = 0; Date.now() < until; i++) {
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: smtpPort, secure: false, ignoreTLS: true });
    const body = (i + n) % 10 === 9 ? large : small;
    try {
      await transport.sendMail({ envelope: { from: `client${n}@example.com`, to: [`rcpt${i % 5}@example.net`] }, raw: `Subject: soak ${n}/${i}\r\n\r\n${body}` });
      stats.sessions++;
      stats.bytes += body.length;
    } catch (e) {
      stats.failures++;
      if (stats.failures <= 3) console.error(`session failed: ${e.message}`);
    } finally {
      transport.close();
    }
  }
}

async function setter(until) {
  for (let i = 0; Date.now() < until; i++) {
    const body = { using: ['urn:ietf:params:jmap:core', 'urn:stalwart:jmap'], methodCalls: [['x:MtaStageConnect/set', { update: { singleton: { smtpGreeting: { match: [], else: `'soak greeting ${i}'` } } } }, 'c1']] };
    try {
      const r = await fetch(`${api}/api`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const json = await r.json();
      if (json.methodResponses?.[0]?.[1]?.updated?.singleton !== undefined) stats.sets++;
      else stats.setFailures++;
    } catch {
      stats.setFailures++;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

// Warm-up: a few sessions, then the starting figure.
await Promise.all(Array.from({ length: CLIENTS }, (_, n) => client(n, Date.now() + 1000)));
const warm = { ...stats };
const start = rssMiB();
let peak = start;
const began = Date.now();
const until = began + SECONDS * 1000;
let half = NaN;
const sampler = setInterval(() => {
  const now = rssMiB();
  peak = Math.max(peak, now);
  if (Number.isNaN(half) && Date.now() >= began + (SECONDS * 1000) / 2) half = now;
}, 500);
await Promise.all([...Array.from({ length: CLIENTS }, (_, n) => client(n, until)), setter(until)]);
await new Promise((r) => setTimeout(r, 1000));
const end = rssMiB();
clearInterval(sampler);
peak = Math.max(peak, end);
const elapsed = (Date.now() - began) / 1000;
server.kill('SIGTERM');
await new Promise((r) => server.once('exit', r));
rmSync(data, { recursive: true, force: true });

const sessions = stats.sessions - warm.sessions;
const mib = (stats.bytes - warm.bytes) / 1024 / 1024;
console.log(`soak: ${CLI}${discard.length ? ' (--discard)' : ''}, ${CLIENTS} clients, ${elapsed.toFixed(0)} s`);
console.log(`  sessions: ${sessions} with a message (${(sessions / elapsed).toFixed(1)}/s, ${mib.toFixed(0)} MiB of mail), ${stats.failures} failed`);
console.log(`  /set calls: ${stats.sets} applied, ${stats.setFailures} failed`);
console.log(`  resident memory: ${start.toFixed(0)} MiB after the warm-up, ${half.toFixed(0)} MiB half way, ${end.toFixed(0)} MiB at the end, ${peak.toFixed(0)} MiB at most`);
if (stats.failures > 0 || stats.setFailures > 0) process.exitCode = 1;
