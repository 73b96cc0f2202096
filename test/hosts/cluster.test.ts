/**
 * End to end: three `mta-expr serve --smtp` processes (dist/cli.js) on one PostgreSQL
 * configuration store and one Redis, each started by this test on loopback ports of its own.
 * An update through node A changes the greeting node C sends within a second; a
 * counter_incr rate limit counts the connections of all three nodes; with the store killed,
 * every node keeps serving the last good configuration and says so in its log and its health
 * endpoint; with the store back, updates resume everywhere. The history, `/changes` and
 * `ifInState` are the cluster's on every node. A fourth process, `mta-expr smtp`
 * on the same file, follows the shared configuration without an API of its own.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI } from '../support/cli.js';
import { ROOT } from '../support/helpers.js';
import { startPostgres, startRedis, type PostgresServer, type RedisServer } from '../support/databases.js';
import { SmtpClient } from '../support/smtp-client.js';

const TOKEN = 'cluster-admin-token-1';

interface Node {
  name: string;
  child: ChildProcessWithoutNullStreams;
  out: string;
  err: string;
  api: string;
  smtp: number;
}

let pg: PostgresServer;
let redis: RedisServer;
let admin: Redis;
let dir: string;
const nodes: Node[] = [];
/** An `mta-expr smtp` process on the same file: it follows the shared configuration without an API. */
let follower: Node;

async function until(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<number> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > ms) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return Date.now() - start;
}

async function startNode(name: string, config: string, command: 'serve' | 'smtp' = 'serve'): Promise<Node> {
  const flags = command === 'serve' ? ['serve', '--listen', '127.0.0.1:0', '--smtp'] : ['smtp'];
  const child = spawn(process.execPath, [CLI, ...flags, '--config', config, '--hostname', name, '--smtp-port', '0', '--submission-port', '0'], {
    cwd: ROOT,
    env: { ...process.env, MTA_EXPR_ADMIN_TOKEN: TOKEN },
  });
  const node: Node = { name, child, out: '', err: '', api: '', smtp: 0 };
  child.stdout.setEncoding('utf8').on('data', (d: string) => (node.out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (node.err += d));
  await until(() => /smtp on 127\.0\.0\.1:(\d+)/.test(node.out) || child.exitCode !== null, 20_000, `${name} starts`);
  if (child.exitCode !== null) throw new Error(`${name} exited: ${node.err}`);
  node.api = /(http:\/\/127\.0\.0\.1:\d+)\/api/.exec(node.out)?.[1] ?? '';
  node.smtp = Number(/smtp on 127\.0\.0\.1:(\d+)/.exec(node.out)![1]);
  return node;
}

async function greeting(node: Node): Promise<{ code: number; line: string }> {
  const c = await SmtpClient.open(node.smtp);
  const r = await c.read(5000);
  c.close();
  return { code: r.code, line: r.lines[0]! };
}

async function jmap(node: Node, call: [string, Record<string, unknown>]): Promise<[string, Record<string, unknown>]> {
  const res = await fetch(`${node.api}/api`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ using: ['urn:ietf:params:jmap:core', 'urn:stalwart:jmap', 'urn:mta-expr:jmap:history'], methodCalls: [[...call, 'c1']] }),
  });
  const body = (await res.json()) as { methodResponses: Array<[string, Record<string, unknown>, string]> };
  const [name, args] = body.methodResponses[0]!;
  return [name, args];
}

const setGreeting = (node: Node, expr: string): Promise<[string, Record<string, unknown>]> =>
  jmap(node, ['x:MtaStageConnect/set', { update: { singleton: { smtpGreeting: { match: [{ if: "counter_incr('rate', 'conn:' + remote_ip, 1) > 5", then: "system('hostname') + ' busy'" }], else: expr } } } }]);

async function health(node: Node): Promise<{ status: string; states: Record<string, string>; configStore: { ok: boolean; error?: string }; stores: Array<{ name: string; ok: boolean }> }> {
  return (await (await fetch(`${node.api}/health`)).json()) as never;
}

beforeAll(async () => {
  [pg, redis] = await Promise.all([startPostgres(), startRedis()]);
  admin = new Redis(redis.url);
  dir = mkdtempSync(join(tmpdir(), 'mta-expr-cluster-'));
  const config = join(dir, 'node.json');
  writeFileSync(
    config,
    JSON.stringify({
      configStore: { type: 'postgresql', url: pg.url, timeout: '1s' },
      stores: { rate: { type: 'redis', url: redis.url, prefix: 'cluster:', counterExpiry: '1m', timeout: '500ms' } },
      MtaStageConnect: { smtpGreeting: { else: "system('hostname') + ' seeded'" } },
    }),
  );
  nodes.push(...(await Promise.all(['node-a', 'node-b', 'node-c'].map((n) => startNode(n, config)))));
  follower = await startNode('node-d', config, 'smtp');
}, 60_000);

afterAll(async () => {
  await Promise.all(
    [...nodes, ...(follower ? [follower] : [])].map(
      (n) =>
        new Promise<void>((resolve) => {
          if (n.child.exitCode !== null) return resolve();
          const kill = setTimeout(() => n.child.kill('SIGKILL'), 5000);
          n.child.once('exit', () => {
            clearTimeout(kill);
            resolve();
          });
          n.child.kill('SIGTERM');
        }),
    ),
  );
  admin?.disconnect();
  await Promise.all([pg?.stop(), redis?.stop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('three nodes on one configuration store and one Redis', () => {
  it('share updates, counters, and survive the loss of the store', async () => {
    const [a, b, c] = nodes as [Node, Node, Node];
    // Every node serves the configuration the first one stored.
    for (const n of nodes) expect(await greeting(n)).toEqual({ code: 220, line: `${n.name} seeded` });

    // An update through A is what C greets with, within a second.
    const [name, set] = await setGreeting(a, "system('hostname') + ' v1'");
    expect(name).toBe('x:MtaStageConnect/set');
    expect(set).toMatchObject({ updated: { singleton: null } });
    const ms = await until(async () => (await greeting(c)).line === 'node-c v1', 1000, 'node C greets with v1');
    expect(ms).toBeLessThan(1000);
    expect((await greeting(b)).line).toBe('node-b v1');
    await until(async () => (await greeting(follower)).line === 'node-d v1', 1000, 'the smtp process follows too');

    // B answers from the shared history, and takes the state A answered as its own.
    const [, history] = await jmap(b, ['x:MtaStageConnect/history', {}]);
    expect((history.list as Array<{ token: string; oldState: string; newState: string; fields: string[] }>).map((e) => [e.token, e.oldState, e.newState, e.fields])).toEqual([['admin', '0', '1', ['smtpGreeting']]]);
    expect((await jmap(b, ['x:MtaStageConnect/changes', { sinceState: '0' }]))[1]).toMatchObject({ oldState: '0', newState: '1', updated: ['singleton'] });
    expect((await jmap(c, ['x:MtaStageConnect/set', { ifInState: '0', update: { singleton: { hostname: { else: "'x'" } } } }]))[1]).toMatchObject({ type: 'stateMismatch' });
    expect((await health(c)).states).toEqual({ MtaStageAuth: '0', MtaStageConnect: '1', PostfixPolicy: '0' });

    // The rate limit counts the connections of all three nodes in Redis: the sixth is busy wherever it lands.
    await admin.del('cluster:conn:127.0.0.1');
    const lines: string[] = [];
    for (const n of [a, b, c, a, b, c]) lines.push((await greeting(n)).line);
    lines.push((await greeting(follower)).line);
    expect(lines).toEqual(['node-a v1', 'node-b v1', 'node-c v1', 'node-a v1', 'node-b v1', 'node-c busy', 'node-d busy']);
    expect(await admin.get('cluster:conn:127.0.0.1')).toBe('7');
    expect(await admin.pttl('cluster:conn:127.0.0.1')).toBeGreaterThan(50_000);
    await admin.del('cluster:conn:127.0.0.1');

    // The store is killed: every node notices, logs it, says so on /health, and still serves v1.
    await pg.kill();
    try {
      await until(async () => (await Promise.all(nodes.map(health))).every((h) => h.status === 'degraded'), 5000, 'every node degraded');
      for (const n of nodes) {
        const h = await health(n);
        expect(h).toMatchObject({ status: 'degraded', configStore: { ok: false, error: expect.any(String) }, stores: expect.arrayContaining([{ name: 'rate', type: 'redis', ok: true, since: expect.any(String) }]) });
        expect(n.err).toMatch(/config: store unreachable \(.+\): serving the last good configuration\n/);
        expect(await greeting(n)).toEqual({ code: 220, line: `${n.name} v1` });
      }
      const [failName, failed] = await setGreeting(b, "system('hostname') + ' during the outage'");
      expect(failName).toBe('error');
      expect(failed).toMatchObject({ type: 'serverFail' });
      expect((await greeting(a)).line).toBe('node-a v1');
    } finally {
      await pg.restart();
    }

    // The store is back: the nodes find it again, and an update through C reaches A and B.
    await until(async () => (await Promise.all(nodes.map(health))).every((h) => h.status === 'ok'), 10_000, 'every node ok again');
    for (const n of nodes) expect(n.err).toMatch(/config: store reachable again\n/);
    await admin.del('cluster:conn:127.0.0.1');
    const [, again] = await setGreeting(c, "system('hostname') + ' v2'");
    expect(again).toMatchObject({ oldState: '1', newState: '2' });
    await until(async () => (await greeting(a)).line === 'node-a v2' && (await greeting(b)).line === 'node-b v2', 1000, 'A and B greet with v2');
    await until(async () => (await greeting(follower)).line === 'node-d v2', 1000, 'D greets with v2');
    expect(follower.err).toMatch(/config: store unreachable \(.+\): serving the last good configuration\n[^]*config: store reachable again\n/);
    expect((await health(a)).states.MtaStageConnect).toBe('2');
    expect(a.out).toMatch(/config: from the store: MtaStageConnect 2\n/);
  }, 60_000);
});
