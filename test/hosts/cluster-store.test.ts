/**
 * The configuration shared by a cluster, in PostgreSQL (a server of its own on a loopback
 * port): several LiveConfigs on one store see each other's updates through LISTEN/NOTIFY,
 * concurrent updates lose nothing, each object keeps a state of its own, ifInState and the
 * history are the cluster's, and a lost store leaves the last good configuration in force
 * until it is back.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configStoreSettings, LiveConfig, PostgresConfigStore, SettingsError, type FollowOptions } from '../../src/hosts/index.js';
import { startPostgres, type PostgresServer } from '../support/databases.js';

let server: PostgresServer;
beforeAll(async () => {
  server = await startPostgres();
}, 60_000);
afterAll(async () => {
  await server?.stop();
});

let tables = 0;
const open: LiveConfig[] = [];

/** `n` nodes on one fresh configuration in the store. */
async function nodes(n: number, initial: Record<string, Record<string, unknown>> = {}, events?: Array<{ node: number; kind: string }>): Promise<LiveConfig[]> {
  const table = `cfg_${process.pid}_${++tables}`;
  const lives: LiveConfig[] = [];
  for (let i = 0; i < n; i++) {
    const live = await LiveConfig.open(new PostgresConfigStore(configStoreSettings({ type: 'postgresql', url: server.url, table, timeout: '1s' })), initial as never);
    const options: FollowOptions = { pollInterval: 200, onEvent: (e) => events?.push({ node: i, kind: e.kind }) };
    live.follow(options);
    lives.push(live);
    open.push(live);
  }
  return lives;
}

afterAll(async () => {
  await Promise.all(open.map((l) => l.close()));
});

async function eventually(check: () => boolean, ms = 1000): Promise<number> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > ms) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return Date.now() - start;
}

const greeting = (live: LiveConfig): unknown => live.object('MtaStageConnect').block('smtpGreeting');
const connectState = (live: LiveConfig): string => live.stateOf('MtaStageConnect');
const authState = (live: LiveConfig): string => live.stateOf('MtaStageAuth');

describe('PostgresConfigStore', () => {
  it('the first node seeds the store; every node serves what is stored', async () => {
    const [a] = await nodes(1, { MtaStageConnect: { smtpGreeting: { else: "'seeded by a'" } } });
    const b = await LiveConfig.open(new PostgresConfigStore(configStoreSettings({ type: 'postgresql', url: server.url, table: `cfg_${process.pid}_${tables}` })), {
      MtaStageConnect: { smtpGreeting: { else: "'seeded by b'" } },
    });
    open.push(b);
    expect(greeting(a!)).toEqual({ match: [], else: "'seeded by a'" });
    expect(greeting(b)).toEqual({ match: [], else: "'seeded by a'" });
    expect(connectState(b)).toBe('0');
  });

  it('an update on one node is in force on the others within a second', async () => {
    const [a, b, c] = await nodes(3);
    const told: Array<Readonly<Record<string, string>>> = [];
    b!.onChange((changed) => told.push(changed));
    const result = await a!.update('MtaStageConnect', { smtpGreeting: { else: "'from a'" } });
    expect(result).toEqual({ ok: true, oldState: '0', newState: '1', changed: ['smtpGreeting'] });
    const ms = await eventually(() => connectState(b!) === '1' && connectState(c!) === '1');
    expect(ms).toBeLessThan(1000);
    expect(await c!.object('MtaStageConnect').evaluate('smtpGreeting', {})).toBe('from a');
    // Only that object's state moved; b's push listeners heard of it.
    expect([authState(b!), authState(c!)]).toEqual(['0', '0']);
    expect(told).toEqual([{ MtaStageConnect: '1' }]);
  });

  it('concurrent updates on different nodes lose nothing', async () => {
    const [a, b, c] = await nodes(3);
    const fields = ['maxFailures', 'waitOnFail', 'require'] as const;
    const writes = [a!, b!, c!].flatMap((live, i) =>
      Array.from({ length: 8 }, (_, k) => live.update('MtaStageAuth', { [fields[i]!]: { else: fields[i] === 'waitOnFail' ? `'${k + 1}s'` : fields[i] === 'require' ? (k % 2 ? 'true' : 'false') : String(k + 1) } })),
    );
    const results = await Promise.all(writes);
    expect(results.every((r) => r.ok)).toBe(true);
    const states = results.map((r) => (r.ok ? Number(r.newState) : 0)).sort((x, y) => x - y);
    expect(states).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
    await eventually(() => [a, b, c].every((l) => authState(l!) === '24'));
    // Each node's last write of its own field is there, on every node, with the whole history.
    for (const live of [a!, b!, c!]) {
      const auth = live.object('MtaStageAuth');
      expect(auth.block('maxFailures')).toEqual({ match: [], else: '8' });
      expect(auth.block('waitOnFail')).toEqual({ match: [], else: "'8s'" });
      expect(auth.block('require')).toEqual({ match: [], else: 'true' });
      const history = await live.history('MtaStageAuth');
      expect(history.map((e) => [e.oldState, e.newState])).toEqual(Array.from({ length: 24 }, (_, i) => [String(i), String(i + 1)]));
    }
  });

  it('ifInState compares with the state in the store, not with what a node saw last', async () => {
    const [a, b] = await nodes(2);
    await a!.update('MtaStageAuth', { maxFailures: { else: '4' } });
    // b has not necessarily reloaded yet; its update with the old state must be refused all the same.
    const stale = await b!.update('MtaStageAuth', { maxFailures: { else: '9' } }, '0');
    expect(stale).toEqual({ ok: false, stateMismatch: true, state: '1' });
    // The state a client read on a is good on b at once, whether or not b has heard of it.
    expect(await b!.update('MtaStageAuth', { maxFailures: { else: '9' } }, '1')).toMatchObject({ ok: true, oldState: '1', newState: '2' });
    // Another object's state is its own: MtaStageConnect is still at 0.
    expect(await a!.update('MtaStageConnect', { smtpGreeting: { else: "'x'" } }, '0')).toMatchObject({ ok: true, oldState: '0', newState: '1' });
    await eventually(() => authState(a!) === '2');
    expect(a!.object('MtaStageAuth').block('maxFailures')).toEqual({ match: [], else: '9' });
    // A rejected block changes nothing anywhere.
    const bad = await a!.update('MtaStageAuth', { maxFailures: { else: '1 +' } });
    expect(bad.ok).toBe(false);
    expect(authState(a!)).toBe('2');
    expect((await b!.history('MtaStageAuth')).map((e) => e.newState)).toEqual(['1', '2']);
  });

  it('a lost store leaves the last good configuration in force; when it is back, updates resume', async () => {
    const events: Array<{ node: number; kind: string }> = [];
    const [a, b] = await nodes(2, {}, events);
    await a!.update('MtaStageConnect', { smtpGreeting: { else: "'before the outage'" } });
    await eventually(() => connectState(b!) === '1');
    expect(a!.health()).toMatchObject({ ok: true });
    await server.kill();
    try {
      await eventually(() => !a!.health().ok && !b!.health().ok, 3000);
      expect(events.filter((e) => e.kind === 'lost').map((e) => e.node).sort()).toEqual([0, 1]);
      expect(b!.health()).toMatchObject({ ok: false, error: expect.any(String), store: expect.stringMatching(/^postgresql:\/\/127\.0\.0\.1:\d+\/postgres table cfg_/) });
      expect(await b!.object('MtaStageConnect').evaluate('smtpGreeting', {})).toBe('before the outage');
      await expect(a!.update('MtaStageConnect', { smtpGreeting: { else: "'during'" } })).rejects.toThrow();
      expect(connectState(a!)).toBe('1');
    } finally {
      await server.restart();
    }
    await eventually(() => a!.health().ok && b!.health().ok, 5000);
    expect(events.filter((e) => e.kind === 'found').map((e) => e.node).sort()).toEqual([0, 1]);
    await b!.update('MtaStageConnect', { smtpGreeting: { else: "'after the outage'" } });
    await eventually(() => connectState(a!) === '2');
    expect(await a!.object('MtaStageConnect').evaluate('smtpGreeting', {})).toBe('after the outage');
  }, 30_000);

  it('a configuration written into the table that does not compile is refused; the last good one stays', async () => {
    const events: Array<{ node: number; kind: string }> = [];
    const [a] = await nodes(1, {}, events);
    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    await client.query(`UPDATE cfg_${process.pid}_${tables} SET state = '7', overrides = '{"maxFailures": {"else": "1 +"}}' WHERE object = 'MtaStageAuth'`);
    await client.query(`NOTIFY cfg_${process.pid}_${tables}, 'default MtaStageAuth'`);
    await client.end();
    await eventually(() => events.some((e) => e.kind === 'invalid'));
    expect(authState(a!)).toBe('0');
    expect(a!.health().ok).toBe(true);
  });

  it('settings are checked with their paths', () => {
    expect(() => configStoreSettings({ type: 'redis', url: 'redis://x' })).toThrow(SettingsError);
    expect(() => configStoreSettings({ type: 'redis', url: 'redis://x' })).toThrow('configStore.type: must be postgresql (the shared configuration store)');
    expect(() => configStoreSettings({ type: 'postgresql', url: 'postgresql://x', table: 'Bad-Name' })).toThrow('configStore.table: must be a lower-case SQL name of at most 48 characters (letters, digits, _)');
    expect(() => configStoreSettings({ type: 'postgresql' })).toThrow('configStore.url: is required');
  });
});
