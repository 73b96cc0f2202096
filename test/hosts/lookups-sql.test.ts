/**
 * sql_query on PostgreSQL (a server of its own on a loopback port) and on an embedded
 * SQLite file: results mapped as SPEC §10 says, bound parameters only (a hostile value stays
 * a value), statement errors and timeouts as EvaluationError `lookup`, a server that is
 * down, directories kept in a table, and the settings' errors with their paths.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile, EvaluationError } from '../../src/language/index.js';
import { lookupSettings, SettingsError, sqlCell, StoreLookups } from '../../src/hosts/index.js';
import { startPostgres, type PostgresServer } from '../support/databases.js';
import { freePort } from '../support/servers.js';

let server: PostgresServer;
let dir: string;
beforeAll(async () => {
  server = await startPostgres();
  dir = mkdtempSync(join(tmpdir(), 'mta-expr-sql-'));
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  await admin.query(`CREATE TABLE addresses (address text PRIMARY KEY, quota bigint, active boolean, created timestamptz, meta jsonb, alias text)`);
  await admin.query(`INSERT INTO addresses VALUES ('jane@example.org', 5000000000, true, '2026-01-02T03:04:05Z', '{"a":1}', NULL), ('john@example.org', 10, false, NULL, NULL, 'j@example.org')`);
  await admin.query(`CREATE TABLE domains (name text PRIMARY KEY)`);
  await admin.query(`INSERT INTO domains VALUES ('example.org')`);
  await admin.end();
}, 60_000);
afterAll(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const run = (l: StoreLookups, expr: string, vars: object = {}): Promise<unknown> => compile(expr).evaluateAsync(vars, { lookups: l });

describe('sql_query on PostgreSQL', () => {
  const open = (extra: object = {}): StoreLookups =>
    new StoreLookups(
      lookupSettings({
        stores: { main: { type: 'postgresql', url: server.url, timeout: '500ms', ...extra } },
        directory: { domains: { store: 'main', query: 'SELECT 1 FROM domains WHERE name = $1' }, addresses: { store: 'main', query: 'SELECT 1 FROM addresses WHERE address = $1' } },
      }),
    );

  it('maps rows and cells to values: one value, a row, rows, no row, NULL, bigint, boolean, timestamp, JSON', async () => {
    const l = open();
    expect(await run(l, "sql_query('main', 'SELECT quota FROM addresses WHERE address = $1', rcpt)", { rcpt: 'jane@example.org' })).toBe(5_000_000_000);
    expect(await run(l, "sql_query('main', 'SELECT address, active, created, meta FROM addresses WHERE address = $1', [rcpt])", { rcpt: 'jane@example.org' })).toEqual([
      'jane@example.org',
      1,
      '2026-01-02T03:04:05.000Z',
      '{"a":1}',
    ]);
    expect(await run(l, "sql_query('main', 'SELECT address, quota FROM addresses ORDER BY address', [])")).toEqual([
      ['jane@example.org', 5_000_000_000],
      ['john@example.org', 10],
    ]);
    expect(await run(l, "sql_query('main', 'SELECT alias FROM addresses WHERE address = $1', 'jane@example.org')")).toBe('');
    expect(await run(l, "sql_query('main', 'SELECT alias FROM addresses WHERE address = $1', 'nobody@example.org')")).toBe('');
    expect(await run(l, "sql_query('main', 'SELECT $1::int + $2::int', [2, 3])")).toBe(5);
    expect(await run(l, "sql_query('main', 'SELECT 1.5::numeric', [])")).toBe(1.5);
    await l.close();
  });

  it('binds parameters: a hostile value is only a value', async () => {
    const l = open();
    const hostile = "x' OR '1'='1";
    expect(await run(l, "sql_query('main', 'SELECT count(*) FROM addresses WHERE address = $1', rcpt)", { rcpt: hostile })).toBe(0);
    expect(await run(l, "sql_query('main', 'SELECT $1::text', rcpt)", { rcpt: "'); DROP TABLE addresses; --" })).toBe("'); DROP TABLE addresses; --");
    expect(await run(l, "sql_query('main', 'SELECT count(*) FROM addresses', [])")).toBe(2);
    await l.close();
  });

  it('another statement gives the rows it changed', async () => {
    const l = open();
    expect(await run(l, "sql_query('main', 'UPDATE addresses SET quota = quota + 1 WHERE address = $1', 'john@example.org')")).toBe(1);
    expect(await run(l, "sql_query('main', 'UPDATE addresses SET quota = quota WHERE address = $1', 'nobody')")).toBe(0);
    expect(await run(l, "sql_query('main', 'SELECT quota FROM addresses WHERE address = $1', 'john@example.org')")).toBe(11);
    await l.close();
  });

  it('a bad statement, a slow one and a wrong store fail as EvaluationError `lookup` naming the function', async () => {
    const l = open();
    const syntax = await run(l, "sql_query('main', 'SELEC 1', [])").catch((e: unknown) => e);
    expect(syntax).toBeInstanceOf(EvaluationError);
    expect(syntax).toMatchObject({ code: 'lookup', functionName: 'sql_query', message: 'sql_query: store `main`: syntax error at or near "SELEC"' });
    const start = Date.now();
    const slow = await run(l, "sql_query('main', 'SELECT pg_sleep(5)', [])").catch((e: unknown) => e);
    expect(Date.now() - start).toBeLessThan(2_000);
    expect(slow).toMatchObject({ code: 'lookup', message: expect.stringMatching(/^sql_query: store `main`: .*(statement timeout|timeout)/) });
    expect(await run(l, "sql_query('main', 'SELECT 1', [])")).toBe(1);
    await expect(run(l, "sql_query('nosuch', 'SELECT 1', [])")).rejects.toMatchObject({ code: 'lookup', message: 'sql_query: unknown store `nosuch`' });
    await expect(run(l, "key_get('main', 'x')")).rejects.toMatchObject({ code: 'lookup', message: 'key_get: store `main` is an SQL store: key_get needs a key-value store (redis or memory)' });
    await l.close();
  });

  it('a table is a directory of local domains and addresses', async () => {
    const l = open();
    expect(await run(l, 'is_local_domain(rcpt_domain)', { rcpt_domain: 'EXAMPLE.org' })).toBe(1);
    expect(await run(l, 'is_local_domain(rcpt_domain)', { rcpt_domain: 'example.com' })).toBe(0);
    expect(await run(l, 'is_local_address(rcpt)', { rcpt: 'jane@example.org' })).toBe(1);
    expect(await run(l, 'is_local_address(rcpt)', { rcpt: 'nobody@example.org' })).toBe(0);
    await l.close();
  });

  it('a server that is not there fails the lookup within the connection timeout', async () => {
    const port = await freePort();
    const l = new StoreLookups(lookupSettings({ stores: { main: { type: 'postgresql', url: `postgresql://postgres@127.0.0.1:${port}/postgres`, connectTimeout: '500ms' } } }));
    const start = Date.now();
    const err = await run(l, "sql_query('main', 'SELECT 1', [])").catch((e: unknown) => e);
    expect(Date.now() - start).toBeLessThan(2_000);
    expect(err).toMatchObject({ code: 'lookup', message: expect.stringMatching(/^sql_query: store `main`: .*ECONNREFUSED/) });
    expect(l.status().find((s) => s.name === 'main')).toMatchObject({ ok: false, type: 'postgresql' });
    await l.close();
  });
});

describe('a store that accepts connections and never answers', () => {
  it('fails the lookup at the deadline, whatever the store settings say', async () => {
    const sockets: Socket[] = [];
    const blackHole = createServer((s) => sockets.push(s.on('error', () => undefined)));
    await new Promise<void>((r) => blackHole.listen(0, '127.0.0.1', r));
    const port = (blackHole.address() as { port: number }).port;
    const l = new StoreLookups(lookupSettings({ stores: { main: { type: 'postgresql', url: `postgresql://postgres@127.0.0.1:${port}/x`, connectTimeout: '30s', timeout: '30s' } } }), { deadline: 300 });
    try {
      const start = Date.now();
      const err = await run(l, "sql_query('main', 'SELECT 1', [])").catch((e: unknown) => e);
      expect(Date.now() - start).toBeLessThan(1500);
      expect(err).toMatchObject({ code: 'lookup', message: 'sql_query: store `main` did not answer within 300 ms' });
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => blackHole.close(r));
      await l.close();
    }
  });
});

describe('sql_query on an embedded SQLite database', () => {
  it('needs no server: creates, writes and reads with bound parameters', async () => {
    const file = join(dir, 'lookups.sqlite');
    const l = new StoreLookups(lookupSettings({ stores: { local: { type: 'sqlite', path: file } }, directory: { domains: { store: 'local', query: 'SELECT 1 FROM domains WHERE name = ?' } } }));
    expect(await run(l, "sql_query('local', 'CREATE TABLE domains (name TEXT PRIMARY KEY, weight REAL, data BLOB)', [])")).toBe(0);
    expect(await run(l, "sql_query('local', 'INSERT INTO domains VALUES (?, ?, ?), (?, ?, NULL)', ['example.org', 0.5, 'raw', 'example.net', 2])")).toBe(2);
    expect(await run(l, "sql_query('local', 'SELECT weight FROM domains WHERE name = ?', 'example.org')")).toBe(0.5);
    expect(await run(l, "sql_query('local', 'SELECT name, weight, data FROM domains ORDER BY name', [])")).toEqual([
      ['example.net', 2, ''],
      ['example.org', 0.5, 'raw'],
    ]);
    expect(await run(l, "sql_query('local', 'SELECT name FROM domains WHERE name = ?', rcpt_domain)", { rcpt_domain: "x' OR 1=1 --" })).toBe('');
    expect(await run(l, 'is_local_domain(rcpt_domain)', { rcpt_domain: 'example.net' })).toBe(1);
    expect(await run(l, 'is_local_domain(rcpt_domain)', { rcpt_domain: 'example.com' })).toBe(0);
    await expect(run(l, "sql_query('local', 'SELECT nope FROM domains', [])")).rejects.toMatchObject({ code: 'lookup', message: 'sql_query: store `local`: no such column: nope' });
    await l.close();
    // The file persists: another server opening it reads the same rows.
    const again = new StoreLookups(lookupSettings({ stores: { local: { type: 'sqlite', path: file, readonly: true } } }));
    expect(await run(again, "sql_query('local', 'SELECT count(*) FROM domains', [])")).toBe(2);
    await expect(run(again, "sql_query('local', 'DELETE FROM domains', [])")).rejects.toMatchObject({ code: 'lookup', message: expect.stringMatching(/readonly/) });
    await again.close();
  });

  it('a file that cannot be opened is a settings error naming the store', () => {
    expect(() => new StoreLookups(lookupSettings({ stores: { local: { type: 'sqlite', path: join(dir, 'missing', 'x.sqlite'), readonly: true } } }))).toThrow(/^stores\.local\.path: cannot open /);
  });
});

describe('store settings', () => {
  it('name the faulty setting', () => {
    const bad = (json: object): string => {
      try {
        lookupSettings(json);
      } catch (e) {
        expect(e).toBeInstanceOf(SettingsError);
        return (e as Error).message;
      }
      return 'accepted';
    };
    expect(bad({ stores: { main: { type: 'mysql' } } })).toBe('stores.main.type: must be one of redis, postgresql, sqlite, memory');
    expect(bad({ stores: { main: { type: 'postgresql' } } })).toBe('stores.main.url: is required');
    expect(bad({ stores: { main: { type: 'postgresql', url: 'mysql://x' } } })).toBe('stores.main.url: must be a postgresql:// URL');
    expect(bad({ stores: { main: { type: 'postgresql', url: 'postgresql://x', timout: '1s' } } })).toMatch(/^stores\.main\.timout: unknown setting \(expected type, url, timeout, connectTimeout, pool\)$/);
    expect(bad({ stores: { r: { type: 'redis', url: 'redis://x', counterExpiry: 'soon' } } })).toBe("stores.r.counterExpiry: must be a duration such as '500ms', '2s' or '1m', or 0");
    expect(bad({ stores: { r: { type: 'redis', url: 'http://x' } } })).toBe('stores.r.url: must be a redis:// or rediss:// URL');
    expect(bad({ stores: { m: { type: 'memory', entries: [] } } })).toBe('stores.m.entries: must be an object of keys and values');
    expect(bad({ directory: { domains: { store: 'nope', query: 'SELECT 1' } } })).toBe('directory.domains.store: no store `nope` in stores');
    expect(bad({ stores: { r: { type: 'redis', url: 'redis://x' } }, directory: { domains: { store: 'r', query: 'SELECT 1' } } })).toBe(
      'directory.domains.query: `r` is a Redis store: give the set that holds the names ("set")',
    );
    expect(bad({ directory: { addresses: [1] } })).toBe('directory.addresses: must be a list of names, or {store, query} or {store, set}');
    expect(bad({ directory: { domains: ['example.org'] } })).toBe('accepted');
  });

  it('cells of every kind become values the language holds', () => {
    expect([null, true, false, 12n, new Date('2026-01-01T00:00:00Z'), Buffer.from('hé'), { a: [1] }, [1, null, 'x'], 2.5].map(sqlCell)).toEqual([
      '',
      1,
      0,
      12,
      '2026-01-01T00:00:00.000Z',
      'hé',
      '{"a":[1]}',
      [1, '', 'x'],
      2.5,
    ]);
  });
});
