/**
 * The management API under hostile input and load, on loopback with real clients (fetch,
 * raw sockets for slow and lying clients, the CLI): request and response sizes, connection
 * limits and timeouts, unknown keys in blocks, internal errors, two servers on one data
 * directory. Each case is bounded: short timeouts are configured where a case waits for one.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closeApiServer, createApiServer, DEFAULT_HTTP_LIMITS, type ApiServerOptions } from '../../src/hosts/api/http.js';
import { PERMISSIONS, TokenTable } from '../../src/hosts/api/tokens.js';
import { serverConfig } from '../../src/hosts/cli/server-config.js';
import { LiveConfig } from '../../src/hosts/config/live.js';
import { ConfigError } from '../../src/hosts/config/object.js';
import { MemoryStore, type ConfigStore } from '../../src/hosts/config/store.js';
import { runCliAsync } from '../support/cli.js';
import { ADMIN_TOKEN, serve, USING } from '../support/serve.js';

const TOKEN = 'hostile-admin-0123456789';
const execFileAsync = promisify(execFile);
const HAS_CURL = spawnSync('curl', ['--version'], { timeout: 5000 }).status === 0;

interface Api {
  server: Server;
  port: number;
  url: string;
  live: LiveConfig;
  lines: string[];
}

const running: Api[] = [];

async function start(options: Partial<ApiServerOptions> = {}, store: ConfigStore = new MemoryStore()): Promise<Api> {
  const live = await LiveConfig.open(store);
  const lines: string[] = [];
  const server = createApiServer({ live, tokens: new TokenTable([{ token: TOKEN, permissions: PERMISSIONS, name: 'admin' }]), log: (l) => lines.push(l), ...options }) as Server;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  const api = { server, port, url: `http://127.0.0.1:${port}`, live, lines };
  running.push(api);
  return api;
}

afterEach(async () => {
  for (const api of running.splice(0)) {
    api.server.closeAllConnections();
    await closeApiServer(api.server);
    await api.live.close();
  }
});

async function post(api: Api, body: unknown, using = USING): Promise<{ status: number; text: string; json: any }> {
  const res = await fetch(`${api.url}/api`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify(typeof body === 'object' && body !== null && 'methodCalls' in body ? body : { using, methodCalls: body }),
  });
  const text = await res.text();
  return { status: res.status, text, json: JSON.parse(text) };
}

/** A raw connection: what the server sent, and when it closed the connection (ms after the start). */
interface Raw {
  socket: Socket;
  received: () => string;
  closed: Promise<number>;
}

function raw(port: number, localAddress = '127.0.0.1'): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    let data = '';
    const socket = connect({ port, host: '127.0.0.1', localAddress });
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => (data += d));
    const closed = new Promise<number>((r) => socket.on('close', () => r(Date.now() - t0)));
    socket.on('error', () => undefined); // a reset is one way of being closed
    socket.once('connect', () => resolve({ socket, received: () => data, closed }));
    socket.once('error', reject);
  });
}

/** Writes `text` one byte every `ms` until the socket closes (the slowloris client). */
function dribble(r: Raw, text: string, ms: number): void {
  let i = 0;
  const timer = setInterval(() => {
    if (r.socket.destroyed || i >= text.length) return clearInterval(timer);
    r.socket.write(text[i++]!);
  }, ms);
  void r.closed.then(() => clearInterval(timer));
}

const within = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms))]);

/** A block of `n` conditions each `size` characters long (a large stored field). */
const largeBlock = (n: number, size: number) => ({
  match: Array.from({ length: n }, (_, i) => ({ if: `local_port == ${i} && helo_domain == '${'x'.repeat(size)}'`, then: String(i) })),
  else: '3',
});

describe('request and response sizes', () => {
  it('advertises maxCallsInRequest and refuses a request over it before any call runs', async () => {
    const api = await start({ limits: { maxCallsInRequest: 4 } });
    const session = await (await fetch(`${api.url}/jmap/session`, { headers: { Authorization: `Bearer ${TOKEN}` } })).json();
    expect(session.capabilities['urn:ietf:params:jmap:core'].maxCallsInRequest).toBe(4);
    const set = ['x:MtaStageAuth/set', { update: { singleton: { maxFailures: { else: '9' } } } }, 's'];
    const r = await post(api, [set, ...Array.from({ length: 4 }, (_, i) => ['x:MtaStageAuth/get', {}, `g${i}`])]);
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ type: 'urn:ietf:params:jmap:error:limit', limit: 'maxCallsInRequest' });
    expect(api.live.stateOf('MtaStageAuth')).toBe('0');
  });

  it('answers reads past the response limit with requestTooLarge, not with their data', async () => {
    const api = await start({ limits: { maxSizeResponse: 400_000 } });
    const stored = await post(api, [['x:MtaStageAuth/set', { update: { singleton: { maxFailures: largeBlock(50, 2000) } } }, 's']]);
    expect(stored.json.methodResponses[0][1].updated).toEqual({ singleton: null });
    // 16 reads of a 100 KB field from a request of 1 KB.
    const r = await post(api, Array.from({ length: 16 }, (_, i) => ['x:MtaStageAuth/get', { properties: ['maxFailures'] }, `g${i}`]));
    expect(r.status).toBe(200);
    expect(Buffer.byteLength(r.text)).toBeLessThan(400_000 + 4096);
    const kinds = r.json.methodResponses.map((m: any) => m[0]);
    expect(kinds.slice(0, 3)).toEqual(['x:MtaStageAuth/get', 'x:MtaStageAuth/get', 'x:MtaStageAuth/get']);
    expect(kinds.slice(4)).toEqual(Array(12).fill('error'));
    expect(r.json.methodResponses[15][1]).toMatchObject({ type: 'requestTooLarge', description: expect.stringContaining('maxSizeResponse (400000 bytes)') });
  });

  it('keeps the outcome of a /set whose answer passes the response limit, without its text', async () => {
    const api = await start({ limits: { maxSizeResponse: 300 } });
    const r = await post(api, [['x:MtaStageAuth/set', { update: { singleton: { maxFailures: { else: `1 + ${'('.repeat(60)}` } } } }, 's']]);
    const [name, result] = r.json.methodResponses[0];
    expect(name).toBe('x:MtaStageAuth/set');
    expect(result.notUpdated.singleton).toEqual({ type: 'invalidProperties', properties: ['maxFailures'], description: expect.stringContaining('left out') });
  });

  it('refuses with 413 a body whose Content-Length passes maxSizeRequest, and closes the connection without reading it', async () => {
    const api = await start({ limits: { maxSizeRequest: 64 * 1024 } });
    for (const auth of [`Authorization: Bearer ${TOKEN}\r\n`, '']) {
      const r = await raw(api.port);
      r.socket.write(`POST /api HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n{"using": [`);
      const ms = await within(r.closed, 3000, 'the connection closed');
      expect(r.received()).toMatch(/^HTTP\/1\.1 413 /);
      expect(r.received()).toContain('"limit":"maxSizeRequest"');
      expect(ms).toBeLessThan(3000);
    }
  });

  it('refuses with 413 a chunked body as soon as the bytes read pass maxSizeRequest', async () => {
    const api = await start({ limits: { maxSizeRequest: 64 * 1024 } });
    const r = await raw(api.port);
    r.socket.write(`POST /api HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`);
    const chunk = 'x'.repeat(16 * 1024);
    // Five chunks (80 KiB), then the client would go on for ever: the answer comes after the fifth.
    for (let i = 0; i < 5; i++) r.socket.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
    await within(r.closed, 3000, 'the connection closed');
    expect(r.received()).toMatch(/^HTTP\/1\.1 413 /);
  });

  it.skipIf(!HAS_CURL)('curl sees the 413 of an oversized upload', async () => {
    const api = await start({ limits: { maxSizeRequest: 1024 } });
    const file = join(mkdtempSync(join(tmpdir(), 'mta-expr-hostile-')), 'big.json');
    writeFileSync(file, 'x'.repeat(4 * 1024 * 1024));
    // -v: what curl saw. It announces the length and waits for 100 Continue, which never comes.
    const out = await execFileAsync('curl', ['-sv', '-o', '/dev/null', '-w', '%{http_code}', '-X', 'POST', `${api.url}/api`, '-H', `Authorization: Bearer ${TOKEN}`, '-H', 'Content-Type: application/json', '--data-binary', `@${file}`], {
      encoding: 'utf8',
      timeout: 10_000,
    });
    expect(out.stderr).toContain('Expect: 100-continue');
    expect(out.stderr).not.toContain('HTTP/1.1 100 Continue');
    expect(out.stdout).toBe('413');
  });
});

describe('connections and timeouts', () => {
  it('defaults to 10 s for the headers, 30 s for the request, 5 s of keep-alive', async () => {
    const api = await start();
    expect([api.server.headersTimeout, api.server.requestTimeout, api.server.keepAliveTimeout]).toEqual([10_000, 30_000, 5_000]);
    expect(DEFAULT_HTTP_LIMITS).toMatchObject({ headersTimeout: 10_000, requestTimeout: 30_000, keepAliveTimeout: 5_000 });
  });

  it('holds against a slowloris client: its connections are limited per address, each closed at the headers timeout, and others are served meanwhile', async () => {
    const api = await start({ connections: { headersTimeout: 600, requestTimeout: 1200, maxConnectionsPerAddress: 4, maxConnections: 16 } });
    // The attacker, from another loopback address, opens 8 connections and sends its headers a byte every 100 ms.
    const slow = await Promise.all(Array.from({ length: 8 }, () => raw(api.port, '127.0.0.2')));
    for (const r of slow) dribble(r, 'GET /health HTTP/1.1\r\nHost: x\r\nX-Padding: ' + 'a'.repeat(200), 100);
    const started = Date.now();
    const health = await fetch(`${api.url}/health`);
    expect(health.status).toBe(200);
    const servedAt = Date.now() - started;
    const closedAt = await within(Promise.all(slow.map((r) => r.closed)), 4000, 'every slow connection closed');
    // Four were refused at once; the four it was allowed were closed after about the headers timeout,
    // and another client was served while they were held.
    const sorted = [...closedAt].sort((a, b) => a - b);
    expect(sorted.slice(0, 4).every((ms) => ms < 400)).toBe(true);
    expect(sorted.slice(4).every((ms) => ms >= 500 && ms < 2500)).toBe(true);
    expect(servedAt).toBeLessThan(sorted[4]!);
    expect(slow.every((r) => !r.received().startsWith('HTTP/1.1 200'))).toBe(true);
  });

  it('closes a connection whose body does not arrive within the request timeout (408)', async () => {
    const api = await start({ connections: { headersTimeout: 500, requestTimeout: 1000 } });
    const r = await raw(api.port);
    r.socket.write(`POST /api HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n`);
    dribble(r, 'x'.repeat(100), 200);
    const ms = await within(r.closed, 4000, 'the slow request closed');
    expect(ms).toBeGreaterThanOrEqual(900);
    expect(r.received()).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('closes an idle keep-alive connection after keepAliveTimeout, and refuses connections past maxConnections', async () => {
    const api = await start({ connections: { keepAliveTimeout: 300, maxConnections: 2 } });
    const r = await raw(api.port);
    r.socket.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
    const ms = await within(r.closed, 3000, 'the idle connection closed');
    expect(r.received()).toMatch(/^HTTP\/1\.1 200 /);
    expect(ms).toBeLessThan(2000);
    const held = await Promise.all([raw(api.port), raw(api.port)]);
    const third = await raw(api.port);
    await within(third.closed, 1000, 'the connection past the limit closed');
    expect(third.received()).toBe('');
    for (const h of held) h.socket.destroy();
  });

  it('takes the connection limits and timeouts from the api section of the configuration file, and refuses bad ones with their path', () => {
    const config = serverConfig({ api: { headersTimeout: '2s', requestTimeout: '5s', maxConnections: 10, maxSizeResponse: 1000 } });
    expect(config.api).toEqual({ connections: { headersTimeout: 2000, requestTimeout: 5000, maxConnections: 10 }, limits: { maxSizeResponse: 1000 } });
    expect(() => serverConfig({ api: { headersTimeout: 'soon' } })).toThrow(/api\.headersTimeout: must be a duration/);
    expect(() => serverConfig({ api: { maxConections: 3 } })).toThrow(/api\.maxConections: unknown setting/);
    expect(() => serverConfig({ api: { headersTimeout: '1m' } })).toThrow(/headersTimeout \(60000 ms\) must not be longer than requestTimeout/);
  });
});

describe('unknown keys in blocks', () => {
  const junk = 'j'.repeat(500 * 1024);
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['inside a condition', { maxFailures: { match: [{ if: 'is_tls', then: '5', junk }], else: '3' } }, 'match/0/junk'],
    ['inside a condition of the index-keyed form', { maxFailures: { match: { '0': { if: 'is_tls', then: '5', junk } }, else: '3' } }, 'match/0/junk'],
    ['beside match and else', { maxFailures: { match: [], else: '3', junk } }, '`junk`'],
    ['in a condition set at a path', { 'maxFailures/match/0': { if: 'is_tls', then: '5', junk } }, 'match/0/junk'],
  ];

  it.each(cases)('refuses one %s with invalidProperties naming the path, and stores nothing', async (_, patch, path) => {
    const api = await start();
    const r = await post(api, [['x:MtaStageAuth/set', { update: { singleton: patch } }, 's']]);
    const result = r.json.methodResponses[0][1];
    expect(result.notUpdated.singleton).toMatchObject({ type: 'invalidProperties', properties: ['maxFailures'] });
    expect(result.notUpdated.singleton.description).toContain(path);
    expect(r.text.length).toBeLessThan(2000); // the junk is not echoed
    expect(api.live.stateOf('MtaStageAuth')).toBe('0');
  });

  it('the configuration file loader and `apply` refuse the same block the same way', async () => {
    const block = { match: [{ if: 'is_tls', then: '5', junk: 1 }], else: '3' };
    expect(() => serverConfig({ MtaStageAuth: { maxFailures: block } })).toThrow(ConfigError);
    expect(() => serverConfig({ MtaStageAuth: { maxFailures: block } })).toThrow(/MtaStageAuth\.maxFailures: unknown key `match\/0\/junk`/);
    const api = await start();
    const file = join(mkdtempSync(join(tmpdir(), 'mta-expr-hostile-')), 'snapshot.json');
    writeFileSync(file, JSON.stringify({ MtaStageAuth: { maxFailures: block } }));
    const r = await runCliAsync(['apply', file, '--dry-run', '--url', api.url, '--token', TOKEN]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('MtaStageAuth.maxFailures: unknown key `match/0/junk`');
  });
});

describe('internal errors', () => {
  const failing = (): ConfigStore => {
    const store = new MemoryStore();
    store.commit = () => Promise.reject(Object.assign(new Error("ENOSPC: no space left on device, write '/srv/mta/data/.config.json.4242.1.tmp'"), { code: 'ENOSPC' }));
    return store;
  };

  it.each([
    ['a request', USING],
    ['an atomic request', [...USING, 'urn:mta-expr:jmap:atomic']],
  ])('%s whose commit fails gets serverFail with a request id; the detail is in the log line of that id', async (_, using) => {
    const api = await start({}, failing());
    const r = await post(api, [['x:MtaStageAuth/set', { update: { singleton: { maxFailures: { else: '9' } } } }, 's']], using);
    expect(r.status).toBe(200);
    const [name, error] = r.json.methodResponses[0];
    expect(name).toBe('error');
    expect(error.type).toBe('serverFail');
    expect(r.text).not.toMatch(/ENOSPC|\/srv\/mta|\.tmp|at .*\.js/);
    const id = /request ([0-9a-f-]{36})/.exec(error.description)?.[1];
    expect(id).toBeDefined();
    expect(api.lines).toHaveLength(1);
    expect(api.lines[0]).toContain(`api: request ${id}: `);
    expect(api.lines[0]).toContain('ENOSPC: no space left on device');
  });

  it('a failure outside the methods is a 500 with only the request id', async () => {
    const api = await start({
      stores: () => {
        throw new Error('cannot stat /etc/mta/secret.key');
      },
    });
    const res = await fetch(`${api.url}/health`);
    const text = await res.text();
    expect(res.status).toBe(500);
    expect(text).not.toContain('/etc/mta');
    const { requestId } = JSON.parse(text);
    expect(api.lines.join('')).toContain(`api: request ${requestId}: GET /health: cannot stat /etc/mta/secret.key`);
  });
});

describe('two servers on one data directory', () => {
  let data: string;
  beforeAll(() => {
    data = mkdtempSync(join(tmpdir(), 'mta-expr-hostile-data-'));
  });

  it('the second is refused with a clear error; after the first is killed, a new one starts and removes its temporary files', async () => {
    const first = await serve([], { data });
    try {
      const second = await runCliAsync(['serve', '--data', data, '--listen', '127.0.0.1:0'], { env: { ...process.env, MTA_EXPR_ADMIN_TOKEN: ADMIN_TOKEN } });
      expect(second.code).toBe(1);
      expect(second.err).toMatch(new RegExp(`^error: cannot open the configuration in ${data}: ${data} is in use by another mta-expr serve \\(process ${first.child.pid}, since `));
      expect(second.err.trim().split('\n')).toHaveLength(1);
    } finally {
      first.child.kill('SIGKILL');
      await new Promise((r) => first.child.once('exit', r));
    }
    // What a writer killed in the middle of a write leaves.
    writeFileSync(join(data, `.config.json.${first.child.pid}.7.tmp`), '{"commit": 9, "sta');
    const third = await serve([], { data });
    try {
      const res = await fetch(`${third.url}/api`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${ADMIN_TOKEN}` },
        body: JSON.stringify({ using: USING, methodCalls: [['x:MtaStageAuth/set', { update: { singleton: { maxFailures: { else: '4' } } } }, 's']] }),
      });
      expect((await res.json()).methodResponses[0][1].updated).toEqual({ singleton: null });
      expect(readdirSync(data).sort()).toEqual(['config.json', 'history.jsonl', 'lock']);
    } finally {
      expect(await third.stop()).toBe(0);
    }
    expect(readdirSync(data).sort()).toEqual(['config.json', 'history.jsonl']);
  });

  it('serve takes its limits from the configuration file, and a flag over the file', async () => {
    const s = await serve(['--max-size-request', '300'], { config: { api: { maxSizeRequest: 100000, maxCallsInRequest: 1 } } });
    try {
      const session = await (await fetch(`${s.url}/jmap/session`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } })).json();
      expect(session.capabilities['urn:ietf:params:jmap:core']).toMatchObject({ maxSizeRequest: 300, maxCallsInRequest: 1 });
    } finally {
      await s.stop();
    }
  });
});

describe('the compile worker', () => {
  const bad = { match: [{ if: 'local_prot != 25', then: '5' }], else: '3' };
  const warned = { match: [{ if: 'local_port == 25', then: "'false'" }], else: 'true' };

  it('runs in a thread of its own in the built package, and finds what the calling thread finds', async () => {
    const { Validator } = await import('../../dist/hosts/config/validate.js');
    const { SCHEMA } = await import('../../dist/hosts/config/schema.js');
    const threaded = new Validator(SCHEMA);
    const inline = new Validator(SCHEMA, { inline: true });
    try {
      expect([threaded.onCallingThread, inline.onCallingThread]).toEqual([false, true]);
      for (const [overrides, fields] of [[{ maxFailures: bad }, ['maxFailures']], [{ require: warned }, ['require']], [{}, ['maxFailures']]] as const) {
        const [a, b] = await Promise.all([threaded.validate('MtaStageAuth', overrides, fields), inline.validate('MtaStageAuth', overrides, fields)]);
        expect(a).toEqual(b);
      }
      expect(await threaded.validate('MtaStageAuth', { maxFailures: bad }, ['maxFailures'])).toMatchObject({ ok: false, properties: ['maxFailures'], description: expect.stringContaining('did you mean `local_port`') });
      expect(await threaded.validate('MtaStageAuth', { require: warned }, ['require'])).toMatchObject({ ok: true, warnings: { require: [expect.objectContaining({ code: 'result-type' })] } });
    } finally {
      await threaded.close();
    }
  });

  it('a /set validated off the thread is compiled when first evaluated, and evaluates as one compiled at once', async () => {
    const api = await start();
    await post(api, [['x:MtaStageAuth/set', { update: { singleton: { maxFailures: { match: [{ if: 'local_port == 587', then: '9' }], else: '4' } } } }, 's']]);
    const auth = api.live.object('MtaStageAuth');
    expect(await auth.evaluate('maxFailures', { local_port: 587 })).toBe(9);
    expect(await auth.evaluate('maxFailures', { local_port: 25 })).toBe(4);
  });
});
