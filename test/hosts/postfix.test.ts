/**
 * The Postfix policy service end to end: a real Postfix (the Debian package) as an
 * instance in a temporary directory, its check_policy_service pointed at a real
 * `mta-expr policyd` following a real `mta-expr serve`, driven by swaks: AUTH required on
 * submission, the mechanism of the session checked against saslMechanisms per port and
 * TLS state, a forged sender refused, the operator rule (PostfixPolicy.action) changed
 * with `mta-expr update` and applied from the next session, an expression that fails
 * answered DEFER_IF_PERMIT (a 4xx), and the last good configuration kept when serve goes.
 *
 * Postfix keeps its own greeting, EHLO keywords and AUTH failure limits (smtpd_banner,
 * smtpd_sasl_*, smtpd_hard_error_limit): the policy protocol has no say in them.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCliAsync } from '../support/cli.js';
import { startPostfix, type PostfixInstance } from '../support/postfix.js';
import { ADMIN_TOKEN as TOKEN, serve as startServe, type Served } from '../support/serve.js';
import { freePort, startCli, swaks, type Running } from '../support/servers.js';

const JANE = ['--auth', 'PLAIN', '--auth-user', 'jane@example.org', '--auth-password', 'secret'];

let work: string;
let serve: Served;
let policyd: Running;
let postfix: PostfixInstance;
let url: string;

const update = (object: string, field: string, block: string) => runCliAsync(['update', object, '--field', `${field}=${block}`, '--url', url, '--token', TOKEN]);
const rcpt = (port: number, args: string[]) => swaks(port, [...args, '--to', 'bob@example.net', '--quit-after', 'RCPT']);
/** The reply to RCPT TO (the last before QUIT's 221). */
const rcptReply = (t: Awaited<ReturnType<typeof swaks>>): string => t.replies.filter((r) => !r.startsWith('221 ')).pop() ?? '';

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'mta-expr-postfix-test-'));
  writeFileSync(join(work, 'sender_login'), '# address  owners\nj.doe@example.org  jane@example.org\n@sales.example.org jane@example.org, bob@example.org\n');
  serve = await startServe([], { data: join(work, 'data'), config: {} });
  url = serve.url;
  const policyPort = await freePort();
  postfix = await startPostfix({ policyPort, users: { 'jane@example.org': 'secret' } });
  policyd = startCli([
    'policyd',
    '--listen', `127.0.0.1:${policyPort}`,
    '--url', url,
    '--token', TOKEN,
    '--refresh', '0',
    '--listener', `${postfix.smtp}=smtp:25`,
    '--listener', `${postfix.submission}=submission:587`,
    '--sender-logins', join(work, 'sender_login'),
    '--verbose',
  ]);
  await policyd.waitFor(/mta-expr policy service on 127\.0\.0\.1:\d+/);
}, 60_000);

afterAll(async () => {
  await postfix?.stop();
  await policyd?.stop();
  await serve?.stop();
  rmSync(work, { recursive: true, force: true });
});

describe('Postfix with check_policy_service inet:… mta-expr policyd', () => {
  it('requires AUTH on submission (the reference’s reply) and not on port 25', async () => {
    expect(rcptReply(await rcpt(postfix.submission, ['--tls', '--from', 'jane@example.org']))).toBe('503 5.5.1 <bob@example.net>: Recipient address rejected: You must authenticate first.');
    expect(rcptReply(await rcpt(postfix.smtp, ['--from', 'jane@example.org']))).toBe('250 2.1.5 Ok');
    expect(policyd.err).toMatch(/RCPT <jane@example\.org> → <bob@example\.net>: require: action=503 5\.5\.1/);
  });

  it('checks the SASL mechanism of the session against saslMechanisms for the port and TLS state', async () => {
    // Submission offers PLAIN only after STARTTLS: Postfix let it through before, the policy does not.
    expect(rcptReply(await rcpt(postfix.submission, [...JANE, '--from', 'jane@example.org']))).toBe('554 5.7.8 <bob@example.net>: Recipient address rejected: Authentication mechanism not supported.');
    expect(rcptReply(await rcpt(postfix.submission, ['--tls', ...JANE, '--from', 'jane@example.org']))).toBe('250 2.1.5 Ok');
  });

  it('refuses a sender that is not the user’s, and accepts those of smtpd_sender_login_maps', async () => {
    expect(rcptReply(await rcpt(postfix.submission, ['--tls', ...JANE, '--from', 'ceo@example.org']))).toBe('501 5.5.4 <bob@example.net>: Recipient address rejected: You are not allowed to send from this address.');
    expect(rcptReply(await rcpt(postfix.submission, ['--tls', ...JANE, '--from', 'j.doe@example.org']))).toBe('250 2.1.5 Ok');
    expect(rcptReply(await rcpt(postfix.submission, ['--tls', ...JANE, '--from', 'anyone@sales.example.org']))).toBe('250 2.1.5 Ok');
  });

  it('answers the operator rule changed with `mta-expr update` from the next session', async () => {
    const rule = `{"match":[{"if":"rcpt_domain == 'example.net' && listener == 'smtp'","then":"'REJECT 5.7.1 no mail for ' + rcpt_domain + ' from ' + remote_ip"}],"else":"false"}`;
    expect((await update('PostfixPolicy', 'action', rule)).code).toBe(0);
    expect(rcptReply(await rcpt(postfix.smtp, ['--from', 'jane@example.org']))).toBe('554 5.7.1 <bob@example.net>: Recipient address rejected: no mail for example.net from 127.0.0.1');
    // The built-in checks come first; the rule only where they pass.
    expect(rcptReply(await rcpt(postfix.submission, ['--tls', ...JANE, '--from', 'jane@example.org']))).toBe('250 2.1.5 Ok');
    expect(postfix.log()).toMatch(/NOQUEUE: reject: RCPT from localhost\[127\.0\.0\.1\]: 554 5\.7\.1 <bob@example\.net>: Recipient address rejected: no mail for example\.net/);
  });

  it('defers (4xx) when an expression fails to evaluate, and goes on answering', async () => {
    expect((await update('PostfixPolicy', 'action', `{"else":"key_get('rules', rcpt)"}`)).code).toBe(0);
    expect(rcptReply(await rcpt(postfix.smtp, ['--from', 'jane@example.org']))).toBe('450 4.3.0 <bob@example.net>: Recipient address rejected: Temporary policy failure, try again later.');
    expect(policyd.err).toMatch(/PostfixPolicy\.action.*action=DEFER_IF_PERMIT 4\.3\.0 Temporary policy failure/);
    expect((await update('PostfixPolicy', 'action', `{"else":"'DUNNO'"}`)).code).toBe(0);
    expect(rcptReply(await rcpt(postfix.smtp, ['--from', 'jane@example.org']))).toBe('250 2.1.5 Ok');
  });

  it('keeps the last good configuration when serve cannot be reached', async () => {
    expect((await update('PostfixPolicy', 'action', `{"else":"'REJECT 5.7.1 closed for the night'"}`)).code).toBe(0);
    const closed = '554 5.7.1 <bob@example.net>: Recipient address rejected: closed for the night';
    expect(rcptReply(await rcpt(postfix.smtp, ['--from', 'jane@example.org']))).toBe(closed);
    await serve.stop();
    expect(rcptReply(await rcpt(postfix.smtp, ['--from', 'jane@example.org']))).toBe(closed);
    expect(policyd.err).toMatch(/cannot reach http:\/\/127\.0\.0\.1:\d+\/api: connection refused.*the configuration of states MtaStage\w+ \d+, .* stays in force/);
    expect(policyd.child.exitCode).toBeNull();
  });
});
