/**
 * key_* and counter_* on a real redis-server started on a loopback port of its own: values,
 * counters incremented atomically with their expiry, a set as a directory, and a server
 * that goes away (the lookup fails at once with an EvaluationError `lookup`, never hangs)
 * and comes back (lookups resume).
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile, EvaluationError } from '../../src/language/index.js';
import { lookupSettings, StoreLookups, type BackendStatus } from '../../src/hosts/index.js';
import { startRedis, type RedisServer } from '../support/databases.js';

let redis: RedisServer;
let admin: Redis;
beforeAll(async () => {
  redis = await startRedis();
  admin = new Redis(redis.url, { lazyConnect: true });
  await admin.connect();
});
afterAll(async () => {
  admin.disconnect();
  await redis.stop();
});

function open(stores: object, directory?: object, onStatus?: (s: BackendStatus) => void): StoreLookups {
  return new StoreLookups(lookupSettings({ stores, ...(directory ? { directory } : {}) }), { ...(onStatus ? { onStatus } : {}) });
}

const run = (l: StoreLookups, expr: string, vars: object = {}): Promise<unknown> => compile(expr).evaluateAsync(vars, { lookups: l });

describe('the Redis store', () => {
  it('gets, sets and tests keys under its prefix; unknown stores give empty', async () => {
    const l = open({ lists: { type: 'redis', url: redis.url, prefix: 'lists:' } });
    await l.ready(2000);
    await admin.set('lists:blocked.example', 'spam source');
    expect(await run(l, "key_get('lists', 'blocked.example')")).toBe('spam source');
    expect(await run(l, "key_exists('lists', 'blocked.example')")).toBe(1);
    expect(await run(l, "key_exists('lists', 'fine.example')")).toBe(0);
    expect(await run(l, "key_get('lists', 'fine.example')")).toBe('');
    expect(await run(l, "key_set('lists', 'greylist:' + remote_ip, 'seen')", { remote_ip: '192.0.2.7' })).toBe(1);
    expect(await admin.get('lists:greylist:192.0.2.7')).toBe('seen');
    expect(await run(l, "key_set('lists', 'n', 42)")).toBe(1);
    expect(await admin.get('lists:n')).toBe('42');
    expect(await run(l, "key_get('nosuchstore', 'x')")).toBe('');
    expect(await run(l, "counter_get('nosuchstore', 'x')")).toBe('');
    await l.close();
  });

  it('counts atomically with an expiry set by the first increment', async () => {
    const l = open({ rate: { type: 'redis', url: redis.url, prefix: 'rate:', counterExpiry: '30s' } });
    await l.ready(2000);
    const counts = await Promise.all(Array.from({ length: 200 }, () => run(l, "counter_incr('rate', 'client:' + remote_ip, 1)", { remote_ip: '198.51.100.1' })));
    expect(new Set(counts).size).toBe(200);
    expect(Math.max(...(counts as number[]))).toBe(200);
    const ttl = await admin.pttl('rate:client:198.51.100.1');
    expect(ttl).toBeGreaterThan(25_000);
    expect(ttl).toBeLessThanOrEqual(30_000);
    expect(await run(l, "counter_get('rate', 'client:198.51.100.1')")).toBe(200);
    expect(await run(l, "counter_get('rate', 'client:203.0.113.9')")).toBe(0);
    // Later increments keep the window's expiry (a fixed window from the first one).
    await admin.pexpire('rate:client:198.51.100.1', 10_000);
    expect(await run(l, "counter_incr('rate', 'client:198.51.100.1', 5)")).toBe(205);
    expect(await admin.pttl('rate:client:198.51.100.1')).toBeLessThanOrEqual(10_000);
    expect(await run(l, "counter_incr('rate', 'float', 1.5)")).toBe(1.5);
    // An error reply of the server fails the lookup; the store is still reachable.
    await admin.set('rate:text', 'not a number');
    await expect(run(l, "counter_incr('rate', 'text', 1)")).rejects.toMatchObject({ code: 'lookup', message: expect.stringMatching(/^counter_incr: store `rate`: ERR /) });
    expect(l.status().find((s) => s.name === 'rate')).toMatchObject({ ok: true });
    // A rate limit as a policy writes it.
    const p = compile({ match: [{ if: "counter_incr('rate', 'auth:' + remote_ip, 1) > 3", then: 'false' }], else: '[plain, login]' }, { variables: 'MtaEhloVariable', constants: 'MtaAuthTypeConstant' });
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await p.evaluateAsync({ remote_ip: '192.0.2.50' }, { lookups: l }));
    expect(answers.map((a) => (Array.isArray(a) ? 'offered' : a))).toEqual(['offered', 'offered', 'offered', 0, 0]);
    await l.close();
  });

  it('a key set with keyExpiry expires', async () => {
    const l = open({ seen: { type: 'redis', url: redis.url, prefix: 'seen:', keyExpiry: '2s' } });
    await l.ready(2000);
    await run(l, "key_set('seen', 'a', 'b')");
    const ttl = await admin.pttl('seen:a');
    expect(ttl).toBeGreaterThan(1000);
    expect(ttl).toBeLessThanOrEqual(2000);
    await l.close();
  });

  it('a Redis set is a directory of local domains or addresses', async () => {
    const l = open({ dir: { type: 'redis', url: redis.url, prefix: 'dir:' } }, { domains: { store: 'dir', set: 'domains' }, addresses: { store: 'dir', set: 'addresses' } });
    await l.ready(2000);
    await admin.sadd('dir:domains', 'example.org', 'example.net');
    await admin.sadd('dir:addresses', 'jane@example.org');
    expect(await run(l, 'is_local_domain(rcpt_domain)', { rcpt_domain: 'Example.ORG' })).toBe(1);
    expect(await run(l, 'is_local_domain(rcpt_domain)', { rcpt_domain: 'example.com' })).toBe(0);
    expect(await run(l, 'is_local_address(rcpt)', { rcpt: 'Jane@example.org' })).toBe(1);
    expect(await run(l, 'is_local_address(rcpt)', { rcpt: 'john@example.org' })).toBe(0);
    await l.close();
  });

  it('fails at once while the server is down, says so once, and resumes when it is back', async () => {
    const events: BackendStatus[] = [];
    const l = open({ rate: { type: 'redis', url: redis.url, prefix: 'down:', timeout: '500ms' } }, undefined, (s) => events.push(s));
    await l.ready(2000);
    expect(await run(l, "counter_incr('rate', 'k', 1)")).toBe(1);
    await redis.kill();
    const failures: unknown[] = [];
    const start = Date.now();
    for (let i = 0; i < 5; i++) failures.push(await run(l, "counter_incr('rate', 'k', 1)").catch((e: unknown) => e));
    expect(Date.now() - start).toBeLessThan(3_000);
    for (const f of failures) {
      expect(f).toBeInstanceOf(EvaluationError);
      expect((f as EvaluationError).code).toBe('lookup');
      expect((f as Error).message).toMatch(/^counter_incr: store `rate`: /);
    }
    expect(l.status().find((s) => s.name === 'rate')).toMatchObject({ ok: false, type: 'redis' });
    expect(events.filter((e) => !e.ok)).toHaveLength(1);
    await redis.restart();
    await l.ready(5000);
    // Redis was restarted empty (no persistence in this test): the counter starts again.
    expect(await run(l, "counter_incr('rate', 'k', 1)")).toBe(1);
    expect(l.status().find((s) => s.name === 'rate')).toMatchObject({ ok: true });
    expect(events.map((e) => e.ok)).toEqual([false, true]);
    await l.close();
    await admin.connect().catch(() => undefined);
  });
});
