/**
 * The Haraka plugin end to end: a real Haraka (from npm) in a temporary directory with its
 * own config, the plugin installed as the README says, its configuration live from a real
 * `mta-expr serve`, driven by real SMTP clients (swaks, Python's smtplib): the greeting,
 * the mechanisms per port and TLS state, AUTH required on submission, a forged sender
 * refused, the session dropped after the allowed failures, a live change through
 * `mta-expr update` in the next session, a failing expression answered 421 without harm
 * to Haraka (a store that is down), the lookup stores named by `lookups` in mta-expr.ini, and
 * the last good configuration kept when serve goes away.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliAsync } from '../support/cli.js';
import { startHaraka, type HarakaInstance } from '../support/haraka.js';
import { ADMIN_TOKEN as TOKEN, serve as startServe, type Served } from '../support/serve.js';
import { AUTH_ATTEMPTS, freePort, lastEhlo, python, swaks } from '../support/servers.js';

const GREETING = '220 mx.test Stalwart ESMTP at your service';
const JANE = ['--auth-user', 'jane@example.org', '--auth-password', 'secret'];

let work: string;
let serve: Served;
let url: string;
let haraka: HarakaInstance;

const update = (object: string, field: string, block: string) => runCliAsync(['update', object, '--field', `${field}=${block}`, '--url', url, '--token', TOKEN]);

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'mta-expr-haraka-test-'));
  serve = await startServe([], { data: join(work, 'data'), config: { MtaStageAuth: { waitOnFail: { match: [], else: '300ms' } } } });
  url = serve.url;
  // The stores of a server configuration file; nothing listens on the Redis store's port.
  const lookups = {
    stores: { greetings: { type: 'memory', entries: { today: 'mx.test greets from a store' } }, down: { type: 'redis', url: `redis://127.0.0.1:${await freePort()}`, timeout: '200ms' } },
    directory: { domains: ['example.org'] },
  };
  haraka = await startHaraka({
    ini: `url = ${url}\ntoken = ${TOKEN}\nrefresh = 0\nhostname = mx.test\nlookups = lookups.json`,
    files: { 'lookups.json': JSON.stringify(lookups) },
    users: { 'jane@example.org': 'secret' },
    addresses: { 'jane@example.org': 'j.doe@example.org' },
  });
}, 60_000);

afterAll(async () => {
  await haraka?.stop();
  await serve?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('Haraka with the mta-expr plugin', () => {
  it('greets with the evaluated greeting and answers EHLO with the evaluated hostname', async () => {
    for (const port of [haraka.smtp, haraka.submission]) {
      const t = await swaks(port, ['--quit-after', 'EHLO']);
      expect(t.replies[0]).toBe(GREETING);
      expect(t.replies[1]).toMatch(/^250-mx\.test Hello /);
    }
  });

  it('offers the mechanisms of saslMechanisms per port and TLS state, among those of auth/flat_file', async () => {
    const auth = (t: Awaited<ReturnType<typeof swaks>>) => lastEhlo(t).filter((k) => k.startsWith('AUTH'));
    // Port 25: none, before or after STARTTLS.
    expect(auth(await swaks(haraka.smtp, ['--quit-after', 'EHLO']))).toEqual([]);
    expect(auth(await swaks(haraka.smtp, ['--tls', '--quit-after', 'EHLO']))).toEqual([]);
    // Submission: OAUTHBEARER and XOAUTH2 before STARTTLS (which no Haraka auth plugin checks: none), PLAIN and LOGIN after.
    expect(auth(await swaks(haraka.submission, ['--quit-after', 'EHLO']))).toEqual([]);
    expect(auth(await swaks(haraka.submission, ['--tls', '--quit-after', 'EHLO']))).toEqual(['AUTH PLAIN LOGIN']);
    // A mechanism that is not offered is refused; so is AUTH where nothing is.
    const beforeTls = await python(AUTH_ATTEMPTS, [String(haraka.submission), 'plain', 'jane@example.org', 'secret']);
    expect(beforeTls.lines[0]).toMatch(/^503 5\.5\.1 AUTH not allowed\. \d+$/);
  });

  it('authenticates through auth/flat_file and relays for the user', async () => {
    const t = await swaks(haraka.submission, ['--tls', '--auth', 'LOGIN', ...JANE, '--from', 'jane@example.org', '--to', 'bob@example.net', '--quit-after', 'RCPT']);
    expect(t.replies).toContain('235 2.7.0 Authentication succeeded.');
    expect(t.replies).toContain('250 sender <jane@example.org> OK');
    expect(t.replies).toContain('250 recipient <bob@example.net> OK');
  });

  it('requires AUTH on submission only', async () => {
    const sub = await swaks(haraka.submission, ['--tls', '--from', 'jane@example.org', '--to', 'bob@example.net', '--quit-after', 'MAIL']);
    expect(sub.replies).toContain('503 5.5.1 You must authenticate first.');
    const smtp = await swaks(haraka.smtp, ['--from', 'jane@example.org', '--to', 'bob@example.net', '--quit-after', 'MAIL']);
    expect(smtp.replies).toContain('250 sender <jane@example.org> OK');
  });

  it('refuses a sender that is not the user’s and accepts one of the user’s addresses', async () => {
    const forged = await swaks(haraka.submission, ['--tls', '--auth', 'PLAIN', ...JANE, '--from', 'ceo@example.org', '--to', 'bob@example.net', '--quit-after', 'MAIL']);
    expect(forged.replies).toContain('501 5.5.4 You are not allowed to send from this address.');
    const own = await swaks(haraka.submission, ['--tls', '--auth', 'PLAIN', ...JANE, '--from', 'J.Doe@example.org', '--to', 'bob@example.net', '--quit-after', 'MAIL']);
    expect(own.replies).toContain('250 sender <J.Doe@example.org> OK');
  });

  it('waits waitOnFail after each failed AUTH and drops the session at maxFailures', async () => {
    const r = await python(AUTH_ATTEMPTS, [String(haraka.submission), 'tls', 'jane@example.org', 'wrong1', 'wrong2', 'wrong3', 'wrong4']);
    expect(r.err).toBe('');
    const [first, second, third, ...rest] = r.lines;
    for (const line of [first, second]) {
      expect(line).toMatch(/^535 5\.7\.8 Authentication credentials invalid\. \d+$/);
      expect(Number(line!.split(' ').pop())).toBeGreaterThanOrEqual(290);
    }
    expect(third).toMatch(/^421 4\.3\.0 Too many authentication errors, disconnecting\. \d+$/);
    expect(rest).toEqual(['closed', 'after closed']);
  });

  it('applies a change made with `mta-expr update` from the next session', async () => {
    expect((await update('MtaStageConnect', 'smtpGreeting', `{"else":"'mx.test welcomes you'"}`)).code).toBe(0);
    expect((await swaks(haraka.smtp, ['--quit-after', 'CONNECT'])).replies[0]).toBe('220 mx.test welcomes you');
    // The same change in the AUTH stage: PLAIN only, on every port after STARTTLS.
    expect((await update('MtaStageAuth', 'saslMechanisms', '{"match":[{"if":"is_tls","then":"[plain]"}],"else":"false"}')).code).toBe(0);
    expect(lastEhlo(await swaks(haraka.smtp, ['--tls', '--quit-after', 'EHLO']))).toContain('AUTH PLAIN');
    expect((await update('MtaStageAuth', 'saslMechanisms', 'null')).code).toBe(0);
  });

  it('looks up the stores and directory that `lookups` names', async () => {
    expect((await update('MtaStageConnect', 'smtpGreeting', `{"match":[{"if":"is_local_domain('example.org')","then":"key_get('greetings', 'today')"}],"else":"'no directory'"}`)).code).toBe(0);
    expect((await swaks(haraka.smtp, ['--quit-after', 'CONNECT'])).replies[0]).toBe('220 mx.test greets from a store');
  });

  it('answers 421 when an expression fails to evaluate (a store that is down), and goes on serving', async () => {
    expect((await update('MtaStageConnect', 'smtpGreeting', `{"else":"key_get('down', 'today')"}`)).code).toBe(0);
    const failed = await swaks(haraka.smtp, ['--quit-after', 'CONNECT']);
    expect(failed.replies[0]).toBe('421 4.3.0 Temporary policy failure, try again later.');
    expect(haraka.process.out).toMatch(/MtaStageConnect\.smtpGreeting: key_get: store `down`/);
    expect((await update('MtaStageConnect', 'smtpGreeting', `{"else":"'mx.test is back'"}`)).code).toBe(0);
    expect((await swaks(haraka.smtp, ['--quit-after', 'CONNECT'])).replies[0]).toBe('220 mx.test is back');
    expect(haraka.process.child.exitCode).toBeNull();
  });

  it('keeps the last good configuration when serve cannot be reached', async () => {
    await serve.stop();
    const t = await swaks(haraka.submission, ['--tls', '--quit-after', 'EHLO']);
    expect(t.replies[0]).toBe('220 mx.test is back');
    expect(lastEhlo(t)).toContain('AUTH PLAIN LOGIN');
    expect(haraka.process.out).toMatch(/cannot reach http:\/\/127\.0\.0\.1:\d+\/api: connection refused.*the configuration of states MtaStage\w+ \d+, .* stays in force/);
  });
});
