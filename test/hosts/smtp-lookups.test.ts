/**
 * Lookups in a live SMTP session, with a real redis-server: a field that reads a store
 * works while the store answers; when the store is down, the stage that reads it answers
 * a temporary failure (421 greeting, 451 to EHLO or MAIL FROM), the error hook hears of it,
 * the server stays up, and when the store is back the sessions are served again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverConfig } from '../../src/hosts/cli/server-config.js';
import type { FieldError } from '../../src/hosts/config/object.js';
import { MemoryLookups } from '../../src/hosts/lookups/memory.js';
import { StoreLookups } from '../../src/hosts/lookups/stores.js';
import { SessionPolicy } from '../../src/hosts/smtp/policy.js';
import { PolicySmtpServer } from '../../src/hosts/smtp/server.js';
import { selfSignedCertificate } from '../../src/hosts/smtp/tls.js';
import { b64, SmtpClient } from '../support/smtp-client.js';
import { startRedis, type RedisServer } from '../support/databases.js';

let redis: RedisServer;
let tls: { key: string; cert: string };
beforeAll(async () => {
  [redis, tls] = await Promise.all([startRedis(), selfSignedCertificate('mx.test')]);
});
afterAll(async () => {
  await redis.stop();
});

async function start(config: Record<string, unknown>): Promise<{ port: number; errors: FieldError[]; stop: () => Promise<void>; lookups: StoreLookups }> {
  const parsed = serverConfig({ stores: { rate: { type: 'redis', url: redis.url, prefix: `t${Math.random()}:`, timeout: '300ms' } }, ...config });
  const lookups = new StoreLookups(parsed.lookups);
  await lookups.ready(2000);
  const errors: FieldError[] = [];
  const policy = new SessionPolicy(() => parsed.objects, { env: { system: { hostname: 'mx.test', domain: 'test' }, lookups }, onError: (e) => errors.push(e) });
  const server = new PolicySmtpServer({ policy, tls, users: [{ username: 'jane@example.org', password: 'secret' }], listeners: [{ name: 'submission', port: 0, presentPort: 587 }] });
  const ports = await server.start();
  return {
    port: ports.submission!,
    errors,
    lookups,
    stop: async () => {
      await server.stop();
      await lookups.close();
    },
  };
}

async function waitFor(check: () => Promise<boolean>, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('a store down in the middle of SMTP sessions', () => {
  it('the greeting that counts connections is a 421 while Redis is down, and counts again when it is back', async () => {
    const s = await start({ MtaStageConnect: { smtpGreeting: { match: [{ if: "counter_incr('rate', 'conn:' + remote_ip, 1) > 2", then: "'mx.test busy'" }], else: "'mx.test ready'" } } });
    try {
      const greet = async (): Promise<{ code: number; lines: string[] }> => {
        const c = await SmtpClient.open(s.port);
        const r = await c.read();
        await c.command('QUIT').catch(() => undefined);
        return r;
      };
      expect(await greet()).toMatchObject({ code: 220, lines: ['mx.test ready'] });
      expect(await greet()).toMatchObject({ code: 220, lines: ['mx.test ready'] });
      expect(await greet()).toMatchObject({ code: 220, lines: ['mx.test busy'] });
      await redis.kill();
      const c = await SmtpClient.open(s.port);
      const refused = await c.read();
      expect(refused).toMatchObject({ code: 421, lines: ['mx.test Temporary failure: a lookup did not answer, try again later'] });
      expect(refused.ms).toBeLessThan(2000);
      await waitFor(async () => c.closed);
      expect(s.errors.at(-1)).toMatchObject({ object: 'MtaStageConnect', field: 'smtpGreeting', cause: { code: 'lookup', functionName: 'counter_incr' } });
      expect(s.lookups.status().find((x) => x.name === 'rate')).toMatchObject({ ok: false });
      await redis.restart();
      await waitFor(async () => (await greet()).code === 220);
      expect(await greet()).toMatchObject({ code: 220, lines: [expect.stringMatching(/^mx\.test (ready|busy)$/)] });
    } finally {
      await s.stop();
    }
  }, 20_000);

  it('EHLO is a 451 when the AUTH requirement cannot be looked up; the greeting still works', async () => {
    const s = await start({ MtaStageAuth: { require: { else: "key_exists('rate', 'open-relay:' + remote_ip) == 0" } } });
    try {
      let c = await SmtpClient.open(s.port);
      expect((await c.read()).code).toBe(220);
      expect((await c.command('EHLO client.test')).code).toBe(250);
      await c.command('QUIT');
      await redis.kill();
      c = await SmtpClient.open(s.port);
      expect(await c.read()).toMatchObject({ code: 220, lines: ['mx.test Stalwart ESMTP at your service'] });
      const ehlo = await c.command('EHLO client.test');
      expect(ehlo.code).toBe(451);
      expect(ehlo.lines[0]).toMatch(/Temporary failure: a lookup did not answer, try again later$/);
      expect(s.errors.at(-1)).toMatchObject({ object: 'MtaStageAuth', field: 'require', cause: { code: 'lookup', functionName: 'key_exists' } });
      expect((await c.command('QUIT')).code).toBe(221);
    } finally {
      await redis.restart();
      await s.stop();
    }
  }, 20_000);

  it('MAIL FROM is a 451 when the sender check cannot be looked up', async () => {
    const s = await start({ MtaStageAuth: { mustMatchSender: { else: "key_exists('rate', 'free-sender:' + authenticated_as) == 0" } } });
    try {
      const c = await SmtpClient.open(s.port);
      expect((await c.read()).code).toBe(220);
      await c.command('EHLO client.test');
      expect((await c.startTls()).code).toBe(220);
      await c.command('EHLO client.test');
      expect((await c.command(`AUTH PLAIN ${b64('\0jane@example.org\0secret')}`)).code).toBe(235);
      await redis.kill();
      const mail = await c.command('MAIL FROM:<jane@example.org>');
      expect(mail.code).toBe(451);
      expect(mail.lines[0]).toMatch(/Temporary failure: a lookup did not answer, try again later$/);
      expect(s.errors.at(-1)).toMatchObject({ object: 'MtaStageAuth', field: 'mustMatchSender', cause: { code: 'lookup' } });
      expect((await c.command('QUIT')).code).toBe(221);
    } finally {
      await redis.restart();
      await s.stop();
    }
  }, 20_000);
});

describe('the session policy and lookup failures', () => {
  it('lists a failed lookup in the stage answers; a value of the wrong type is no lookup failure', async () => {
    const parsed = serverConfig({
      MtaStageAuth: { maxFailures: { else: "sql_query('nodb', 'SELECT 1', [])" }, waitOnFail: { else: "'soon'" } },
    });
    const errors: FieldError[] = [];
    const policy = new SessionPolicy(() => parsed.objects, { env: { lookups: new MemoryLookups() }, onError: (e) => errors.push(e) });
    const ehlo = await policy.session({ listener: 'submission', remote_ip: '192.0.2.1', remote_port: 1, local_ip: '127.0.0.1', local_port: 587, is_tls: false }).ehlo('client.test', false);
    expect(ehlo.maxFailures).toBe(3);
    expect(ehlo.waitOnFail).toBe(5000);
    expect(ehlo.lookupFailures).toHaveLength(1);
    expect(ehlo.lookupFailures[0]).toMatchObject({ object: 'MtaStageAuth', field: 'maxFailures', cause: { code: 'lookup', functionName: 'sql_query' } });
    expect(errors.map((e) => e.field).sort()).toEqual(['maxFailures', 'waitOnFail']);
  });
});
