/**
 * `mta-expr simulate`: the replies and the fields under them, the JSON events, the usage
 * errors — and that it shows exactly what the SMTP server does: one scripted session run
 * through `simulate` and through `mta-expr smtp` with a real client (Python's smtplib)
 * gets the same replies.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { ADMIN_TOKEN, call, serve } from '../support/serve.js';
import { python, startCli, type Running } from '../support/servers.js';

const dir = mkdtempSync(join(tmpdir(), 'mta-expr-simulate-'));
const b64 = (s: string): string => Buffer.from(s).toString('base64');
const CONFIG = join(dir, 'server.json');
writeFileSync(
  CONFIG,
  JSON.stringify({
    MtaStageAuth: { waitOnFail: { match: [], else: '100ms' }, maxFailures: { match: [{ if: "remote_ip == '192.0.2.66'", then: '1' }], else: '3' } },
    users: [{ username: 'jane@example.org', password: 'secret', addresses: ['j.doe@example.org'], tokens: ['t0k3n'] }],
  }),
);

/** A session that touches every decision the server makes, and a few of smtp-server's own replies. */
const SCRIPT = [
  'EHLO client.test',
  'MAIL FROM:<jane@example.org>',
  'AUTH PLAIN ' + b64('\0jane@example.org\0secret'),
  'STARTTLS',
  'EHLO client.test',
  'AUTH PLAIN ' + b64('\0jane@example.org\0wrong'),
  'AUTH LOGIN',
  b64('jane@example.org'),
  b64('secret'),
  'AUTH PLAIN ' + b64('\0jane@example.org\0secret'),
  'MAIL FROM:<bob@example.org>',
  'MAIL FROM:<j.doe@example.org>',
  'RCPT TO:<bob@example.net>',
  'RCPT TO:<not an address>',
  'DATA',
  'Subject: hello',
  '',
  'Hello.',
  '.',
  'RSET',
  'NOOP',
  'FROB',
  'QUIT',
];

/** smtplib sends each line raw (STARTTLS: the handshake after 220; DATA: the message lines, then the reply to `.`) and prints each reply as JSON. */
const RAW_SESSION = `
import json, smtplib, ssl, sys
port, lines = int(sys.argv[1]), json.loads(sys.argv[2])
s = smtplib.SMTP(timeout=15)
code, text = s.connect('127.0.0.1', port)
print(json.dumps([code, text.decode().split('\\n')]), flush=True)
in_data = False
for line in lines:
    if in_data:
        s.send((line + '\\r\\n').encode())
        if line != '.':
            continue
        in_data = False
        code, text = s.getreply()
    else:
        s.send((line + '\\r\\n').encode())
        try:
            code, text = s.getreply()
        except smtplib.SMTPServerDisconnected:
            print(json.dumps(['closed']), flush=True)
            break
        if code == 354:
            in_data = True
        if line.upper() == 'STARTTLS' and code == 220:
            s.sock = ssl._create_unverified_context().wrap_socket(s.sock, server_hostname='mx.test')
            s.file = None
    print(json.dumps([code, text.decode().split('\\n')]), flush=True)
`;

/** A reply as smtplib reads it: the code, and each line's text after the code. */
const asClientSees = (r: { code: number; lines: string[] }): [number, string[]] => [r.code, r.lines.map((l) => l.slice(4).trim())];

describe('simulate shows what mta-expr smtp does', () => {
  let smtp: Running;
  let submission: number;
  let smtpPort: number;
  beforeAll(async () => {
    smtp = startCli(['smtp', '--smtp-port', '0', '--submission-port', '0', '--hostname', 'mx.test', '--config', CONFIG, '--discard']);
    const m = await smtp.waitFor(/smtp on 127\.0\.0\.1:(\d+) .*submission on 127\.0\.0\.1:(\d+)/);
    smtpPort = Number(m[1]);
    submission = Number(m[2]);
  });
  afterAll(() => smtp.stop());

  it.each([
    ['submission (587)', 587, '127.0.0.1', () => submission],
    ['smtp (25)', 25, '127.0.0.1', () => smtpPort],
  ])('the same session on %s gets the same replies from both', async (_, localPort, ip, port) => {
    const real = await python(RAW_SESSION, [String(port()), JSON.stringify(SCRIPT)]);
    expect(real.code, real.err).toBe(0);
    const sim = runCli(['simulate', '--json', '--local-port', String(localPort), '--remote-ip', ip, '--hostname', 'mx.test', '--config', CONFIG], { input: SCRIPT.join('\n') + '\n' });
    expect(sim.code, sim.err).toBe(0);
    const simulated = sim.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { reply: { code: number; lines: string[] } | null })
      .filter((e) => e.reply !== null)
      .map((e) => asClientSees(e.reply!));
    const seen = real.lines.map((l) => JSON.parse(l) as [number, string[]]);
    expect(simulated).toEqual(seen);
    // The session reached the decisions it is meant to: the 530, the 535 after the wait, the mismatch, the accepted message.
    expect(seen.map((r) => r[0])).toEqual(localPort === 587 ? [220, 250, 530, 504, 220, 250, 535, 334, 334, 235, 503, 550, 250, 250, 501, 354, 250, 250, 250, 500, 221] : expect.any(Array));
  });

  it('disconnects at maxFailures as the server does (one failure allowed from 192.0.2.66)', () => {
    const script = ['EHLO client.test', 'STARTTLS', 'EHLO client.test', 'AUTH PLAIN ' + b64('\0jane@example.org\0wrong'), 'NOOP'];
    const r = runCli(['simulate', '--json', '--local-port', '587', '--remote-ip', '192.0.2.66', '--config', CONFIG], { input: script.join('\n') });
    const events = r.out.trim().split('\n').map((l) => JSON.parse(l));
    expect(events.at(-1)).toMatchObject({ command: 'AUTH PLAIN …', reply: { code: 421 }, waited: 0, closed: true });
    expect(events).toHaveLength(5);
  });
});

describe('simulate output', () => {
  it('prints each reply, the fields the command evaluated, the wait and the close', () => {
    const script = ['# a comment, skipped', 'EHLO client.example', 'STARTTLS', 'EHLO client.example', 'AUTH PLAIN ' + b64('\0jane@example.org\0wrong'), 'QUIT', 'NOOP'];
    const r = runCli(['simulate', '--local-port', '587', '--hostname', 'mx.example.org', '--config', CONFIG], { input: script.join('\n') + '\n', env: { ...process.env, NO_COLOR: '1' } });
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      [
        '220 mx.example.org Stalwart ESMTP at your service',
        "    MtaStageConnect.smtpGreeting = \"mx.example.org Stalwart ESMTP at your service\"  ← else system('hostname') + ' Stalwart ESMTP at your service'",
        "    MtaStageConnect.hostname = \"mx.example.org\"  ← else system('hostname')",
        '    MtaStageConnect.script = none  ← else false',
        '> EHLO client.example',
        '250-mx.example.org Nice to meet you, [127.0.0.1]',
        '250-PIPELINING',
        '250-8BITMIME',
        '250-SMTPUTF8',
        '250-AUTH OAUTHBEARER XOAUTH2',
        '250-STARTTLS',
        '250 SIZE 26214400',
        '    MtaStageAuth.maxFailures = 3',
        "        if #1 remote_ip == '192.0.2.66'   false",
        '        else 3',
        '    MtaStageAuth.waitOnFail = 100 ms  ← else 100ms',
        '    MtaStageAuth.saslMechanisms = [oauthbearer, xoauth2]',
        '        if #1 local_port != 25 && is_tls   false',
        '        if #2 local_port != 25             true  → then [oauthbearer, xoauth2]',
        '    MtaStageAuth.require = true  ← else local_port != 25',
        '> STARTTLS',
        '220 Ready to start TLS',
        '> EHLO client.example',
        '250-mx.example.org Nice to meet you, [127.0.0.1]',
        '250-PIPELINING',
        '250-8BITMIME',
        '250-SMTPUTF8',
        '250-AUTH PLAIN LOGIN OAUTHBEARER XOAUTH2',
        '250 SIZE 26214400',
        '    MtaStageAuth.maxFailures = 3',
        "        if #1 remote_ip == '192.0.2.66'   false",
        '        else 3',
        '    MtaStageAuth.waitOnFail = 100 ms  ← else 100ms',
        '    MtaStageAuth.saslMechanisms = [plain, login, oauthbearer, xoauth2]',
        '        if #1 local_port != 25 && is_tls   true  → then [plain, login, oauthbearer, xoauth2]',
        '    MtaStageAuth.require = true  ← else local_port != 25',
        '> AUTH PLAIN …',
        '535 5.7.8 Authentication credentials invalid',
        '    (the server waits 100 ms before this reply: waitOnFail)',
        '> QUIT',
        '221 Bye',
        '    (the server closes the connection)',
        '    (the connection is closed: `NOOP` is not sent)',
        '',
      ].join('\n'),
    );
  });

  it('shows a field whose block gives no value, and the default that applies', () => {
    const file = join(dir, 'bad-type.json');
    writeFileSync(file, JSON.stringify({ MtaStageAuth: { maxFailures: { match: [], else: "'many'" } } }));
    const r = runCli(['simulate', '--local-port', '587', '--config', file], { input: 'EHLO x\n' });
    expect(r.out).toContain(['    MtaStageAuth.maxFailures = 3  (the default)', "        else 'many'", '        no value: the value "many" is not a integer', '        the default: else 3'].join('\n'));
  });

  it('gives one JSON event a line, credentials hidden', () => {
    const r = runCli(['simulate', '--json', '--local-port', '587', '--tls'], { input: `EHLO x\nAUTH PLAIN ${b64('\0a\0b')}\n` });
    const [greeting, ehlo, auth] = r.out.trim().split('\n').map((l) => JSON.parse(l));
    expect(greeting).toMatchObject({ command: null, reply: { code: 220 }, waited: 0, closed: false });
    expect(greeting.fields.map((f: { stage: string; field: string }) => `${f.stage} ${f.field}`)).toEqual(['connect smtpGreeting', 'connect hostname', 'connect script']);
    expect(ehlo.reply.lines).toContain('250-AUTH PLAIN LOGIN OAUTHBEARER XOAUTH2');
    expect(ehlo.fields.find((f: { field: string }) => f.field === 'saslMechanisms')).toMatchObject({
      object: 'MtaStageAuth',
      type: 'constantList',
      value: ['plain', 'login', 'oauthbearer', 'xoauth2'],
      from: 'field',
      blocks: [{ block: 'field', explanation: { conditions: [{ condition: 1, source: 'local_port != 25 && is_tls', value: 1, matched: true, captures: [] }], taken: { kind: 'then', condition: 1 } } }],
    });
    expect(auth).toMatchObject({ command: 'AUTH PLAIN …', reply: { code: 535 }, waited: 5000 });
    expect(r.out).not.toContain(b64('\0a\0b'));
  });

  it.each([
    [['--remote-ip', '10.0.0.300'], 'error: --remote-ip must be an IP address, not `10.0.0.300`'],
    [['--local-port', '70000'], 'error: --local-port must be a port number (0 to 65535), not `70000`'],
    [['--config', 'a.json', '--url', 'http://127.0.0.1:1'], 'error: give --config FILE or --url URL, not both'],
    [['--token', 'x'], 'error: --token and --insecure go with --url'],
    [['EHLO'], 'error: simulate: unexpected `EHLO`'],
  ])('refuses %j', (args, message) => {
    const r = runCli(['simulate', ...args], { input: '', env: { ...process.env, NO_COLOR: '1' } });
    expect(r.code).toBe(2);
    expect(r.err.split('\n')[0]).toBe(message);
  });

  it('says why a configuration or lookup file cannot be used', () => {
    expect(runCli(['simulate', '--config', join(dir, 'missing.json')], { input: '' }).err).toBe(`error: cannot read ${join(dir, 'missing.json')}: no such file\n`);
    const lookups = join(dir, 'lookups.json');
    writeFileSync(lookups, '{"stores": []}');
    expect(runCli(['simulate', '--lookups', lookups], { input: '' }).err).toBe(`error: ${lookups}: stores must be an object\n`);
  });

  it('evaluates lookups from in-memory data', () => {
    const config = join(dir, 'lookups-config.json');
    writeFileSync(config, JSON.stringify({ MtaStageConnect: { smtpGreeting: { match: [{ if: "key_exists('vip', remote_ip)", then: "'welcome, friend'" }], else: "'hello'" } } }));
    const lookups = join(dir, 'vip.json');
    writeFileSync(lookups, JSON.stringify({ stores: { vip: { '192.0.2.5': 1 } } }));
    expect(runCli(['simulate', '--config', config, '--lookups', lookups, '--remote-ip', '192.0.2.5'], { input: '' }).out.split('\n')[0]).toBe('220 welcome, friend');
    expect(runCli(['simulate', '--config', config, '--lookups', lookups, '--remote-ip', '192.0.2.6'], { input: '' }).out.split('\n')[0]).toBe('220 hello');
  });
});

describe('simulate on the live configuration of serve', () => {
  it('reads the configuration through the API (--url, --token) and the users from --backends', async () => {
    const served = await serve();
    try {
      const [, set] = await call(served, 'x:MtaStageConnect/set', { update: { singleton: { 'smtpGreeting/else': "'live greeting'" } } });
      expect(set.updated).toHaveProperty('singleton');
      const script = ['EHLO x', 'AUTH PLAIN ' + b64('\0jane@example.org\0secret')].join('\n');
      const r = runCli(['simulate', '--json', '--url', served.url, '--token', ADMIN_TOKEN, '--backends', CONFIG, '--local-port', '587', '--tls'], { input: script });
      expect(r.err).toBe('');
      const [greeting, , auth] = r.out.trim().split('\n').map((l) => JSON.parse(l));
      expect(greeting.reply).toEqual({ code: 220, lines: ['220 live greeting'] });
      expect(auth.reply.code).toBe(235);
      const refused = runCli(['simulate', '--url', served.url, '--token', 'wrong-token-0123456789'], { input: '' });
      expect(refused.code).toBe(1);
      expect(refused.err).toMatch(/^error: cannot read the configuration of the management API at http:\/\/127\.0\.0\.1:\d+: .*401/);
    } finally {
      await served.stop();
    }
  });
});
