/**
 * `simulate`, `test` and `replay` on what `smtp` and `serve` run on: the lookups of the
 * server configuration file (a real Redis, opened by the servers' own code), so a store that
 * is down answers 421 and 451 in a simulation exactly as `mta-expr smtp` answers a real
 * client; and, for a file that names a configStore, the configuration the cluster shares in
 * a real PostgreSQL.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configStoreSettings, LiveConfig, PostgresConfigStore } from '../../src/hosts/index.js';
import { runCli } from '../support/cli.js';
import { startPostgres, startRedis, type PostgresServer, type RedisServer } from '../support/databases.js';
import { startCli } from '../support/servers.js';
import { SmtpClient } from '../support/smtp-client.js';

const dir = mkdtempSync(join(tmpdir(), 'mta-expr-tools-backends-'));
const write = (name: string, json: unknown): string => {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(json));
  return file;
};

let redis: RedisServer;
let postgres: PostgresServer;
/** The greeting reads the store (connect stage). */
let greetingFile: string;
/** Only AUTH's `require` reads it (EHLO stage). */
let ehloFile: string;
/** The greeting's objects only: the stores come from --backends. */
let snapshotFile: string;

beforeAll(async () => {
  [redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
  const stores = { greet: { type: 'redis', url: redis.url, prefix: 'tools:', timeout: '300ms', connectTimeout: '300ms' } };
  const greeting = { smtpGreeting: { match: [], else: "system('hostname') + ' ' + key_get('greet', 'banner')" } };
  greetingFile = write('greeting.json', { stores, MtaStageConnect: greeting });
  ehloFile = write('ehlo.json', { stores, MtaStageAuth: { require: { match: [], else: "key_exists('greet', 'auth:' + helo_domain)" } } });
  snapshotFile = write('snapshot.json', { MtaStageConnect: greeting });
  const client = new Redis(redis.url);
  await client.set('tools:banner', 'from redis');
  await client.quit();
}, 60_000);

afterAll(async () => {
  await redis?.stop();
  await postgres?.stop();
});

/** The replies of a piped session through `simulate --json`, and its stderr. */
function simulate(args: string[], lines: string[]): { replies: string[][]; err: string } {
  const r = runCli(['simulate', '--json', '--hostname', 'mx.test', ...args], { input: lines.join('\n') + '\n' });
  expect(r.code, r.err).toBe(0);
  const replies = r.out
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { reply: { lines: string[] } | null }).reply?.lines ?? []);
  return { replies, err: r.err };
}

/** The replies `mta-expr smtp` gives a real client on loopback for the same configuration. */
async function smtpReplies(config: string, lines: string[]): Promise<string[][]> {
  const smtp = startCli(['smtp', '--smtp-port', '0', '--submission-port', '0', '--hostname', 'mx.test', '--config', config]);
  try {
    const port = Number((await smtp.waitFor(/smtp on 127\.0\.0\.1:(\d+) /))[1]);
    const client = await SmtpClient.open(port);
    const out: string[][] = [];
    try {
      const greeting = await client.read();
      out.push(greeting.lines.map((l, i) => `${greeting.code}${i < greeting.lines.length - 1 ? '-' : ' '}${l}`));
      if (greeting.code >= 400) return out;
      for (const line of lines) {
        const r = await client.command(line);
        out.push(r.lines.map((l, i) => `${r.code}${i < r.lines.length - 1 ? '-' : ' '}${l}`));
      }
    } finally {
      client.close();
    }
    return out;
  } finally {
    await smtp.stop();
  }
}

describe('the tools on the backends of the server configuration file', () => {
  it('simulate, test and replay read the Redis store of the file, or of --backends', () => {
    expect(simulate(['--config', greetingFile], ['QUIT']).replies).toEqual([['220 mx.test from redis'], ['221 Bye']]);
    // The objects of a snapshot file, the stores of --backends.
    expect(simulate(['--config', snapshotFile, '--backends', greetingFile], ['QUIT']).replies[0]).toEqual(['220 mx.test from redis']);

    const cases = write('greeting.test.json', {
      config: 'snapshot.json',
      hostname: 'mx.test',
      cases: [
        { name: 'the banner from the store', vars: {}, expect: { 'MtaStageConnect.smtpGreeting': 'mx.test from redis' } },
        { name: 'greeted with it', connection: { remote_ip: '192.0.2.1', local_port: 25 }, session: [{ send: 'NOOP', reply: 250 }], expect: { 'MtaStageConnect.smtpGreeting': 'mx.test from redis' } },
      ],
    });
    const tested = runCli(['test', cases, '--backends', greetingFile]);
    expect(tested.out).toContain('2 passed, 0 failed');
    expect(tested.code, tested.out).toBe(0);
    // Without the backends there is no store `greet` (key_get gives nothing): the cases fail.
    const without = runCli(['test', cases]);
    expect(without.code).toBe(1);
    expect(without.out).toContain('0 passed, 2 failed');

    const replayed = runCli(['replay', 'examples/sessions.jsonl', '--config', greetingFile, '--backends', greetingFile, '--hostname', 'mx.test', '--json']);
    expect(replayed.code, replayed.err).toBe(0);
    const report = JSON.parse(replayed.out) as { fields: Array<{ object: string; field: string; changes: Array<{ candidate: unknown }> }> };
    const greetingChange = report.fields.find((f) => f.object === 'MtaStageConnect' && f.field === 'smtpGreeting');
    expect(greetingChange?.changes.map((c) => c.candidate)).toEqual(['mx.test from redis']);
  });

  it('with the store down, simulate answers 421 and 451 as mta-expr smtp does, and says the store is down', async () => {
    await redis.kill();
    try {
      const greeting = simulate(['--config', greetingFile], ['EHLO client.test']);
      expect(greeting.replies).toEqual([['421 mx.test Temporary failure: a lookup did not answer, try again later']]);
      expect(greeting.err).toMatch(/^lookups: store greet \(redis\) unreachable: .*; its lookups fail with a temporary error$/m);
      expect(await smtpReplies(greetingFile, ['EHLO client.test'])).toEqual(greeting.replies);

      const ehlo = simulate(['--config', ehloFile], ['EHLO client.test', 'QUIT']);
      expect(ehlo.replies.slice(1)).toEqual([['451 Temporary failure: a lookup did not answer, try again later'], ['221 Bye']]);
      expect(await smtpReplies(ehloFile, ['EHLO client.test', 'QUIT'])).toEqual(ehlo.replies);

      const cases = write('down.test.json', {
        config: 'ehlo.json',
        cases: [{ name: 'EHLO is deferred while the store is down', connection: { remote_ip: '192.0.2.1', local_port: 587 }, session: [{ send: 'EHLO client.test', reply: 451 }, 'QUIT'] }],
      });
      const tested = runCli(['test', cases]);
      expect(tested.code, tested.out).toBe(0);
      expect(tested.err).toContain('lookups: store greet (redis) unreachable');
    } finally {
      await redis.restart();
    }
  });
});

describe('the tools on the configuration a cluster shares', () => {
  it('a file with a configStore stands for the configuration stored there', async () => {
    const table = `tools_${process.pid}`;
    const configStore = { type: 'postgresql', url: postgres.url, table, timeout: '2s' };
    // What the cluster holds: set through the store, not in the file.
    const live = await LiveConfig.open(new PostgresConfigStore(configStoreSettings(configStore)), {});
    try {
      const r = await live.update('MtaStageConnect', { smtpGreeting: { match: [], else: "'from the cluster'" } });
      expect(r.ok).toBe(true);
    } finally {
      await live.close();
    }
    const cluster = write('cluster.json', { configStore, MtaStageConnect: { smtpGreeting: { match: [], else: "'from the file'" } } });
    expect(simulate(['--config', cluster], ['QUIT']).replies[0]).toEqual(['220 from the cluster']);
    // As --backends with no other configuration named: what serve and smtp run on.
    expect(simulate(['--backends', cluster], ['QUIT']).replies[0]).toEqual(['220 from the cluster']);
    // Another configuration named: that one, with the users and lookups of --backends.
    expect(simulate(['--config', snapshotFile, '--backends', cluster], ['QUIT']).replies[0]).toEqual(['220 mx.test ']);

    const replayed = runCli(['replay', 'examples/sessions.jsonl', '--config', 'examples/candidate.json', '--backends', cluster]);
    expect(replayed.code, replayed.err).toBe(0);
    expect(replayed.out.split('\n')[0]).toMatch(new RegExp(`; current: .*${table}.* \\(the configStore of ${cluster.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\); candidate: examples/candidate\\.json$`));
  });
});
