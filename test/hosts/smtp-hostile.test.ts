/**
 * What a hostile or careless client can do to the SMTP server, on loopback, with real
 * clients (the raw test client, Python's smtplib) and a real upstream SMTP server: every
 * case is bounded in count and time, and each limit is set low so it is reached quickly.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { SMTPServer } from 'smtp-server';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Lookups } from '../../src/language/index.js';
import { serverConfig } from '../../src/hosts/cli/server-config.js';
import { discardDelivery, relayDelivery, spoolDelivery, type Delivery } from '../../src/hosts/smtp/delivery.js';
import type { SmtpLimits } from '../../src/hosts/smtp/limits.js';
import { SessionPolicy, type StageName } from '../../src/hosts/smtp/policy.js';
import { PolicySmtpServer, type SmtpEvent } from '../../src/hosts/smtp/server.js';
import { selfSignedCertificate } from '../../src/hosts/smtp/tls.js';
import { freePort, python } from '../support/servers.js';
import { b64, SmtpClient, type Reply } from '../support/smtp-client.js';

let tls: { key: string; cert: string };
const running: PolicySmtpServer[] = [];

interface Started {
  server: PolicySmtpServer;
  smtp: number;
  submission: number;
  events: SmtpEvent[];
  stages: StageName[];
}

async function start(
  options: { limits?: Partial<SmtpLimits>; delivery?: Delivery; config?: Record<string, unknown>; lookups?: Lookups; stageTimeout?: number } = {},
): Promise<Started> {
  const parsed = serverConfig(options.config ?? { MtaStageAuth: { waitOnFail: { else: '1ms' }, maxFailures: { else: '100' } } });
  const stages: StageName[] = [];
  const policy = new SessionPolicy(() => parsed.objects, {
    env: { system: { hostname: 'mx.test' }, ...(options.lookups ? { lookups: options.lookups } : {}) },
    onStage: (e) => stages.push(e.stage),
    ...(options.stageTimeout ? { stageTimeout: options.stageTimeout } : {}),
  });
  const events: SmtpEvent[] = [];
  const server = new PolicySmtpServer({
    policy,
    tls,
    users: [{ username: 'jane@example.org', password: 'secret', tokens: ['t0k3n'] }],
    listeners: [
      { name: 'smtp', port: 0, presentPort: 25 },
      { name: 'submission', port: 0, presentPort: 587 },
    ],
    ...(options.delivery ? { delivery: options.delivery } : {}),
    ...(options.limits ? { limits: options.limits } : {}),
    closeTimeout: 500,
    onEvent: (e) => events.push(e),
  });
  running.push(server);
  const ports = await server.start();
  return { server, smtp: ports.smtp!, submission: ports.submission!, events, stages };
}

async function greeted(port: number, localAddress?: string): Promise<SmtpClient> {
  const c = await SmtpClient.open(port, localAddress);
  expect((await c.read()).code).toBe(220);
  return c;
}

/** A session on `port` from `localAddress` after EHLO, STARTTLS and EHLO again: ready for AUTH PLAIN. */
async function tlsSession(port: number, localAddress: string): Promise<SmtpClient> {
  const c = await greeted(port, localAddress);
  await c.command('EHLO client.test');
  expect((await c.startTls()).code).toBe(220);
  expect((await c.command('EHLO client.test')).code).toBe(250);
  return c;
}

/** Sends a message on an open session (after EHLO); resolves with the reply to the final dot. */
async function send(c: SmtpClient, body: string | Buffer, rcpts = ['bob@example.net']): Promise<Reply> {
  expect((await c.command('MAIL FROM:<alice@example.com>')).code).toBe(250);
  for (const r of rcpts) expect((await c.command(`RCPT TO:<${r}>`)).code).toBe(250);
  expect((await c.command('DATA')).code).toBe(354);
  c.write(body);
  return c.command('\r\n.');
}

const auth = (password: string, user = 'jane@example.org'): string => `AUTH PLAIN ${b64(`\0${user}\0${password}`)}`;

beforeAll(async () => {
  tls = await selfSignedCertificate('mx.test');
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop()));
});

describe('message size and delivery', () => {
  it('advertises SIZE (25 MiB by default, or as configured) and refuses a larger MAIL FROM SIZE=', async () => {
    const byDefault = await start({ delivery: discardDelivery });
    const c = await greeted(byDefault.smtp);
    expect((await c.command('EHLO client.test')).lines).toContain('SIZE 26214400');
    c.close();
    const small = await start({ delivery: discardDelivery, limits: { maxMessageSize: 1000 } });
    const d = await greeted(small.smtp);
    expect((await d.command('EHLO client.test')).lines).toContain('SIZE 1000');
    expect((await d.command('MAIL FROM:<alice@example.com> SIZE=5000')).code).toBe(552);
    d.close();
  });

  it('writes a message into the Maildir spool (tmp/, then new/) before the 250, and a too large one nowhere', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mta-expr-spool-'));
    const s = await start({ delivery: await spoolDelivery(dir), limits: { maxMessageSize: 2000 } });
    const c = await greeted(s.smtp);
    await c.command('EHLO client.test');
    const ok = await send(c, 'Subject: hello\r\n\r\nHello.');
    expect(ok.code).toBe(250);
    const queued = /queued as (\S+)/.exec(ok.lines[0]!)![1]!;
    expect(readdirSync(join(dir, 'new'))).toEqual([queued]);
    expect(readFileSync(join(dir, 'new', queued), 'utf8')).toBe('Return-Path: <alice@example.com>\r\nDelivered-To: bob@example.net\r\nSubject: hello\r\n\r\nHello.\r\n');
    const big = await send(c, `Subject: big\r\n\r\n${'x'.repeat(78)}\r\n`.repeat(100));
    expect(big.code).toBe(552);
    expect(readdirSync(join(dir, 'new'))).toEqual([queued]);
    expect(readdirSync(join(dir, 'tmp'))).toEqual([]);
    // The session goes on after the refusal.
    expect((await send(c, 'Subject: again\r\n\r\nsmall')).code).toBe(250);
    expect(readdirSync(join(dir, 'new'))).toHaveLength(2);
    c.close();
    expect(s.events.filter((e) => e.event === 'message')).toHaveLength(2);
    expect(s.events.find((e) => e.event === 'message-refused')).toMatchObject({ remote_ip: '127.0.0.1', reason: 'size' });
  });

  it('spools what Python smtplib sends', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mta-expr-spool-'));
    const s = await start({ delivery: await spoolDelivery(dir) });
    const r = await python(
      `import smtplib, sys
s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]), timeout=10)
print(s.sendmail('alice@example.com', ['bob@example.net', 'carol@example.net'], 'Subject: py\\r\\n\\r\\nfrom smtplib\\r\\n'))
s.quit()`,
      [String(s.smtp)],
    );
    expect(r.code, r.err).toBe(0);
    expect(r.lines).toEqual(['{}']);
    const [file] = readdirSync(join(dir, 'new'));
    expect(readFileSync(join(dir, 'new', file!), 'utf8')).toContain('Delivered-To: carol@example.net\r\nSubject: py\r\n\r\nfrom smtplib');
  });

  it('answers 451 at the end of DATA when no delivery is configured, and keeps nothing', async () => {
    const s = await start();
    const c = await greeted(s.smtp);
    await c.command('EHLO client.test');
    const r = await send(c, 'Subject: nowhere\r\n\r\nx');
    expect(r.code).toBe(451);
    expect(r.lines[0]).toMatch(/no delivery is configured/);
    expect(s.server).not.toHaveProperty('messages');
    c.close();
  });

  describe('relayed to an upstream server', () => {
    let upstream: SMTPServer;
    let upstreamPort: number;
    const received: Array<{ to: string[]; body: string; at: number }> = [];
    beforeAll(async () => {
      upstream = new SMTPServer({
        authOptional: true,
        disabledCommands: ['STARTTLS'],
        logger: false,
        onRcptTo: (address, _session, callback) => callback(address.address.startsWith('refused') ? Object.assign(new Error('5.1.1 No such user'), { responseCode: 550 }) : undefined),
        onData: (stream: Readable, session, callback) => {
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => {
            // The upstream takes its time: the client's 250 must come after it.
            setTimeout(() => {
              received.push({ to: session.envelope.rcptTo.map((r) => r.address), body: Buffer.concat(chunks).toString(), at: Date.now() });
              callback(null, 'queued upstream');
            }, 200);
          });
        },
      });
      await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
      upstreamPort = (upstream.server.address() as { port: number }).port;
    });
    afterAll(() => new Promise<void>((resolve) => upstream.close(() => resolve())));

    it('answers 250 only after the upstream accepted, its refusal as a refusal, and 451 when it is down', async () => {
      const s = await start({ delivery: relayDelivery({ host: '127.0.0.1', port: upstreamPort, name: 'mx.test' }), limits: { maxMessageSize: 4000 } });
      const c = await greeted(s.smtp);
      await c.command('EHLO client.test');
      const ok = await send(c, 'Subject: relay\r\n\r\nrelayed');
      expect(ok.code).toBe(250);
      const answeredAt = Date.now();
      expect(ok.lines[0]).toMatch(/relayed to 127\.0\.0\.1:\d+: 250 queued upstream/);
      expect(received).toHaveLength(1);
      expect(received[0]!.at).toBeLessThanOrEqual(answeredAt);
      expect(received[0]!.body).toContain('relayed');
      const refused = await send(c, 'Subject: refused\r\n\r\nno', ['refused@example.net']);
      expect(refused.code).toBe(554);
      const big = await send(c, `Subject: big\r\n\r\n${'y'.repeat(8000)}`);
      expect(big.code).toBe(552);
      expect(big.ms).toBeLessThan(2000);
      await new Promise((r) => setTimeout(r, 300));
      expect(received).toHaveLength(1);
      c.close();
      const closed = await freePort();
      const down = await start({ delivery: relayDelivery({ host: '127.0.0.1', port: closed, connectionTimeout: 2000 }) });
      const d = await greeted(down.smtp);
      await d.command('EHLO client.test');
      const r = await send(d, 'Subject: down\r\n\r\nx');
      expect(r.code).toBe(451);
      d.close();
    });
  });
});

describe('session limits', () => {
  it('refuses connections past the limit per address and in total before any expression is evaluated', async () => {
    const s = await start({ delivery: discardDelivery, limits: { maxConnectionsPerIp: 2, maxConnections: 3 } });
    const a = await greeted(s.smtp);
    const b = await greeted(s.submission);
    const connects = s.stages.filter((x) => x === 'connect').length;
    const third = await SmtpClient.open(s.smtp);
    expect(await third.read()).toMatchObject({ code: 421, lines: ['4.7.0 Too many connections from your address, try again later'] });
    expect(await third.closedByServer()).toBe(true);
    expect(s.stages.filter((x) => x === 'connect').length).toBe(connects);
    const other = await greeted(s.smtp, '127.0.0.2');
    const fourth = await SmtpClient.open(s.smtp, '127.0.0.3');
    expect((await fourth.read()).code).toBe(421);
    expect(s.events.filter((e) => e.event === 'connection-refused').map((e) => [e.remote_ip, e.reason])).toEqual([
      ['127.0.0.1', 'per-address'],
      ['127.0.0.3', 'total'],
    ]);
    // A closed connection frees its place.
    a.close();
    await new Promise((r) => setTimeout(r, 100));
    const again = await greeted(s.smtp);
    for (const c of [b, other, again, third, fourth]) c.close();
  });

  it('limits messages per session and recipients per message', async () => {
    const s = await start({ delivery: discardDelivery, limits: { maxMessagesPerSession: 2, maxRecipients: 3 } });
    const c = await greeted(s.smtp);
    await c.command('EHLO client.test');
    expect((await send(c, 'Subject: 1\r\n\r\n1', ['a@example.net', 'b@example.net', 'c@example.net'])).code).toBe(250);
    expect((await c.command('MAIL FROM:<alice@example.com>')).code).toBe(250);
    for (const r of ['a', 'b', 'c']) expect((await c.command(`RCPT TO:<${r}@example.net>`)).code).toBe(250);
    expect((await c.command('RCPT TO:<d@example.net>')).code).toBe(452);
    expect((await c.command('DATA')).code).toBe(354);
    c.write('Subject: 2\r\n\r\n2');
    expect((await c.command('\r\n.')).code).toBe(250);
    const third = await c.command('MAIL FROM:<alice@example.com>');
    expect(third.code).toBe(452);
    expect(third.lines[0]).toMatch(/Too many messages in one session \(2\)/);
    c.close();
  });

  it('refuses a 16,000-character EHLO argument before the EHLO stage is evaluated', async () => {
    const s = await start({ delivery: discardDelivery });
    const c = await greeted(s.submission);
    const r = await c.command(`EHLO ${'a'.repeat(16_000)}`);
    expect(r.code).toBe(501);
    expect(r.lines[0]).toBe('5.5.4 The EHLO argument is longer than 255 bytes');
    expect((await c.command(`HELO ${'b.'.repeat(200)}`)).code).toBe(501);
    expect(s.stages).not.toContain('ehlo');
    expect((await c.command('EHLO client.test')).code).toBe(250);
    expect(s.stages).toContain('ehlo');
    c.close();
  });
});

describe('authentication failures across connections', () => {
  it('bans an address after the threshold: its next AUTH and connections get 421, and the ban is logged with the address', async () => {
    const s = await start({ limits: { authBanThreshold: 4 } });
    for (let i = 0; i < 2; i++) {
      const c = await tlsSession(s.submission, '127.0.0.7');
      expect((await c.command(auth('wrong'))).code).toBe(535);
      expect((await c.command(auth('wrong', 'nobody@example.org'))).code).toBe(i === 0 ? 535 : 421);
      c.close();
    }
    const failures = s.events.filter((e) => e.event === 'auth-failed');
    expect(failures).toHaveLength(4);
    expect(failures.every((e) => e.remote_ip === '127.0.0.7')).toBe(true);
    expect(failures[0]!.message).toBe('authentication failed for "jane@example.org" (PLAIN) from 127.0.0.7 on submission');
    expect(s.events.find((e) => e.event === 'auth-ban')).toMatchObject({ remote_ip: '127.0.0.7', message: 'banned 127.0.0.7 for 1d: 4 failed authentications' });
    const banned = await SmtpClient.open(s.submission, '127.0.0.7');
    expect(await banned.read()).toMatchObject({ code: 421, lines: ['4.7.0 Too many failed authentications from your address, try again later'] });
    banned.close();
    // Another address is not banned, and the right password still works there.
    const other = await tlsSession(s.submission, '127.0.0.8');
    expect((await other.command(auth('secret'))).code).toBe(235);
    other.close();
  });

  it('bans a login guessed from many addresses: even its right password gets 454 until the ban ends', async () => {
    const s = await start({ limits: { authBanThreshold: 3 } });
    for (const ip of ['127.0.1.1', '127.0.1.2', '127.0.1.3']) {
      const c = await tlsSession(s.submission, ip);
      expect((await c.command(auth('guess'))).code).toBe(535);
      c.close();
    }
    expect(s.events.find((e) => e.event === 'auth-ban')).toMatchObject({ login: 'jane@example.org', remote_ip: '127.0.1.3' });
    const c = await tlsSession(s.submission, '127.0.1.4');
    expect((await c.command(auth('secret'))).code).toBe(454);
    c.close();
  });

  it('offers and accepts bearer tokens after STARTTLS only when told to', async () => {
    const s = await start({ limits: { bearerNeedsTls: true } });
    const c = await greeted(s.submission);
    expect((await c.command('EHLO client.test')).lines.find((l) => l.startsWith('AUTH'))).toBeUndefined();
    expect((await c.command(`AUTH XOAUTH2 ${b64('user=jane@example.org\x01auth=Bearer t0k3n\x01\x01')}`)).code).toBe(504);
    expect((await c.command(`AUTH OAUTHBEARER ${b64('n,a=jane@example.org,\x01auth=Bearer t0k3n\x01\x01')}`)).code).toBe(504);
    await c.startTls();
    expect((await c.command('EHLO client.test')).lines).toContain('AUTH PLAIN LOGIN OAUTHBEARER XOAUTH2');
    expect((await c.command(`AUTH OAUTHBEARER ${b64('n,a=jane@example.org,\x01auth=Bearer t0k3n\x01\x01')}`)).code).toBe(235);
    c.close();
  });
});

describe('resets and lookups that never answer', () => {
  const GREETING_LOOKUP = { MtaStageConnect: { smtpGreeting: { else: "key_get('slow', 'greeting') + ' ESMTP'" } } };

  it('survives a TCP reset while the connect stage awaits a lookup, and frees the connection', async () => {
    let answer: (v: string) => void = () => undefined;
    const lookups: Lookups = { keyGet: () => new Promise<string>((resolve) => (answer = resolve)) };
    const s = await start({ config: GREETING_LOOKUP, lookups, limits: { maxConnectionsPerIp: 1 } });
    const c = await SmtpClient.open(s.smtp);
    await new Promise((r) => setTimeout(r, 100));
    c.reset();
    await new Promise((r) => setTimeout(r, 100));
    answer('mx.test');
    await new Promise((r) => setTimeout(r, 100));
    // Still serving, and the reset connection no longer counts against the address.
    const d = await SmtpClient.open(s.smtp);
    await new Promise((r) => setTimeout(r, 50));
    answer('mx.test');
    expect(await d.read()).toMatchObject({ code: 220, lines: ['mx.test ESMTP'] });
    d.close();
  });

  it('answers 421 when the connect stage does not finish within the stage timeout (the server’s or the policy’s), and 451 for EHLO and MAIL FROM', async () => {
    const lookups: Lookups = { keyGet: () => new Promise<string>(() => undefined) };
    for (const timeouts of [{ limits: { stageTimeout: 300 } }, { stageTimeout: 300 }]) {
      const s = await start({ config: GREETING_LOOKUP, lookups, ...timeouts });
      const c = await SmtpClient.open(s.smtp);
      const greeting = await c.read();
      expect(greeting.code).toBe(421);
      expect(greeting.lines[0]).toMatch(/Temporary failure: a lookup did not answer, try again later$/);
      expect(greeting.ms).toBeLessThan(2000);
      expect(await c.closedByServer()).toBe(true);
    }
    const mailLookup = { users: [], MtaStageAuth: { mustMatchSender: { else: "key_get('slow', sender) == 'yes'" } } };
    const m = await start({ config: mailLookup, lookups, limits: { stageTimeout: 300 } });
    const mc = await tlsSession(m.submission, '127.0.0.1');
    expect((await mc.command(auth('secret'))).code).toBe(235);
    const mail = await mc.command('MAIL FROM:<jane@example.org>');
    expect(mail.code).toBe(451);
    expect(mail.ms).toBeLessThan(2000);
    mc.close();
    const ehloLookup = { MtaStageAuth: { require: { else: "key_get('slow', helo_domain) == 'yes'" } } };
    const t = await start({ config: ehloLookup, lookups, stageTimeout: 300 });
    const e = await greeted(t.submission);
    expect((await e.command('EHLO client.test')).code).toBe(451);
    // A reset while EHLO waits does not bring the server down either.
    e.write('EHLO client.test\r\n');
    e.reset();
    await new Promise((r) => setTimeout(r, 400));
    const again = await greeted(t.submission);
    again.close();
  });
});
