/**
 * The management API end to end over HTTP on loopback: the reference's curl commands (with
 * the real curl binary where present, and with fetch), every error path, permissions,
 * persistence across restarts, concurrent updates, and the live policy seeing changes.
 */
import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiServer } from '../../src/hosts/api/http.js';
import { LiveConfig } from '../../src/hosts/config/live.js';
import { FileStore, type ConfigStore, type StoredConfig } from '../../src/hosts/config/store.js';
import { PERMISSIONS, TokenTable } from '../../src/hosts/api/tokens.js';
import { SessionPolicy } from '../../src/hosts/smtp/policy.js';

const ADMIN = 'admin-0123456789';
const READER = 'reader-0123456789';
const USING = ['urn:ietf:params:jmap:core', 'urn:stalwart:jmap'];
const GET_AUTH = { methodCalls: [['x:MtaStageAuth/get', { ids: ['singleton'] }, 'c1']], using: USING };
const SET_AUTH = { methodCalls: [['x:MtaStageAuth/set', { update: { singleton: { maxFailures: { else: '7' } } } }, 'c1']], using: USING };
const HAS_CURL = spawnSync('curl', ['--version'], { timeout: 5000 }).status === 0;

interface Api {
  url: string;
  live: LiveConfig;
  server: Server;
  dir: string;
}

async function startApi(dir: string, store: ConfigStore = new FileStore(dir)): Promise<Api> {
  const live = await LiveConfig.open(store);
  const tokens = new TokenTable([
    { token: ADMIN, permissions: PERMISSIONS, name: 'admin' },
    { token: READER, permissions: ['sysMtaStageAuthGet', 'sysMtaStageConnectGet'], name: 'reader' },
  ]);
  const server = createApiServer({ live, tokens, limits: { maxSizeRequest: 64 * 1024, maxConcurrentRequests: 100 } });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/api`, live, server, dir };
}

const stop = async (api: Api): Promise<void> => {
  await new Promise<void>((resolve) => api.server.close(() => resolve()));
  await api.live.close();
};

async function post(api: Api, body: unknown, token: string | null = ADMIN): Promise<{ status: number; json: any }> {
  const res = await fetch(api.url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

const response = (r: { json: any }): [string, any, string] => r.json.methodResponses[0];
const call = (method: string, args: unknown) => ({ methodCalls: [[method, args, 'c1']], using: USING });

describe('management API', () => {
  let api: Api;
  beforeAll(async () => {
    api = await startApi(mkdtempSync(join(tmpdir(), 'mta-expr-api-')));
  });
  afterAll(() => stop(api));

  it.skipIf(!HAS_CURL)('answers the reference curl commands (real curl)', async () => {
    // curl runs as its own process while this one serves it (so not spawnSync).
    const curl = async (body: unknown) => {
      const r = await promisify(execFile)('curl', ['-s', '-X', 'POST', api.url, '-H', `Authorization: Bearer ${ADMIN}`, '-H', 'Content-Type: application/json', '-d', JSON.stringify(body)], { encoding: 'utf8' });
      return JSON.parse(r.stdout);
    };
    const got = await curl(GET_AUTH);
    expect(got.methodResponses[0][0]).toBe('x:MtaStageAuth/get');
    expect(got.methodResponses[0][1].list[0]).toMatchObject({ id: 'singleton', maxFailures: { match: [], else: '3' }, waitOnFail: { match: [], else: '5s' } });
    const set = await curl(SET_AUTH);
    expect(set.methodResponses[0]).toEqual(['x:MtaStageAuth/set', expect.objectContaining({ updated: { singleton: null }, notUpdated: null }), 'c1']);
    expect(set.sessionState).toEqual(expect.any(String));
  });

  it('answers the same requests through fetch, with every field and the state', async () => {
    const r = await post(api, GET_AUTH);
    expect(r.status).toBe(200);
    const [name, result, id] = response(r);
    expect([name, id]).toEqual(['x:MtaStageAuth/get', 'c1']);
    expect(Object.keys(result.list[0])).toEqual(['id', 'maxFailures', 'waitOnFail', 'saslMechanisms', 'mustMatchSender', 'require']);
    expect(result.notFound).toEqual([]);
    const before = result.state;
    const set = response(await post(api, call('x:MtaStageAuth/set', { update: { singleton: { maxFailures: { else: '8' } } } })))[1];
    expect(set.oldState).toBe(before);
    expect(set.newState).not.toBe(before);
    expect(response(await post(api, GET_AUTH))[1].state).toBe(set.newState);
  });

  it('honours ids and properties', async () => {
    const r = response(await post(api, call('x:MtaStageConnect/get', { ids: ['singleton', 'other'], properties: ['hostname'] })))[1];
    expect(r.list).toEqual([{ id: 'singleton', hostname: { match: [], else: "system('hostname')" } }]);
    expect(r.notFound).toEqual(['other']);
    expect(response(await post(api, call('x:MtaStageConnect/get', { ids: null })))[1].list).toHaveLength(1);
  });

  it('rejects a bad expression with a positioned error and keeps the stored value', async () => {
    await post(api, SET_AUTH);
    const before = response(await post(api, GET_AUTH))[1];
    const stored = readFileSync(join(api.dir, 'config.json'), 'utf8');
    const r = response(await post(api, call('x:MtaStageAuth/set', { update: { singleton: { maxFailures: { match: [{ if: 'local_port ==', then: '1' }], else: '3' } } } })))[1];
    expect(r.updated).toBeNull();
    expect(r.notUpdated.singleton).toMatchObject({ type: 'invalidProperties', properties: ['maxFailures'] });
    expect(r.notUpdated.singleton.description).toContain('if of condition 1, line 1, column 14');
    expect(r.notUpdated.singleton.description).toContain('1 | local_port ==\n  |              ^');
    expect(r.newState).toBe(before.state);
    const after = response(await post(api, GET_AUTH))[1];
    expect(after).toEqual(before);
    expect(readFileSync(join(api.dir, 'config.json'), 'utf8')).toBe(stored);
  });

  it('rejects wrong JSON types and unknown properties in an update', async () => {
    const r = response(await post(api, call('x:MtaStageAuth/set', { update: { singleton: { maxFailures: 3 } } })))[1];
    expect(r.notUpdated.singleton).toMatchObject({ type: 'invalidProperties', properties: ['maxFailures'] });
    const u = response(await post(api, call('x:MtaStageAuth/set', { update: { singleton: { maxFailure: { else: '3' } } } })))[1];
    expect(u.notUpdated.singleton).toMatchObject({ type: 'invalidProperties', properties: ['maxFailure'] });
    const bad = response(await post(api, call('x:MtaStageAuth/set', { update: { singleton: { maxFailures: { else: 3 } } } })))[1];
    expect(bad.notUpdated.singleton).toMatchObject({ type: 'invalidProperties', properties: ['maxFailures'] });
    const wrong = response(await post(api, call('x:MtaStageAuth/set', { update: { other: { maxFailures: { else: '3' } } } })))[1];
    expect(wrong.notUpdated.other.type).toBe('notFound');
  });

  it('refuses create and destroy of a singleton per id', async () => {
    const r = response(await post(api, call('x:MtaStageAuth/set', { create: { new1: { maxFailures: { else: '3' } } }, destroy: ['singleton'] })))[1];
    expect(r.notCreated.new1).toMatchObject({ type: 'singleton' });
    expect(r.notDestroyed.singleton).toMatchObject({ type: 'singleton' });
    expect(r.created).toBeNull();
    expect(r.destroyed).toBeNull();
  });

  it('honours ifInState', async () => {
    const state = response(await post(api, GET_AUTH))[1].state;
    const mismatch = response(await post(api, call('x:MtaStageAuth/set', { ifInState: 'nope', update: { singleton: { maxFailures: { else: '4' } } } })));
    expect(mismatch).toEqual(['error', expect.objectContaining({ type: 'stateMismatch' }), 'c1']);
    const ok = response(await post(api, call('x:MtaStageAuth/set', { ifInState: state, update: { singleton: { maxFailures: { else: '4' } } } })))[1];
    expect(ok).toMatchObject({ oldState: state, updated: { singleton: null } });
  });

  it('restores a default with null', async () => {
    await post(api, call('x:MtaStageConnect/set', { update: { singleton: { script: { else: "'welcome'" } } } }));
    expect(response(await post(api, call('x:MtaStageConnect/get', { properties: ['script'] })))[1].list[0].script).toEqual({ match: [], else: "'welcome'" });
    await post(api, call('x:MtaStageConnect/set', { update: { singleton: { script: null } } }));
    expect(response(await post(api, call('x:MtaStageConnect/get', { properties: ['script'] })))[1].list[0].script).toEqual({ match: [], else: 'false' });
  });

  it.each([
    ['a missing token', null, 401],
    ['an unknown token', 'unknown-token-000', 401],
  ])('answers HTTP 401 to %s', async (_what, token, status) => {
    const res = await post(api, GET_AUTH, token);
    expect(res.status).toBe(status);
    expect(res.json.status).toBe(401);
  });

  it('answers forbidden to a token without the permission', async () => {
    expect(response(await post(api, GET_AUTH, READER))[0]).toBe('x:MtaStageAuth/get');
    expect(response(await post(api, SET_AUTH, READER))).toEqual(['error', expect.objectContaining({ type: 'forbidden' }), 'c1']);
  });

  it.each([
    ['malformed JSON', '{"methodCalls": [', 'notJSON'],
    ['a request that is not an object', '[1, 2]', 'notRequest'],
    ['methodCalls of the wrong shape', JSON.stringify({ using: USING, methodCalls: [['x:MtaStageAuth/get', 'x']] }), 'notRequest'],
    ['an unknown capability', JSON.stringify({ using: [...USING, 'urn:example:nope'], methodCalls: [] }), 'unknownCapability'],
  ])('answers %s with the RFC request error', async (_what, body, type) => {
    const res = await post(api, body);
    expect(res.status).toBe(400);
    expect(res.json.type).toBe(`urn:ietf:params:jmap:error:${type}`);
  });

  it('answers a request over the size limit with the limit error, HTTP 413', async () => {
    const res = await post(api, JSON.stringify({ using: USING, methodCalls: [], pad: 'x'.repeat(70 * 1024) }));
    expect(res.status).toBe(413);
    expect(res.json).toMatchObject({ type: 'urn:ietf:params:jmap:error:limit', limit: 'maxSizeRequest' });
  });

  it.each([
    ['an unknown method', call('x:Nothing/get', {}), 'unknownMethod'],
    ['a method without its capability', { methodCalls: [['x:MtaStageAuth/get', {}, 'c1']], using: ['urn:ietf:params:jmap:core'] }, 'unknownMethod'],
    ['an unknown argument', call('x:MtaStageAuth/get', { idz: [] }), 'invalidArguments'],
    ['ids of the wrong type', call('x:MtaStageAuth/get', { ids: 'singleton' }), 'invalidArguments'],
    ['an unknown property', call('x:MtaStageAuth/get', { properties: ['nope'] }), 'invalidArguments'],
    ['update of the wrong type', call('x:MtaStageAuth/set', { update: [] }), 'invalidArguments'],
    ['a result reference to no call', call('x:MtaStageAuth/get', { '#ids': { resultOf: 'c0', name: 'x', path: '/ids' } }), 'invalidResultReference'],
  ])('answers %s with a method error', async (_what, body, type) => {
    const res = await post(api, body);
    expect(res.status).toBe(200);
    expect(response(res)).toEqual(['error', expect.objectContaining({ type }), 'c1']);
  });

  it('runs several method calls in order', async () => {
    const res = await post(api, {
      using: USING,
      methodCalls: [
        ['x:MtaStageAuth/set', { update: { singleton: { require: { else: 'true' } } } }, 'a'],
        ['x:MtaStageAuth/get', { properties: ['require'] }, 'b'],
        ['x:Bogus/get', {}, 'c'],
      ],
    });
    const [a, b, c] = res.json.methodResponses;
    expect(a[2]).toBe('a');
    expect(b[1].list[0].require).toEqual({ match: [], else: 'true' });
    expect(c).toEqual(['error', expect.objectContaining({ type: 'unknownMethod' }), 'c']);
  });

  it('answers other paths and methods without crashing', async () => {
    expect((await fetch(api.url.replace('/api', '/nope'))).status).toBe(404);
    expect((await fetch(api.url)).status).toBe(405);
  });
});

describe('persistence and concurrency', () => {
  it('keeps the data across a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mta-expr-api-'));
    const first = await startApi(dir);
    await post(first, call('x:MtaStageConnect/set', { update: { singleton: { smtpGreeting: { else: "'persisted'" } } } }));
    const state = first.live.stateOf('MtaStageConnect');
    await stop(first);
    const second = await startApi(dir);
    const r = response(await post(second, call('x:MtaStageConnect/get', { properties: ['smtpGreeting'] })))[1];
    expect(r.state).toBe(state);
    expect(r.list[0].smtpGreeting).toEqual({ match: [], else: "'persisted'" });
    await stop(second);
  });

  it('serialises 50 concurrent updates: none is lost, the file is always whole', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mta-expr-api-'));
    const api = await startApi(dir);
    const start = Number(api.live.stateOf('MtaStageAuth'));
    let reading = true;
    let reads = 0;
    const reader = (async () => {
      while (reading) {
        try {
          JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
          reads++;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        }
        await new Promise((r) => setImmediate(r));
      }
    })();
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        post(api, call('x:MtaStageAuth/set', { update: { singleton: { maxFailures: { else: String(i + 10) } } } })).then((r) => response(r)[1]),
      ),
    );
    reading = false;
    await reader;
    expect(reads).toBeGreaterThan(0);
    const newStates = results.map((r) => Number(r.newState)).sort((a, b) => a - b);
    expect(newStates).toEqual(Array.from({ length: 50 }, (_, i) => start + i + 1));
    for (const r of results) expect(Number(r.newState)).toBe(Number(r.oldState) + 1);
    const stored = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as StoredConfig;
    expect(stored.states.MtaStageAuth).toBe(String(start + 50));
    const history = readFileSync(join(dir, 'history.jsonl'), 'utf8').trim().split('\n');
    expect(history).toHaveLength(50);
    const last = results.find((r) => Number(r.newState) === start + 50);
    expect(last).toBeDefined();
    expect(readdirSync(dir).sort()).toEqual(['config.json', 'history.jsonl', 'lock']);
    await stop(api);
  });

  it('changes nothing when the store cannot write', async () => {
    const failing: ConfigStore = { open: async (initial) => initial, commit: async () => Promise.reject(new Error('disk full')), history: async () => [] };
    const api = await startApi(mkdtempSync(join(tmpdir(), 'mta-expr-api-')), failing);
    const r = response(await post(api, SET_AUTH));
    expect(r).toEqual(['error', expect.objectContaining({ type: 'serverFail', description: expect.stringMatching(/^internal server error \(request [0-9a-f-]{36}; the detail is in the server's log\)$/) }), 'c1']);
    expect(JSON.stringify(r)).not.toContain('disk full');
    expect(api.live.stateOf('MtaStageAuth')).toBe('0');
    expect(api.live.object('MtaStageAuth').isDefault('maxFailures')).toBe(true);
    await stop(api);
  });

  it('hands a successful update to a running session policy without a restart', async () => {
    const api = await startApi(mkdtempSync(join(tmpdir(), 'mta-expr-api-')));
    const policy = new SessionPolicy(() => api.live.objects(), { env: { system: { hostname: 'mx.test' } } });
    const conn = { listener: 'submission', remote_ip: '192.0.2.1', remote_port: 1, local_ip: '127.0.0.1', local_port: 587, is_tls: false };
    expect((await policy.session(conn).connect()).greeting).toBe('mx.test Stalwart ESMTP at your service');
    await post(api, call('x:MtaStageConnect/set', { update: { singleton: { smtpGreeting: { else: "system('hostname') + ' ready'" } } } }));
    expect((await policy.session(conn).connect()).greeting).toBe('mx.test ready');
    await stop(api);
  });
});

describe('token names', () => {
  it('names each token (default token-N); two tokens of one name, or a token named admin in the file, are refused', async () => {
    const { serverConfig } = await import('../../src/hosts/cli/server-config.js');
    const table = new TokenTable([{ token: READER, permissions: [] }, { token: ADMIN, permissions: [], name: 'ci' }]);
    expect(table.lookup(READER)?.name).toBe('token-1');
    expect(table.lookup(ADMIN)?.name).toBe('ci');
    expect(() => new TokenTable([{ token: READER, permissions: [], name: 'ci' }, { token: ADMIN, permissions: [], name: 'ci' }])).toThrow('two tokens are named "ci"');
    expect(() => new TokenTable([{ token: READER, permissions: [], name: '' }])).toThrow('a token name must be 1 to 64 printable characters');
    expect(() => serverConfig({ tokens: [{ token: READER, permissions: [], name: 'admin' }] })).toThrow("the token name admin is the administrator's");
  });
});
