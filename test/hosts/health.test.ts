/**
 * The health endpoint of the API server (no token), the server configuration file's lookup
 * sections (zero-setup defaults, faults named by their path), and `mta-expr smtp` with a
 * store that is down (421 to each session, the store and the failing field logged once).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compile } from '../../src/language/index.js';
import { createApiServer, FileStore, LiveConfig, serverConfig, StoreLookups, TokenTable, type BackendStatus } from '../../src/hosts/index.js';
import { CLI, runCli } from '../support/cli.js';
import { ROOT } from '../support/helpers.js';
import { freePort } from '../support/servers.js';
import { SmtpClient } from '../support/smtp-client.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('GET /health', () => {
  it('tells the state and each store, without a token; degraded when a store is unreachable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mta-expr-health-'));
    dirs.push(dir);
    const live = await LiveConfig.open(new FileStore(dir));
    let stores: BackendStatus[] = [{ name: 'rate', type: 'redis', ok: true, since: '2026-01-01T00:00:00.000Z' }];
    const api = createApiServer({ live, tokens: new TokenTable([]), stores: () => stores });
    await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(api.address() as { port: number }).port}/health`;
    try {
      const ok = await fetch(url);
      expect(ok.status).toBe(200);
      expect(ok.headers.get('content-type')).toBe('application/json');
      expect(await ok.json()).toEqual({ status: 'ok', states: { MtaStageAuth: '0', MtaStageConnect: '0', PostfixPolicy: '0' }, configStore: { ok: true, since: expect.any(String), store: dir }, stores });
      stores = [{ name: 'rate', type: 'redis', ok: false, since: '2026-01-01T00:00:01.000Z', error: 'connect ECONNREFUSED 127.0.0.1:6379' }];
      expect(await (await fetch(url)).json()).toMatchObject({ status: 'degraded', stores });
      const post = await fetch(url, { method: 'POST' });
      expect(post.status).toBe(405);
      expect(post.headers.get('allow')).toBe('GET');
      // The API itself still wants a token.
      expect((await fetch(url.replace('/health', '/api'), { method: 'POST', body: '{}' })).status).toBe(401);
    } finally {
      await new Promise((r) => api.close(r));
    }
  });
});

describe('the lookup sections of the server configuration file', () => {
  it('default to zero setup: the default store in memory, empty directories, the system resolver', async () => {
    const config = serverConfig({});
    expect(config.lookups).toEqual({ stores: {}, directory: {}, dns: {} });
    const lookups = new StoreLookups(config.lookups);
    const run = (e: string): Promise<unknown> => compile(e).evaluateAsync({}, { lookups });
    expect(await run("key_set('', 'k', 'v')")).toBe(1);
    expect(await run("key_get('', 'k')")).toBe('v');
    expect(await run("counter_incr('', 'c', 2) + counter_incr('', 'c', 3)")).toBe(7);
    expect(await run("is_local_domain('example.org')")).toBe(0);
    expect(lookups.dns.servers().length).toBeGreaterThan(0);
    expect(lookups.status().map((s) => s.name)).toEqual(['dns']);
    await lookups.close();
  });

  it('static lists and memory stores', async () => {
    const config = serverConfig({
      stores: { trusted: { type: 'memory', entries: { 'example.org': 'yes' }, counterExpiry: '1m' } },
      directory: { domains: ['Example.org'], addresses: ['jane@example.org'] },
    });
    const lookups = new StoreLookups(config.lookups);
    const run = (e: string): Promise<unknown> => compile(e).evaluateAsync({}, { lookups });
    expect(await run("key_get('trusted', 'example.org')")).toBe('yes');
    expect(await run("is_local_domain('EXAMPLE.ORG') && is_local_address('Jane@Example.org') && !is_local_address('john@example.org')")).toBe(1);
    await lookups.close();
  });

  it('a fault is a configuration error naming its path, and the CLI prints it in one line, exit 1', () => {
    expect(() => serverConfig({ stores: { rate: { type: 'redis' } } })).toThrow('config.stores.rate.url: is required');
    expect(() => serverConfig({ dns: { servers: 'x' } })).toThrow('config.dns.servers: must be a list of non-empty strings');
    expect(() => serverConfig({ configStore: { type: 'postgresql', url: 'postgresql://x', name: '' } })).toThrow('config.configStore.name: must be a non-empty string');
    const dir = mkdtempSync(join(tmpdir(), 'mta-expr-health-'));
    dirs.push(dir);
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ stores: { rate: { type: 'redis', url: 'redis://127.0.0.1:1', timeout: 'soon' } } }));
    const r = runCli(['smtp', '--config', file, '--smtp-port', '0', '--submission-port', '0']);
    expect(r).toMatchObject({ code: 1, out: '' });
    expect(r.err).toBe("error: config.stores.rate.timeout: must be a duration such as '500ms', '2s' or '1m'\n");
  });

  it('serve needs --data or a configStore, not both', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mta-expr-health-'));
    dirs.push(dir);
    const file = join(dir, 'cluster.json');
    writeFileSync(file, JSON.stringify({ configStore: { type: 'postgresql', url: 'postgresql://127.0.0.1:1/x' } }));
    const none = runCli(['serve', '--listen', '127.0.0.1:0']);
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/^error: serve needs --data DIR \(where the configuration is kept\), or a configStore in --config\n/);
    const both = runCli(['serve', '--data', dir, '--config', file, '--listen', '127.0.0.1:0']);
    expect(both.code).toBe(2);
    expect(both.err).toMatch(/^error: --data and the configStore of --config both say where the configuration is kept: give one\n/);
    const unreachable = runCli(['serve', '--config', file, '--listen', '127.0.0.1:0'], { env: { ...process.env, MTA_EXPR_ADMIN_TOKEN: 'health-admin-token' } });
    expect(unreachable.code).toBe(1);
    expect(unreachable.err).toMatch(/^error: cannot open the configuration in postgresql:\/\/127\.0\.0\.1:1\/x table mta_expr_config: .*ECONNREFUSED/m);
  });
});

describe('mta-expr smtp with a store that is down', () => {
  it('answers 421 to every session and logs the store once and the failing field once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mta-expr-health-'));
    dirs.push(dir);
    const file = join(dir, 'down.json');
    const port = await freePort();
    writeFileSync(
      file,
      JSON.stringify({ stores: { rate: { type: 'redis', url: `redis://127.0.0.1:${port}` } }, MtaStageConnect: { smtpGreeting: { else: "'hello #' + counter_incr('rate', remote_ip, 1)" } } }),
    );
    const child = spawn(process.execPath, [CLI, 'smtp', '--config', file, '--hostname', 'mx.down.test', '--smtp-port', '0', '--submission-port', '0'], { cwd: ROOT });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    try {
      const started = Date.now();
      while (!/smtp on 127\.0\.0\.1:(\d+)/.test(out) && Date.now() - started < 15_000) await new Promise((r) => setTimeout(r, 20));
      const smtp = Number(/smtp on 127\.0\.0\.1:(\d+)/.exec(out)![1]);
      for (let i = 0; i < 3; i++) {
        const c = await SmtpClient.open(smtp);
        expect(await c.read()).toMatchObject({ code: 421, lines: ['mx.down.test Temporary failure: a lookup did not answer, try again later'] });
        c.close();
      }
      const lines = err.trim().split('\n');
      expect(lines.filter((l) => l.startsWith('lookups: store rate (redis) unreachable: connect ECONNREFUSED'))).toHaveLength(1);
      expect(lines.filter((l) => l.startsWith('policy: MtaStageConnect.smtpGreeting: counter_incr: store `rate`: '))).toHaveLength(1);
    } finally {
      await new Promise((resolve) => {
        child.once('exit', resolve);
        child.kill('SIGTERM');
      });
    }
  });
});
