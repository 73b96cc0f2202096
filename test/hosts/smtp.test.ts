/**
 * End to end on loopback: the SMTP server applying the session policy, driven by a raw
 * socket client (exact reply lines, timings, disconnects, STARTTLS) and by nodemailer.
 */
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverConfig } from '../../src/hosts/cli/server-config.js';
import { SessionPolicy } from '../../src/hosts/smtp/policy.js';
import { PolicySmtpServer, type ReceivedMessage, type SmtpUser } from '../../src/hosts/smtp/server.js';
import { selfSignedCertificate } from '../../src/hosts/smtp/tls.js';
import { b64, SmtpClient } from '../support/smtp-client.js';

const USERS: SmtpUser[] = [{ username: 'jane@example.org', password: 'secret', addresses: ['j.doe@example.org'], tokens: ['t0k3n'] }];
const GREETING = 'mx.test Stalwart ESMTP at your service';
let tls: { key: string; cert: string };

async function startServer(config: Record<string, unknown> = {}): Promise<{ server: PolicySmtpServer; smtp: number; submission: number; messages: ReceivedMessage[] }> {
  const messages: ReceivedMessage[] = [];
  const parsed = serverConfig(config);
  const policy = new SessionPolicy(() => parsed.objects, { env: { system: { hostname: 'mx.test', domain: 'test' } } });
  const server = new PolicySmtpServer({
    policy,
    tls,
    users: USERS,
    listeners: [
      { name: 'smtp', port: 0, presentPort: 25 },
      { name: 'submission', port: 0, presentPort: 587 },
    ],
    onMessage: (m) => void messages.push(m),
  });
  const ports = await server.start();
  return { server, smtp: ports.smtp!, submission: ports.submission!, messages };
}

async function session(port: number, tlsFirst = false): Promise<SmtpClient> {
  const c = await SmtpClient.open(port);
  expect(await c.read()).toMatchObject({ code: 220, lines: [GREETING] });
  if (tlsFirst) {
    await c.command('EHLO client.test');
    expect((await c.startTls()).code).toBe(220);
  }
  return c;
}

const authLine = (lines: string[]): string | undefined => lines.find((l) => l.startsWith('AUTH'));
const FAST = { MtaStageAuth: { waitOnFail: { else: '100ms' } } };

beforeAll(async () => {
  tls = await selfSignedCertificate('mx.test');
});

describe('SMTP server with the default policy', () => {
  let s: Awaited<ReturnType<typeof startServer>>;
  beforeAll(async () => {
    s = await startServer(FAST);
  });
  afterAll(() => s.server.stop());

  it('greets with the evaluated greeting on both listeners', async () => {
    for (const port of [s.smtp, s.submission]) {
      const c = await SmtpClient.open(port);
      expect(await c.read()).toEqual({ code: 220, lines: [GREETING], ms: expect.any(Number) });
      expect((await c.command('QUIT')).code).toBe(221);
      c.close();
    }
  });

  it('offers no AUTH on the port-25 listener, before or after STARTTLS', async () => {
    const c = await session(s.smtp);
    const ehlo = await c.command('EHLO client.test');
    expect(ehlo.code).toBe(250);
    expect(ehlo.lines[0]).toBe('mx.test Nice to meet you, [127.0.0.1]');
    expect(ehlo.lines).toContain('STARTTLS');
    expect(authLine(ehlo.lines)).toBeUndefined();
    await c.startTls();
    const secure = await c.command('EHLO client.test');
    expect(authLine(secure.lines)).toBeUndefined();
    c.close();
  });

  it('offers OAUTHBEARER and XOAUTH2 on submission before STARTTLS, and all four after', async () => {
    const c = await session(s.submission);
    expect(authLine((await c.command('EHLO client.test')).lines)).toBe('AUTH OAUTHBEARER XOAUTH2');
    await c.startTls();
    expect(authLine((await c.command('EHLO client.test')).lines)).toBe('AUTH PLAIN LOGIN OAUTHBEARER XOAUTH2');
    c.close();
  });

  it('requires authentication on submission but not on the port-25 listener', async () => {
    const sub = await session(s.submission, true);
    await sub.command('EHLO client.test');
    const refused = await sub.command('MAIL FROM:<jane@example.org>');
    expect(refused.code).toBe(530);
    sub.close();
    const mx = await session(s.smtp);
    await mx.command('EHLO client.test');
    expect((await mx.command('MAIL FROM:<anyone@example.net>')).code).toBe(250);
    expect((await mx.command('RCPT TO:<jane@example.org>')).code).toBe(250);
    mx.close();
  });

  it('applies the EHLO stage to HELO too', async () => {
    const sub = await session(s.submission);
    expect((await sub.command('HELO client.test')).code).toBe(250);
    expect((await sub.command('MAIL FROM:<jane@example.org>')).code).toBe(530);
    sub.close();
    const mx = await session(s.smtp);
    expect((await mx.command('HELO client.test')).code).toBe(250);
    expect((await mx.command('MAIL FROM:<anyone@example.net>')).code).toBe(250);
    mx.close();
  });

  it('refuses AUTH with a mechanism that is not offered, and a second AUTH after success', async () => {
    const c = await session(s.submission);
    await c.command('EHLO client.test');
    expect((await c.command(`AUTH PLAIN ${b64('\0jane@example.org\0secret')}`)).code).toBe(504);
    expect((await c.command(`AUTH OAUTHBEARER ${b64('n,a=jane@example.org,\x01auth=Bearer t0k3n\x01\x01')}`)).code).toBe(235);
    expect((await c.command(`AUTH OAUTHBEARER ${b64('n,a=jane@example.org,\x01auth=Bearer t0k3n\x01\x01')}`)).code).toBe(503);
    c.close();
  });

  it('accepts AUTH PLAIN over TLS and checks the sender against the user', async () => {
    const c = await session(s.submission, true);
    await c.command('EHLO client.test');
    expect((await c.command(`AUTH PLAIN ${b64('\0jane@example.org\0secret')}`)).code).toBe(235);
    const mismatch = await c.command('MAIL FROM:<bob@example.org>');
    expect(mismatch.code).toBe(550);
    expect(mismatch.lines[0]).toContain('does not match the authenticated user');
    expect((await c.command('MAIL FROM:<j.doe@example.org>')).code).toBe(250);
    c.close();
  });

  it('accepts OAUTHBEARER (before STARTTLS) and XOAUTH2 with a valid token', async () => {
    const c = await session(s.submission);
    await c.command('EHLO client.test');
    const ok = await c.command(`AUTH OAUTHBEARER ${b64('n,a=jane@example.org,\x01auth=Bearer t0k3n\x01\x01')}`);
    expect(ok.code).toBe(235);
    expect((await c.command('MAIL FROM:<jane@example.org>')).code).toBe(250);
    c.close();
    const x = await session(s.submission);
    await x.command('EHLO client.test');
    expect((await x.command(`AUTH XOAUTH2 ${b64('user=jane@example.org\x01auth=Bearer t0k3n\x01\x01')}`)).code).toBe(235);
    x.close();
  });

  it('answers OAUTHBEARER in two steps and refuses a wrong token', async () => {
    const c = await session(s.submission);
    await c.command('EHLO client.test');
    expect((await c.command('AUTH OAUTHBEARER')).code).toBe(334);
    const bad = await c.command(b64('n,a=jane@example.org,\x01auth=Bearer wrong\x01\x01'));
    expect(bad.code).toBe(535);
    c.close();
  });

  it('waits waitOnFail after each failure and disconnects with 421 after maxFailures', async () => {
    const c = await session(s.submission, true);
    await c.command('EHLO client.test');
    const first = await c.command(`AUTH PLAIN ${b64('\0jane@example.org\0wrong')}`);
    expect(first.code).toBe(535);
    expect(first.ms).toBeGreaterThanOrEqual(95);
    const second = await c.command(`AUTH LOGIN ${b64('jane@example.org')}`);
    expect(second.code).toBe(334);
    const secondDone = await c.command(b64('wrong'));
    expect(secondDone.code).toBe(535);
    expect(secondDone.ms).toBeGreaterThanOrEqual(95);
    const third = await c.command(`AUTH PLAIN ${b64('\0jane@example.org\0still-wrong')}`);
    expect(third.code).toBe(421);
    expect(await c.closedByServer()).toBe(true);
  });

  it('delivers a message from nodemailer after AUTH PLAIN over STARTTLS', async () => {
    const transport = nodemailer.createTransport({
      host: '127.0.0.1',
      port: s.submission,
      secure: false,
      requireTLS: true,
      tls: { rejectUnauthorized: false },
      auth: { user: 'jane@example.org', pass: 'secret' },
      authMethod: 'PLAIN',
    });
    const info = await transport.sendMail({ from: 'jane@example.org', to: 'bob@example.net', subject: 'Hello', text: 'Hello over submission' });
    expect(info.accepted).toEqual(['bob@example.net']);
    const received = s.messages.at(-1)!;
    expect(received).toMatchObject({ listener: 'submission', from: 'jane@example.org', to: ['bob@example.net'], user: 'jane@example.org' });
    expect(received.data.toString()).toContain('Hello over submission');
    transport.close();
  });
});

describe('SMTP server with a configured policy', () => {
  it('offers only PLAIN, and only over TLS, when saslMechanisms says so', async () => {
    const s = await startServer({ MtaStageAuth: { saslMechanisms: { match: [{ if: 'is_tls', then: '[plain]' }], else: 'false' } } });
    try {
      const c = await session(s.submission);
      expect(authLine((await c.command('EHLO client.test')).lines)).toBeUndefined();
      expect((await c.command(`AUTH OAUTHBEARER ${b64('n,a=jane@example.org,\x01auth=Bearer t0k3n\x01\x01')}`)).code).toBe(504);
      await c.startTls();
      expect(authLine((await c.command('EHLO client.test')).lines)).toBe('AUTH PLAIN');
      expect((await c.command(`AUTH LOGIN ${b64('jane@example.org')}`)).code).toBe(504);
      c.close();
    } finally {
      await s.server.stop();
    }
  });

  it('sends the configured greeting and keeps the default when the greeting would break the protocol', async () => {
    const s = await startServer({ MtaStageConnect: { smtpGreeting: { match: [{ if: 'local_port == 25', then: "'MX ready'" }], else: "'hello\r\n250 injected'" } } });
    try {
      const mx = await SmtpClient.open(s.smtp);
      expect((await mx.read()).lines).toEqual(['MX ready']);
      mx.close();
      const sub = await SmtpClient.open(s.submission);
      expect((await sub.read()).lines).toEqual([GREETING]);
      sub.close();
    } finally {
      await s.server.stop();
    }
  });

  it('waits the default five seconds after a failed AUTH', async () => {
    const s = await startServer();
    try {
      const c = await session(s.submission, true);
      await c.command('EHLO client.test');
      const failed = await c.command(`AUTH PLAIN ${b64('\0jane@example.org\0wrong')}`);
      expect(failed.code).toBe(535);
      expect(failed.ms).toBeGreaterThanOrEqual(4950);
      c.close();
    } finally {
      await s.server.stop();
    }
  });
});
