/**
 * The policy service's protocol on loopback with raw sockets: persistent connections,
 * requests split anywhere and sent together, many concurrent clients, malformed requests
 * (a log line and DEFER_IF_PERMIT, the connection goes on), the variables each attribute
 * becomes, and the configuration sources behind it (a file reloaded on change that keeps
 * the last good version; serve's API followed, its last good state kept).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiServer } from '../../src/hosts/api/http.js';
import { RemoteConfigSource } from '../../src/hosts/api/remote-config.js';
import { PERMISSIONS, TokenTable } from '../../src/hosts/api/tokens.js';
import { buildObjects, LiveConfig } from '../../src/hosts/config/live.js';
import { FileConfigSource, StaticSource, type ConfigSource } from '../../src/hosts/config/source.js';
import { MemoryStore } from '../../src/hosts/config/store.js';
import { isPostfixAction, LIMITS } from '../../src/hosts/postfix/protocol.js';
import { parseSenderLogins } from '../../src/hosts/postfix/sender-logins.js';
import { attributesToConnection, PostfixPolicyService, TEMPORARY } from '../../src/hosts/postfix/service.js';

const BASE = {
  request: 'smtpd_access_policy',
  protocol_state: 'RCPT',
  protocol_name: 'ESMTP',
  client_address: '192.0.2.7',
  client_port: '40000',
  client_name: 'client.example',
  helo_name: 'client.example',
  sender: 'jane@example.org',
  recipient: 'bob@example.net',
  server_address: '127.0.0.1',
  server_port: '25',
};
const request = (attrs: Record<string, string> = {}): string =>
  Object.entries({ ...BASE, ...attrs })
    .map(([k, v]) => `${k}=${v}\n`)
    .join('') + '\n';

/** A client that reads one answer (`action=…` and an empty line) at a time. */
class Client {
  private buffer = '';
  private waiters: Array<() => void> = [];
  closed = false;
  private constructor(readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      this.buffer += d;
      this.waiters.splice(0).forEach((w) => w());
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiters.splice(0).forEach((w) => w());
    });
  }
  static async open(port: number): Promise<Client> {
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    return new Client(socket);
  }
  async answer(): Promise<string> {
    for (;;) {
      const end = this.buffer.indexOf('\n\n');
      if (end >= 0) {
        const line = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 2);
        return line;
      }
      if (this.closed) throw new Error('closed before an answer');
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }
  async ask(text: string): Promise<string> {
    this.socket.write(text);
    return this.answer();
  }
}

const RULES = {
  PostfixPolicy: { action: { match: [{ if: "rcpt_domain == 'blocked.example'", then: "'REJECT 5.7.1 ' + rcpt + ' is blocked for ' + remote_ip" }, { if: "rcpt == 'fail@example.net'", then: "key_get('x', rcpt)" }, { if: "rcpt == 'junk@example.net'", then: "'HELLO there'" }], else: 'false' } },
};

async function service(source: ConfigSource, extra: Partial<ConstructorParameters<typeof PostfixPolicyService>[0]> = {}) {
  const log: string[] = [];
  const s = new PostfixPolicyService({ source, host: '127.0.0.1', port: 0, log: (l) => log.push(l), senderLogins: new Map([['jane@example.org', ['j.doe@example.org']]]), ...extra });
  const { port } = await s.start();
  return { s, port, log };
}

describe('the policy service protocol', () => {
  let svc: Awaited<ReturnType<typeof service>>;
  beforeAll(async () => {
    svc = await service(new StaticSource(buildObjects(RULES)));
  });
  afterAll(() => svc.s.stop());

  it('answers many requests on one persistent connection, in order', async () => {
    const c = await Client.open(svc.port);
    expect(await c.ask(request())).toBe('action=DUNNO');
    expect(await c.ask(request({ recipient: 'x@blocked.example' }))).toBe('action=REJECT 5.7.1 x@blocked.example is blocked for 192.0.2.7');
    // Two requests at once, split mid-line across writes: two answers in order.
    const both = request({ recipient: 'a@blocked.example' }) + request();
    c.socket.write(both.slice(0, 17));
    c.socket.write(both.slice(17, 200));
    c.socket.write(both.slice(200));
    expect(await c.answer()).toBe('action=REJECT 5.7.1 a@blocked.example is blocked for 192.0.2.7');
    expect(await c.answer()).toBe('action=DUNNO');
    c.socket.destroy();
  });

  it('serves many concurrent clients', async () => {
    const clients = await Promise.all(Array.from({ length: 40 }, () => Client.open(svc.port)));
    const answers = await Promise.all(clients.map(async (c, i) => {
      const out: string[] = [];
      for (let j = 0; j < 10; j++) out.push(await c.ask(request({ recipient: `u${i}-${j}@${j % 2 ? 'blocked.example' : 'example.net'}` })));
      c.socket.destroy();
      return out;
    }));
    answers.forEach((out, i) => out.forEach((a, j) => expect(a).toBe(j % 2 ? `action=REJECT 5.7.1 u${i}-${j}@blocked.example is blocked for 192.0.2.7` : 'action=DUNNO')));
  });

  it('answers a malformed request DEFER_IF_PERMIT with a log line, and goes on with the next', async () => {
    const c = await Client.open(svc.port);
    const cases: Array<[string, RegExp]> = [
      ['request=smtpd_access_policy\nno equals sign here\n\n', /malformed request: the line "no equals sign here" has no '='/],
      ['request=smtpd_access_policy\n=value\n\n', /has no attribute name/],
      ['request=smtpd_access_policy\nsender=a@b\nsender=c@d\n\n', /the attribute sender is given twice/],
      ['sender=a@b\n\n', /no request attribute/],
      ['request=junk\n\n', /request=junk is not smtpd_access_policy/],
      [`request=smtpd_access_policy\nsender=${'x'.repeat(LIMITS.maxLineBytes + 10)}\n\n`, /a line is longer than 8192 bytes/],
      [`request=smtpd_access_policy\n${Array.from({ length: LIMITS.maxAttributes + 1 }, (_, i) => `a${i}=1\n`).join('')}\n`, /more than 256 attributes/],
      ['request=smtpd_access_policy\nsender=\xff\xfe\x00\n\n', /./],
    ];
    for (const [text, why] of cases) {
      svc.log.length = 0;
      const answer = await c.ask(text);
      if (why.source === '.') {
        expect(answer).toBe('action=DUNNO'); // bytes that are not UTF-8 are values like any other
        continue;
      }
      expect(answer).toBe(`action=${TEMPORARY}`);
      expect(svc.log.join('\n')).toMatch(why);
    }
    expect(await c.ask(request())).toBe('action=DUNNO');
    c.socket.destroy();
  });

  it('answers a temporary failure when an expression fails or gives no Postfix action', async () => {
    const c = await Client.open(svc.port);
    svc.log.length = 0;
    expect(await c.ask(request({ recipient: 'fail@example.net' }))).toBe(`action=${TEMPORARY}`);
    expect(svc.log.join('\n')).toMatch(/rcpt stage: PostfixPolicy\.action: key_get/);
    expect(await c.ask(request({ recipient: 'junk@example.net' }))).toBe(`action=${TEMPORARY}`);
    expect(svc.log.join('\n')).toMatch(/PostfixPolicy\.action gave "HELLO there", which is not a Postfix action/);
    c.socket.destroy();
  });

  it('applies require, the SASL mechanism and mustMatchSender with the reference’s replies', async () => {
    const c = await Client.open(svc.port);
    const sub = { server_port: '587' };
    expect(await c.ask(request({ ...sub, protocol_state: 'CONNECT', sender: '', recipient: '' }))).toBe('action=DUNNO');
    expect(await c.ask(request(sub))).toBe('action=503 5.5.1 You must authenticate first.');
    expect(await c.ask(request({ ...sub, sasl_username: 'jane@example.org', sasl_method: 'PLAIN' }))).toBe('action=554 5.7.8 Authentication mechanism not supported.');
    const tls = { ...sub, sasl_username: 'jane@example.org', sasl_method: 'PLAIN', encryption_protocol: 'TLSv1.3' };
    expect(await c.ask(request(tls))).toBe('action=DUNNO');
    expect(await c.ask(request({ ...tls, sender: 'ceo@example.org' }))).toBe('action=501 5.5.4 You are not allowed to send from this address.');
    expect(await c.ask(request({ ...tls, sender: 'J.Doe@Example.org' }))).toBe('action=DUNNO');
    c.socket.destroy();
  });

  it('survives clients that vanish mid-request', async () => {
    for (let i = 0; i < 5; i++) {
      const c = await Client.open(svc.port);
      c.socket.write('request=smtpd_access_policy\nsender=a');
      c.socket.destroy();
    }
    const c = await Client.open(svc.port);
    expect(await c.ask(request())).toBe('action=DUNNO');
    c.socket.destroy();
  });
});

describe('request attributes as variables', () => {
  it('maps client, server, TLS and the listener (policy_context, then the --listener table)', () => {
    const a = new Map(Object.entries({ ...BASE, server_port: '2587', encryption_protocol: 'TLSv1.3' }));
    expect(attributesToConnection(a, new Map([[2587, { name: 'submission', port: 587 }]]))).toEqual({
      listener: 'submission',
      remote_ip: '192.0.2.7',
      remote_port: 40000,
      local_ip: '127.0.0.1',
      local_port: 587,
      is_tls: true,
    });
    expect(attributesToConnection(new Map([...a, ['policy_context', 'relay']])).listener).toBe('relay');
    expect(attributesToConnection(new Map(Object.entries(BASE)))).toMatchObject({ listener: 'smtp', local_port: 25, is_tls: false });
  });

  it('knows a Postfix action from what is not one', () => {
    for (const ok of ['DUNNO', 'OK', 'REJECT', 'REJECT 5.7.1 no', 'defer_if_permit later', '450 4.7.1 try later', 'PREPEND X-Tag: 1', 'reject_unknown_sender_domain', 'permit']) expect(isPostfixAction(ok), ok).toBe(true);
    for (const bad of ['', 'HELLO', '250 ok', '550', 'PREPEND', 'reject_unknown_sender_domain now']) expect(isPostfixAction(bad), bad).toBe(false);
  });

  it('reads the source format of smtpd_sender_login_maps, with the line of a fault', () => {
    const map = parseSenderLogins('# comment\nj.doe@example.org jane@example.org,\n  Bob@example.org\n@sales.example.org jane@example.org\n', 'f');
    expect(map).toEqual(new Map([['jane@example.org', ['j.doe@example.org', '@sales.example.org']], ['bob@example.org', ['j.doe@example.org']]]));
    expect(() => parseSenderLogins('ok@example.org jane\nbroken\n', 'sender_login')).toThrow('sender_login:2: expected `address owner[, owner…]`, not `broken`');
  });
});

describe('configuration sources', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mta-expr-sources-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a file is read again when it changes; a broken version keeps the last good one, said once', async () => {
    const file = join(dir, 'policy.json');
    writeFileSync(file, JSON.stringify({ PostfixPolicy: { action: { else: "'REJECT 5.7.1 one'" } } }));
    const errors: string[] = [];
    const source = await FileConfigSource.open(file, { onError: (m) => errors.push(m) });
    const { s, port } = await service(source);
    try {
      const c = await Client.open(port);
      expect(await c.ask(request())).toBe('action=REJECT 5.7.1 one');
      writeFileSync(file, JSON.stringify({ PostfixPolicy: { action: { else: "'REJECT 5.7.1 two, longer'" } } }));
      expect(await c.ask(request({ instance: 'next-session' }))).toBe('action=REJECT 5.7.1 two, longer');
      writeFileSync(file, JSON.stringify({ PostfixPolicy: { action: { else: "'REJECT' +" } } }));
      expect(await c.ask(request({ instance: 'third' }))).toBe('action=REJECT 5.7.1 two, longer');
      expect(await c.ask(request({ instance: 'fourth' }))).toBe('action=REJECT 5.7.1 two, longer');
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(/^PostfixPolicy\.action: error\[syntax\]: .*\n.*'REJECT' \+\n.*\^ \(the previous configuration stays in force\)$/s);
      c.socket.destroy();
    } finally {
      await s.stop();
    }
    await expect(FileConfigSource.open(join(dir, 'missing.json'))).rejects.toThrow(/cannot read/);
    writeFileSync(join(dir, 'bad.json'), '{"Nope": {}}');
    await expect(FileConfigSource.open(join(dir, 'bad.json'))).rejects.toThrow(/config\.Nope: unknown configuration key/);
  });

  it('one Postfix session keeps the configuration it started with', async () => {
    const file = join(dir, 'session.json');
    writeFileSync(file, JSON.stringify({ PostfixPolicy: { action: { else: "'DUNNO'" } } }));
    const { s, port } = await service(await FileConfigSource.open(file));
    try {
      const c = await Client.open(port);
      expect(await c.ask(request({ instance: 'a1' }))).toBe('action=DUNNO');
      writeFileSync(file, JSON.stringify({ PostfixPolicy: { action: { else: "'REJECT 5.7.1 changed'" } } }));
      expect(await c.ask(request({ instance: 'a1' }))).toBe('action=DUNNO');
      expect(await c.ask(request({ instance: 'a2' }))).toBe('action=REJECT 5.7.1 changed');
      c.socket.destroy();
    } finally {
      await s.stop();
    }
  });

  it('serve’s API is followed; unreachable, its last good state stays and the outage is said once', async () => {
    const live = await LiveConfig.open(new MemoryStore());
    const token = 'remote-source-token';
    const api = createApiServer({ live, tokens: new TokenTable([{ token, permissions: PERMISSIONS }]) });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
    const events: string[] = [];
    const remote = new RemoteConfigSource({ url, token }, { maxAge: 0, onError: (m) => events.push(`error: ${m}`), onLoad: (m) => events.push(`load: ${m}`) });
    const refused: string[] = [];
    expect(await new RemoteConfigSource({ url, token: 'wrong-token-123' }, { onError: (m) => refused.push(m) }).current()).toBeNull();
    expect(refused).toEqual([`${url}/jmap/session: 401 Unauthorized: Unknown token (check --token or $MTA_EXPR_TOKEN) (no configuration yet)`]);
    expect((await remote.current())?.PostfixPolicy?.isDefault('action')).toBe(true);
    await live.update('PostfixPolicy', { action: { match: [], else: "'REJECT 5.7.1 remote'" } });
    expect((await remote.current())?.PostfixPolicy?.block('action')).toEqual({ match: [], else: "'REJECT 5.7.1 remote'" });
    // Each object has its own state: a change of any of them is seen, whichever comes first in the schema.
    await live.update('MtaStageConnect', { smtpGreeting: { match: [], else: "'remote greeting'" } });
    expect((await remote.current())?.MtaStageConnect?.block('smtpGreeting')).toEqual({ match: [], else: "'remote greeting'" });
    expect(remote.states).toEqual({ MtaStageAuth: '0', MtaStageConnect: '1', PostfixPolicy: '1' });
    await new Promise<void>((resolve) => api.close(() => resolve()));
    for (let i = 0; i < 3; i++) expect((await remote.current())?.PostfixPolicy?.block('action')).toEqual({ match: [], else: "'REJECT 5.7.1 remote'" });
    expect(events).toEqual([
      `load: configuration from ${url}/api (states MtaStageAuth 0, MtaStageConnect 0, PostfixPolicy 0)`,
      `load: configuration from ${url}/api (states MtaStageAuth 0, MtaStageConnect 0, PostfixPolicy 1)`,
      `load: configuration from ${url}/api (states MtaStageAuth 0, MtaStageConnect 1, PostfixPolicy 1)`,
      `error: cannot reach ${url}/api: connection refused (is \`mta-expr serve\` running there?) (the configuration of states MtaStageAuth 0, MtaStageConnect 1, PostfixPolicy 1 stays in force)`,
    ]);
  });
});
