/**
 * `smtp --record` and `mta-expr replay`: the record file a real server writes (the
 * variables of each stage; no password, token or message), and the decisions a candidate
 * configuration would change in it, counted by field, change, session and network.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildObjects } from '../../src/hosts/config/live.js';
import { parseRecordedStep, type RecordedStep } from '../../src/hosts/smtp/record.js';
import { networkOf, Replay } from '../../src/hosts/testing/replay.js';
import { runCli } from '../support/cli.js';
import { python, startCli } from '../support/servers.js';

const dir = mkdtempSync(join(tmpdir(), 'mta-expr-replay-'));
const write = (name: string, content: unknown): string => {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
};
const ehlo = (session: string, remote_ip: string, local_port: number, is_tls: boolean): RecordedStep => ({
  session,
  time: '2026-12-01T00:00:00.000Z',
  stage: 'ehlo',
  vars: { listener: local_port === 587 ? 'submission' : 'smtp', remote_ip, local_port, is_tls, helo_domain: 'client.example', protocol: 'smtp' },
});

/** No AUTH for 10.0.0.0/8 on submission: the change an operator wants to see the size of. */
const CANDIDATE = { MtaStageAuth: { saslMechanisms: { match: [{ if: "is_ip_in_cidr(remote_ip, '10.0.0.0/8')", then: 'false' }, { if: 'local_port != 25 && is_tls', then: '[plain, login]' }], else: 'false' } } };

describe('Replay', () => {
  it('counts the changed decisions by field, change of value, session and network, with examples', async () => {
    const replay = new Replay({ current: buildObjects({}), candidate: buildObjects(CANDIDATE), examples: 1 });
    const steps = [
      ehlo('a', '10.1.2.3', 587, true),
      ehlo('a', '10.1.2.3', 587, true),
      ehlo('b', '10.1.2.4', 587, false),
      ehlo('c', '10.9.0.1', 587, true),
      ehlo('d', '192.0.2.1', 587, true),
      ehlo('e', '192.0.2.2', 25, false),
    ];
    for (const s of steps) await replay.add(s);
    const r = replay.report();
    expect(r).toMatchObject({ steps: 6, sessions: 5, changedSteps: 5, changedSessions: 4, failures: [] });
    expect(r.fields).toHaveLength(1);
    const [f] = r.fields;
    expect(f).toMatchObject({ object: 'MtaStageAuth', field: 'saslMechanisms', steps: 5, sessions: 4 });
    expect(f!.changes.map((c) => [c.text, c.sessions, c.steps, c.networks])).toEqual([
      ['[plain, login, oauthbearer, xoauth2] → []', 2, 3, [{ network: '10.1.2.0/24', sessions: 1 }, { network: '10.9.0.0/24', sessions: 1 }]],
      ['[oauthbearer, xoauth2] → []', 1, 1, [{ network: '10.1.2.0/24', sessions: 1 }]],
      ['[plain, login, oauthbearer, xoauth2] → [plain, login]', 1, 1, [{ network: '192.0.2.0/24', sessions: 1 }]],
    ]);
    expect(f!.changes[0]!.examples).toEqual([{ session: 'a', stage: 'ehlo', vars: steps[0]!.vars }]);
  });

  it('says when a configuration gives no value, and that nothing changes when nothing does', async () => {
    const bad = buildObjects({ MtaStageAuth: { maxFailures: { match: [], else: "'x'" } } });
    const replay = new Replay({ current: buildObjects({}), candidate: bad });
    await replay.add(ehlo('a', '192.0.2.1', 25, false));
    const r = replay.report();
    expect(r.fields).toEqual([]);
    expect(r.failures).toEqual([{ configuration: 'candidate', object: 'MtaStageAuth', field: 'maxFailures', steps: 1, example: 'the value "x" is not a integer' }]);
  });

  it.each([
    ['10.1.2.3', '10.1.2.0/24'],
    ['::ffff:10.1.2.3', '10.1.2.0/24'],
    ['2001:db8:1:2::5', '2001:db8:1::/48'],
    ['not an address', 'unknown'],
  ])('groups %s in %s', (ip, network) => expect(networkOf(ip)).toBe(network));

  it.each([
    ['{', /^not JSON: /],
    ['[]', /^not a JSON object$/],
    ['{"stage": "ehlo", "vars": {}}', /^no "session"$/],
    ['{"session": "a", "stage": "data", "vars": {}}', /^"stage" must be one of connect, ehlo, mail, rcpt$/],
    ['{"session": "a", "stage": "ehlo", "vars": []}', /^"vars" must be an object$/],
  ])('refuses the record line %s', (line, message) => expect(parseRecordedStep(line)).toMatch(message));
});

describe('smtp --record and replay', () => {
  it('records what each stage saw, never a password, token or message, and replays it', async () => {
    const config = write('server.json', { MtaStageAuth: { waitOnFail: { match: [], else: '50ms' } }, users: [{ username: 'jane@example.org', password: 'Pa55-secret', tokens: ['t0k3n-secret'] }] });
    const record = join(dir, 'sessions.jsonl');
    const smtp = startCli(['smtp', '--smtp-port', '0', '--submission-port', '0', '--hostname', 'mx.test', '--config', config, '--record', record, '--discard']);
    try {
      const m = await smtp.waitFor(/submission on 127\.0\.0\.1:(\d+) .*; recording sessions to /);
      const session = await python(
        `import smtplib, ssl, sys, base64
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), timeout=15)
s.ehlo('client.test')
s.starttls(context=ssl._create_unverified_context())
s.ehlo('client.test')
s.login('jane@example.org', 'Pa55-secret')
s.sendmail('jane@example.org', ['bob@example.net'], 'Subject: private\\r\\n\\r\\nthe-message-body\\r\\n')
s.quit()
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), timeout=15)
s.ehlo('other.test')
print(s.docmd('AUTH', 'XOAUTH2 ' + base64.b64encode(b'user=jane@example.org\\x01auth=Bearer t0k3n-secret\\x01\\x01').decode())[0])
s.quit()`,
        [m[1]!],
      );
      expect(session.code, session.err).toBe(0);
      expect(session.lines).toEqual(['235']);
    } finally {
      await smtp.stop();
    }
    const text = readFileSync(record, 'utf8');
    for (const secret of ['Pa55-secret', 't0k3n-secret', 'the-message-body', 'private', Buffer.from('\0jane@example.org\0Pa55-secret').toString('base64')]) expect(text).not.toContain(secret);
    const steps = text.trim().split('\n').map((l) => JSON.parse(l) as RecordedStep);
    expect(steps.map((s) => s.stage)).toEqual(['connect', 'ehlo', 'ehlo', 'mail', 'connect', 'ehlo']);
    expect(new Set(steps.slice(0, 4).map((s) => s.session)).size).toBe(1);
    expect(steps[4]!.session).not.toBe(steps[0]!.session);
    expect(steps[2]!.vars).toMatchObject({ listener: 'submission', local_port: 587, is_tls: true, helo_domain: 'client.test', remote_ip: '127.0.0.1' });
    expect(steps[3]!.vars).toMatchObject({ sender: 'jane@example.org', sender_domain: 'example.org', authenticated_as: 'jane@example.org', is_tls: true });

    const candidate = write('candidate.json', { MtaStageAuth: { saslMechanisms: { match: [{ if: 'local_port != 25 && is_tls', then: '[plain, login]' }], else: 'false' } } });
    const r = runCli(['replay', record, '--config', candidate, '--examples', '1'], { env: { ...process.env, NO_COLOR: '1' } });
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines.slice(0, 5)).toEqual([
      `replayed 6 steps of 2 sessions; current: the defaults; candidate: ${candidate}`,
      '1 field would change, in 2 of 2 sessions (3 of 6 steps):',
      '  MtaStageAuth.saslMechanisms: 2 sessions, 3 steps',
      '    [oauthbearer, xoauth2] → []: 2 sessions, 2 steps, from 127.0.0.0/24 (2)',
      expect.stringMatching(/^ {6}e\.g\. session [0-9a-f]{16} at ehlo: protocol smtp, listener submission, remote_ip 127\.0\.0\.1, remote_port \d+, local_ip 127\.0\.0\.1, local_port 587, is_tls false, helo_domain client\.test$/),
    ]);
    expect(lines[5]).toBe('    [plain, login, oauthbearer, xoauth2] → [plain, login]: 1 session, 1 step, from 127.0.0.0/24 (1)');
    expect(runCli(['replay', record, '--config', candidate, '--exit-code']).code).toBe(3);
    const json = JSON.parse(runCli(['replay', record, '--config', candidate, '--json']).out);
    expect(json).toMatchObject({ current: 'the defaults', candidate, steps: 6, sessions: 2, changedSessions: 2, changedSteps: 3 });
    // Against itself as the current configuration, nothing changes.
    const same = runCli(['replay', record, '--config', candidate, '--current', candidate, '--exit-code'], { env: { ...process.env, NO_COLOR: '1' } });
    expect(same.code).toBe(0);
    expect(same.out.split('\n')[1]).toBe('no decision would change');
  });

  it('says which line of a record file is not a recorded step', () => {
    const record = write('bad.jsonl', '{"session": "a", "stage": "ehlo", "vars": {}}\n\n{"session": "a", "stage": "ehlo"}\n');
    const candidate = write('c.json', {});
    const r = runCli(['replay', record, '--config', candidate]);
    expect(r.code).toBe(1);
    expect(r.err).toBe(`error: ${record} line 3: not a recorded step: "vars" must be an object\n`);
  });

  it.each([
    [['x.jsonl'], 'error: replay needs --config FILE: the candidate configuration'],
    [['x.jsonl', '--config', 'c.json', '--current', 'c.json', '--url', 'http://127.0.0.1:1'], 'error: give --current FILE or --url URL, not both'],
    [['x.jsonl', '--config', 'c.json', '--examples', 'many'], 'error: --examples must be a number, not `many`'],
  ])('refuses %j', (args, message) => {
    const r = runCli(['replay', ...args], { env: { ...process.env, NO_COLOR: '1' } });
    expect(r.code).toBe(2);
    expect(r.err.split('\n')[0]).toBe(message);
  });
});
