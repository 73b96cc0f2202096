/** The configuration schema, typed field evaluation, and the session policy API. */
import { describe, expect, it, vi } from 'vitest';
import { ConfigError, ConfigObject, type FieldError } from '../../src/hosts/config/object.js';
import { SessionPolicy, type ConnectionInfo } from '../../src/hosts/smtp/policy.js';
import { SCHEMA } from '../../src/hosts/config/schema.js';
import { serverConfig } from '../../src/hosts/cli/server-config.js';
import { CompileError, EvaluationError } from '../../src/language/index.js';
import { MemoryLookups } from '../../src/hosts/index.js';

const SUBMISSION: ConnectionInfo = { listener: 'submission', remote_ip: '192.0.2.7', remote_port: 40000, local_ip: '127.0.0.1', local_port: 587, is_tls: false };
const MX: ConnectionInfo = { ...SUBMISSION, listener: 'smtp', local_port: 25 };
const ENV = { system: { hostname: 'mx.example.org' } };

function policy(values: Record<string, Record<string, unknown>> = {}, onError?: (e: FieldError) => void) {
  const objects = {
    MtaStageAuth: new ConfigObject('MtaStageAuth', (values.MtaStageAuth ?? {}) as never),
    MtaStageConnect: new ConfigObject('MtaStageConnect', (values.MtaStageConnect ?? {}) as never),
  };
  return { objects, policy: new SessionPolicy(() => objects, { env: ENV, onError }) };
}

describe('schema', () => {
  it('describes both objects with every field of the reference', () => {
    expect(Object.keys(SCHEMA.MtaStageAuth!.fields)).toEqual(['maxFailures', 'waitOnFail', 'saslMechanisms', 'mustMatchSender', 'require']);
    expect(Object.keys(SCHEMA.MtaStageConnect!.fields)).toEqual(['smtpGreeting', 'hostname', 'script']);
  });

  it('compiles every default in its field context', () => {
    for (const name of Object.keys(SCHEMA)) expect(() => new ConfigObject(name)).not.toThrow();
  });

  it('refuses an unknown field and a block that does not compile, naming the field and position', () => {
    expect(() => new ConfigObject('MtaStageAuth', { maxFailure: { else: '3' } })).toThrow(ConfigError);
    let err: unknown;
    try {
      new ConfigObject('MtaStageAuth', { maxFailures: { match: [{ if: 'helo_domain ==', then: '1' }], else: '3' } });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const cause = (err as ConfigError).cause as CompileError;
    expect(cause).toBeInstanceOf(CompileError);
    expect(cause.part).toEqual({ kind: 'if', condition: 1 });
    expect(cause.column).toBe(15);
    expect(() => new ConfigObject('MtaStageConnect', { hostname: { else: 'helo_domain' } })).toThrow(/not available in this context \(MtaConnectionVariable\)/);
  });
});

describe('typed evaluation', () => {
  it('reads each field as its type', async () => {
    const auth = new ConfigObject('MtaStageAuth');
    const ehlo = { ...SUBMISSION, is_tls: true, helo_domain: 'client.test' };
    expect(await auth.evaluate('maxFailures', ehlo)).toBe(3);
    expect(await auth.evaluate('waitOnFail', ehlo)).toBe(5000);
    expect(await auth.evaluate('saslMechanisms', ehlo)).toEqual(['plain', 'login', 'oauthbearer', 'xoauth2']);
    expect(await auth.evaluate('saslMechanisms', { ...ehlo, local_port: 25 })).toEqual([]);
    expect(await auth.evaluate('require', ehlo)).toBe(true);
    const connect = new ConfigObject('MtaStageConnect');
    expect(await connect.evaluate('smtpGreeting', SUBMISSION, ENV)).toBe('mx.example.org Stalwart ESMTP at your service');
    expect(await connect.evaluate('script', SUBMISSION, ENV)).toBeNull();
  });

  it('reports a value of the wrong type and falls back to the default', async () => {
    const onError = vi.fn();
    const auth = new ConfigObject('MtaStageAuth', { waitOnFail: { else: "'soon'" }, maxFailures: { else: '[1]' } });
    expect(await auth.evaluate('waitOnFail', SUBMISSION, {}, onError)).toBe(5000);
    expect(await auth.evaluate('maxFailures', SUBMISSION, {}, onError)).toBe(3);
    expect(onError).toHaveBeenCalledWith({ object: 'MtaStageAuth', field: 'waitOnFail', cause: 'the value "soon" is not a duration' });
    expect(onError).toHaveBeenCalledTimes(2);
  });

  it('refuses a greeting or hostname with CR or LF', async () => {
    const onError = vi.fn();
    const connect = new ConfigObject('MtaStageConnect', { smtpGreeting: { else: "'hi\r\n250 fake'" }, hostname: { else: "'mx\nevil'" } });
    expect(await connect.evaluate('smtpGreeting', SUBMISSION, ENV, onError)).toBe('mx.example.org Stalwart ESMTP at your service');
    expect(await connect.evaluate('hostname', SUBMISSION, ENV, onError)).toBe('mx.example.org');
    expect(onError.mock.calls.map((c) => c[0].cause)).toEqual([
      'contains CR or LF, which would break the SMTP protocol',
      'contains CR or LF, which would break the SMTP protocol',
    ]);
  });

  it('reports a failed lookup with its cause and uses the default', async () => {
    const onError = vi.fn();
    const auth = new ConfigObject('MtaStageAuth', { maxFailures: { else: "sql_query('nodb', 'SELECT 1', [])" } });
    expect(await auth.evaluate('maxFailures', SUBMISSION, { lookups: new MemoryLookups() }, onError)).toBe(3);
    expect(onError.mock.calls[0]![0]).toMatchObject({ object: 'MtaStageAuth', field: 'maxFailures' });
    expect(String(onError.mock.calls[0]![0].cause)).toContain('sql_query');
  });

  it('reports an evaluation over the cost budget and uses the default', async () => {
    // Each match copies the capture into a value four times longer, then searches it again.
    const grow = ["matches('^(.*)$', remote_ip + remote_ip + remote_ip + remote_ip)", ...Array(5).fill("matches('^(.*)$', $1 + $1 + $1 + $1)")];
    const costly = [...grow, ...Array(24).fill("matches('^(.*)$', $1)")].join(' && ');
    const onError = vi.fn();
    const connect = new ConfigObject('MtaStageConnect', { smtpGreeting: { else: `if_then(${costly}, 'never', 'never')` } });
    expect(connect.program('smtpGreeting').cost).toBeGreaterThan(connect.program('smtpGreeting').costLimit);
    expect(await connect.evaluate('smtpGreeting', SUBMISSION, ENV, onError)).toBe('mx.example.org Stalwart ESMTP at your service');
    expect(onError).toHaveBeenCalledTimes(1);
    const { object, field, cause } = onError.mock.calls[0]![0] as FieldError;
    expect([object, field]).toEqual(['MtaStageConnect', 'smtpGreeting']);
    expect(cause).toBeInstanceOf(EvaluationError);
    expect((cause as EvaluationError).code).toBe('budget');
  });

  it('uses a lookup when the host provides it', async () => {
    const auth = new ConfigObject('MtaStageAuth', { maxFailures: { else: "key_get('limits', listener)" } });
    const lookups = new MemoryLookups({ stores: { limits: { submission: 5 } } });
    expect(await auth.evaluate('maxFailures', SUBMISSION, { lookups })).toBe(5);
  });
});

describe('session policy', () => {
  it('answers each stage from the connection variables', async () => {
    const { policy: p } = policy();
    const sub = p.session(SUBMISSION);
    const { values: connectValues, ...connect } = await sub.connect();
    expect(connect).toEqual({ greeting: 'mx.example.org Stalwart ESMTP at your service', hostname: 'mx.example.org', script: null, lookupFailures: [] });
    expect(connectValues).toEqual({ MtaStageConnect: { smtpGreeting: 'mx.example.org Stalwart ESMTP at your service', hostname: 'mx.example.org', script: null } });
    const { values: ehloValues, ...ehlo } = await sub.ehlo('client.test', false);
    expect(ehlo).toEqual({ mechanisms: ['OAUTHBEARER', 'XOAUTH2'], authRequired: true, maxFailures: 3, waitOnFail: 5000, lookupFailures: [] });
    expect(ehloValues).toEqual({ MtaStageAuth: { maxFailures: 3, waitOnFail: 5000, saslMechanisms: ['oauthbearer', 'xoauth2'], require: true } });
    expect((await sub.ehlo('client.test', true)).mechanisms).toEqual(['PLAIN', 'LOGIN', 'OAUTHBEARER', 'XOAUTH2']);
    const { values: mailValues, ...mail } = await sub.mail('jane@example.org', 'jane@example.org', true);
    expect(mail).toEqual({ mustMatchSender: true, lookupFailures: [] });
    expect(mailValues).toEqual({ MtaStageAuth: { mustMatchSender: true } });
    const mx = p.session(MX);
    expect(await mx.ehlo('client.test', true)).toMatchObject({ mechanisms: [], authRequired: false });
  });

  it('computes each stage once per stage, again only when its inputs change', async () => {
    const { objects, policy: p } = policy();
    const spy = vi.spyOn(objects.MtaStageAuth, 'evaluate');
    const s = p.session(SUBMISSION);
    await s.ehlo('client.test', false);
    await s.ehlo('client.test', false);
    await s.ehlo('client.test', false);
    expect(spy).toHaveBeenCalledTimes(4);
    await s.ehlo('client.test', true);
    expect(spy).toHaveBeenCalledTimes(8);
  });

  it('sees the variables of each stage', async () => {
    const { policy: p } = policy({
      MtaStageAuth: {
        saslMechanisms: { match: [{ if: "ends_with(helo_domain, '.trusted') && listener == 'submission'", then: '[plain]' }], else: 'false' },
        mustMatchSender: { else: "sender_domain != 'relay.example.org' && authenticated_as != 'relay'" },
      },
    });
    const s = p.session(SUBMISSION);
    expect((await s.ehlo('host.trusted', false)).mechanisms).toEqual(['PLAIN']);
    expect((await s.ehlo('host.other', false)).mechanisms).toEqual([]);
    expect((await s.mail('a@relay.example.org', 'jane', true)).mustMatchSender).toBe(false);
    expect((await s.mail('a@example.org', 'relay', true)).mustMatchSender).toBe(false);
    expect((await s.mail('a@example.org', 'jane', true)).mustMatchSender).toBe(true);
  });

  it('applies a changed configuration to new sessions', async () => {
    let objects = { MtaStageAuth: new ConfigObject('MtaStageAuth'), MtaStageConnect: new ConfigObject('MtaStageConnect') };
    const p = new SessionPolicy(() => objects, { env: ENV });
    const before = p.session(SUBMISSION);
    expect((await before.connect()).greeting).toContain('Stalwart');
    objects = { ...objects, MtaStageConnect: new ConfigObject('MtaStageConnect', { smtpGreeting: { else: "'changed'" } }) };
    expect((await p.session(SUBMISSION).connect()).greeting).toBe('changed');
    expect((await before.connect()).greeting).toContain('Stalwart');
  });
});

describe('server configuration file', () => {
  it('reads overrides and users, and names what is wrong', () => {
    const c = serverConfig({ MtaStageAuth: { maxFailures: { else: '5' } }, users: [{ username: 'u', password: 'p' }] });
    expect(c.objects.MtaStageAuth.block('maxFailures')).toEqual({ match: [], else: '5' });
    expect(c.users).toHaveLength(1);
    expect(() => serverConfig({ Bogus: {} })).toThrow(/unknown configuration key/);
    expect(() => serverConfig({ users: [{ username: 'u' }] })).toThrow(/users must be a list/);
    expect(() => serverConfig({ MtaStageConnect: { script: { else: '1 +' } } })).toThrow(/MtaStageConnect.script/);
  });
});
