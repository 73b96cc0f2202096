/**
 * Operating the servers (the built CLI, dist/cli.js, on loopback): one log line per event on
 * stderr (text, or JSON with --log-format json) with the client's address on every failed
 * authentication, SIGHUP reloading the configuration file and the certificate (a bad file
 * keeps what runs), SIGTERM closing within a bounded time, and the flags' usage errors.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import { selfSignedCertificate } from '../../src/hosts/smtp/tls.js';
import { runCli } from '../support/cli.js';
import { python, startCli, swaks, type Running } from '../support/servers.js';
import { SmtpClient } from '../support/smtp-client.js';

const dirs: string[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'mta-expr-ops-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const PORTS = /smtp on 127\.0\.0\.1:(\d+) .*submission on 127\.0\.0\.1:(\d+)/;

/** Waits until stderr has a line matching the pattern. */
async function stderrLine(server: Running, pattern: RegExp, ms = 10_000): Promise<string> {
  const deadline = Date.now() + ms;
  for (;;) {
    const line = server.err.split('\n').find((l) => pattern.test(l));
    if (line !== undefined) return line;
    if (Date.now() > deadline) throw new Error(`no stderr line ${pattern}:\n${server.err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function greeting(port: number): Promise<string> {
  const c = await SmtpClient.open(port);
  const line = (await c.read()).lines[0]!;
  c.close();
  return line;
}

/** The certificate STARTTLS presents, as its fingerprint. */
async function certificateOf(port: number): Promise<string> {
  const c = await SmtpClient.open(port);
  await c.read();
  await c.command('EHLO client.test');
  c.write('STARTTLS\r\n');
  await c.read();
  const socket = (c as unknown as { socket: import('node:net').Socket }).socket;
  socket.removeAllListeners('data');
  const secure = tlsConnect({ socket, rejectUnauthorized: false });
  await new Promise<void>((resolve, reject) => {
    secure.once('secureConnect', resolve);
    secure.once('error', reject);
  });
  const fingerprint = secure.getPeerCertificate().fingerprint256;
  secure.destroy();
  return fingerprint;
}

describe('the log', () => {
  it('is one JSON object a line with --log-format json: a failed AUTH with the client address, an accepted message', async () => {
    const dir = tempDir();
    const spool = join(dir, 'spool');
    const config = join(dir, 'server.json');
    writeFileSync(config, JSON.stringify({ users: [{ username: 'jane@example.org', password: 'secret' }], MtaStageAuth: { waitOnFail: { else: '1ms' } } }));
    const smtp = startCli(['smtp', '--smtp-port', '0', '--submission-port', '0', '--hostname', 'mx.test', '--config', config, '--spool', spool, '--log-format', 'json']);
    try {
      const m = await smtp.waitFor(PORTS);
      expect(smtp.out).toContain(`messages: spool ${spool}`);
      const t = await swaks(Number(m[2]), ['--tls', '--auth', 'PLAIN', '--auth-user', 'jane@example.org', '--auth-password', 'wrong', '--quit-after', 'AUTH']);
      expect(t.replies.some((r) => r.startsWith('535'))).toBe(true);
      const failed = JSON.parse(await stderrLine(smtp, /"event":"auth-failed"/)) as Record<string, unknown>;
      expect(failed).toEqual({
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
        level: 'warn',
        component: 'smtp',
        event: 'auth-failed',
        msg: 'authentication failed for "jane@example.org" (PLAIN) from 127.0.0.1 on submission',
        remote_ip: '127.0.0.1',
        login: 'jane@example.org',
        mechanism: 'PLAIN',
        listener: 'submission',
      });
      const sent = await python(
        `import smtplib, sys
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), timeout=10)
s.sendmail('alice@example.com', ['bob@example.net'], 'Subject: logged\\r\\n\\r\\nbody\\r\\n')
s.quit()`,
        [m[1]!],
      );
      expect(sent.code, sent.err).toBe(0);
      const message = JSON.parse(await stderrLine(smtp, /"event":"message"/)) as Record<string, unknown>;
      expect(message).toMatchObject({ component: 'smtp', level: 'info', remote_ip: '127.0.0.1', from: 'alice@example.com', to: ['bob@example.net'], listener: 'smtp' });
      expect(readdirSync(join(spool, 'new'))).toHaveLength(1);
      // Every line of stderr is JSON.
      for (const line of smtp.err.trim().split('\n')) expect(() => JSON.parse(line), line).not.toThrow();
    } finally {
      await smtp.stop();
    }
  });

  it('is the text line by default, the failed AUTH with its address', async () => {
    const config = join(tempDir(), 'server.json');
    writeFileSync(config, JSON.stringify({ MtaStageAuth: { waitOnFail: { else: '1ms' } } }));
    const smtp = startCli(['smtp', '--smtp-port', '0', '--submission-port', '0', '--hostname', 'mx.test', '--config', config, '--discard']);
    try {
      const m = await smtp.waitFor(PORTS);
      expect(smtp.out).toContain('messages: discard');
      await swaks(Number(m[2]), ['--tls', '--auth', 'LOGIN', '--auth-user', 'mallory', '--auth-password', 'x', '--quit-after', 'AUTH']);
      expect(await stderrLine(smtp, /^smtp: authentication failed/)).toBe('smtp: authentication failed for "mallory" (LOGIN) from 127.0.0.1 on submission');
    } finally {
      await smtp.stop();
    }
  });
});

describe('signals', () => {
  it('SIGHUP puts the file’s new greeting and certificate in force; a bad file keeps what runs and says why', async () => {
    const dir = tempDir();
    const config = join(dir, 'server.json');
    const write = async (greetingText: string, hostname: string): Promise<void> => {
      const pems = await selfSignedCertificate(hostname);
      writeFileSync(join(dir, 'key.pem'), pems.key);
      writeFileSync(join(dir, 'cert.pem'), pems.cert);
      writeFileSync(config, JSON.stringify({ MtaStageConnect: { smtpGreeting: { else: `'${greetingText}'` } }, tls: { key: 'key.pem', cert: 'cert.pem' } }));
    };
    await write('first greeting', 'one.test');
    const smtp = startCli(['smtp', '--smtp-port', '0', '--submission-port', '0', '--config', config, '--discard']);
    try {
      const port = Number((await smtp.waitFor(PORTS))[1]);
      expect(await greeting(port)).toBe('first greeting');
      const before = await certificateOf(port);
      await write('second greeting', 'two.test');
      smtp.child.kill('SIGHUP');
      expect(await stderrLine(smtp, /^config: reloaded/)).toBe(`config: reloaded ${config}: the objects, the users and the TLS certificate in force for the next sessions`);
      expect(await greeting(port)).toBe('second greeting');
      expect(await certificateOf(port)).not.toBe(before);
      writeFileSync(config, '{"MtaStageConnect": {"smtpGreeting": {"else": "1 +"}}}');
      smtp.child.kill('SIGHUP');
      expect(await stderrLine(smtp, /^config: reload of/)).toMatch(/^config: reload of .* failed, keeping the running configuration: .*smtpGreeting/);
      expect(await greeting(port)).toBe('second greeting');
      // A certificate that does not load changes nothing either, the objects included.
      writeFileSync(join(dir, 'cert.pem'), 'not a certificate');
      writeFileSync(config, JSON.stringify({ MtaStageConnect: { smtpGreeting: { else: "'third greeting'" } }, tls: { key: 'key.pem', cert: 'cert.pem' } }));
      smtp.child.kill('SIGHUP');
      await stderrLine(smtp, /^config: reload of .* failed, keeping the running configuration: (?!.*smtpGreeting)/);
      expect(await greeting(port)).toBe('second greeting');
      expect(await certificateOf(port)).not.toBe(before);
    } finally {
      await smtp.stop();
    }
  });

  it('SIGTERM stops accepting and closes an idle session with 421 within a bounded time', async () => {
    const smtp = startCli(['smtp', '--smtp-port', '0', '--submission-port', '0', '--discard']);
    const port = Number((await smtp.waitFor(PORTS))[1]);
    // Without --config, SIGHUP has nothing to read again, and does not stop the server.
    smtp.child.kill('SIGHUP');
    expect(await stderrLine(smtp, /^config: /)).toBe('config: SIGHUP: no --config file to reload');
    const idle = await SmtpClient.open(port);
    expect((await idle.read()).code).toBe(220);
    const started = Date.now();
    smtp.child.kill('SIGTERM');
    expect((await idle.read(8000)).code).toBe(421);
    expect(await smtp.exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(8000);
    await expect(SmtpClient.open(port)).rejects.toThrow(/ECONNREFUSED/);
  });
});

describe('serve', () => {
  it('logs JSON with --log-format json, keeps GET /health, and takes a new user on SIGHUP', async () => {
    const dir = tempDir();
    const config = join(dir, 'server.json');
    const users = (password: string) => writeFileSync(config, JSON.stringify({ users: [{ username: 'jane@example.org', password }], MtaStageAuth: { waitOnFail: { else: '1ms' } } }));
    users('old-secret');
    const env = { ...process.env, MTA_EXPR_ADMIN_TOKEN: undefined };
    const serve = startCli(['serve', '--data', join(dir, 'data'), '--listen', '127.0.0.1:0', '--config', config, '--smtp', '--smtp-port', '0', '--submission-port', '0', '--discard', '--log-format', 'json'], env);
    try {
      const submission = Number((await serve.waitFor(PORTS))[2]);
      const api = (await serve.waitFor(/(http:\/\/127\.0\.0\.1:\d+)\/api/))[1]!;
      expect(JSON.parse(await stderrLine(serve, /no tokens/))).toMatchObject({ component: 'mta-expr', level: 'warn', msg: expect.stringMatching(/^no tokens \(set MTA_EXPR_ADMIN_TOKEN/) });
      expect((await fetch(`${api}/health`)).status).toBe(200);
      const login = (password: string) => swaks(submission, ['--tls', '--auth', 'PLAIN', '--auth-user', 'jane@example.org', '--auth-password', password, '--quit-after', 'AUTH']);
      expect((await login('new-secret')).replies.some((r) => r.startsWith('535'))).toBe(true);
      users('new-secret');
      serve.child.kill('SIGHUP');
      expect(JSON.parse(await stderrLine(serve, /"event":"reloaded"/))).toMatchObject({ component: 'config', file: config });
      expect((await login('new-secret')).replies.some((r) => r.startsWith('235'))).toBe(true);
      for (const line of serve.err.trim().split('\n')) expect(() => JSON.parse(line), line).not.toThrow();
    } finally {
      await serve.stop();
    }
  });
});

describe('flags', () => {
  it.each([
    [['smtp', '--spool', 'x', '--discard'], /^error: --spool and --discard each say where accepted mail goes: give one/],
    [['smtp', '--auth-ban', '5'], /^error: --auth-ban must be N\/PERIOD such as 100\/1d, or off, not `5`/],
    [['smtp', '--max-recipients', 'many'], /^error: --max-recipients must be a whole number, not `many`/],
    [['smtp', '--stage-timeout', 'soon'], /^error: --stage-timeout must be a duration/],
    [['smtp', '--log-format', 'xml'], /^error: --log-format must be text or json, not `xml`/],
    [['smtp', '--relay', 'mx.example.org'], /^error: --relay must be HOST:PORT, not `mx.example.org`/],
    [['serve', '--data', 'x', '--spool', 'y'], /^error: --spool goes with --smtp/],
  ])('refuses %j with exit 2', (args, message) => {
    const r = runCli(args);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
  });

  it('says in one line, exit 1, when the address cannot be bound', () => {
    const r = runCli(['smtp', '--host', '192.0.2.1', '--smtp-port', '0', '--submission-port', '0', '--discard']);
    expect(r).toMatchObject({ code: 1, out: '' });
    expect(r.err).toMatch(/^error: cannot listen on 192\.0\.2\.1 \(ports 0, 0\): .*EADDRNOTAVAIL.*\n$/);
  });
});
