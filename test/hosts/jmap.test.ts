/**
 * RFC 8620 against `mta-expr serve` (dist/cli.js on a port of its own), over HTTP: the
 * Session resource and its redirect, the limits it announces and enforces (defaults and
 * `serve` flags), accountId, patch paths, result references, createdIds, Content-Type,
 * per-object states with /changes, the canonical wire form, null-prototype id maps, atomic
 * requests, the history, and the schema resource.
 */
import { readFileSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, call, calls, CORE, post, READER_TOKEN, serve, STALWART, USING, type Served } from '../support/serve.js';

const auth = { Authorization: `Bearer ${ADMIN_TOKEN}` };
const get = (s: Served, object: string, args: object = {}) => call(s, `x:${object}/get`, { ids: ['singleton'], ...args });
const update = (s: Served, object: string, patch: object, extra: object = {}) => call(s, `x:${object}/set`, { update: { singleton: patch }, ...extra });
const block = (s: Served, object: string, field: string) => get(s, object, { properties: [field] }).then((r) => r[1].list[0][field]);

describe('the Session resource', () => {
  let s: Served;
  beforeAll(async () => (s = await serve()));
  afterAll(() => s.stop());

  it('is at /jmap/session, /.well-known/jmap redirects to it, and it needs a token', async () => {
    const wellKnown = await fetch(`${s.url}/.well-known/jmap`, { redirect: 'manual' });
    expect(wellKnown.status).toBe(307);
    expect(wellKnown.headers.get('location')).toBe('/jmap/session');
    expect((await fetch(`${s.url}/.well-known/jmap`, { headers: auth })).url).toBe(`${s.url}/jmap/session`);
    const anonymous = await fetch(`${s.url}/jmap/session`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="mta-expr"');
  });

  it('has the capabilities with the enforced limits, the account, the token name and URLs', async () => {
    const session = (await (await fetch(`${s.url}/jmap/session`, { headers: auth })).json()) as any;
    expect(session.capabilities[CORE]).toEqual({
      maxSizeUpload: 0,
      maxConcurrentUpload: 0,
      maxSizeRequest: 10_000_000,
      maxConcurrentRequests: 4,
      maxCallsInRequest: 16,
      maxObjectsInGet: 500,
      maxObjectsInSet: 500,
      collationAlgorithms: [],
    });
    expect(session.capabilities[STALWART]).toEqual({});
    expect(session.accounts).toEqual({ config: expect.objectContaining({ isPersonal: false, isReadOnly: false }) });
    expect(session.primaryAccounts[STALWART]).toBe('config');
    expect(session.username).toBe('admin');
    expect(session.apiUrl).toBe(`${s.url}/api`);
    expect(session.downloadUrl).toContain('{blobId}');
    expect(typeof session.state).toBe('string');
    const reader = (await (await fetch(`${s.url}/jmap/session`, { headers: { Authorization: `Bearer ${READER_TOKEN}` } })).json()) as any;
    expect(reader.username).toBe('reader');
    expect(reader.accounts.config.isReadOnly).toBe(true);
    expect(reader.state).not.toBe(session.state);
    // Every API response's sessionState is the session's state.
    expect((await post(s, { using: USING, methodCalls: [] })).json.sessionState).toBe(session.state);
    expect((await post(s, { using: USING, methodCalls: [] }, { token: READER_TOKEN })).json.sessionState).toBe(reader.state);
  });

  it('answers what it does not serve without crashing', async () => {
    expect((await fetch(`${s.url}/jmap/download/config/b1/x`, { headers: auth })).status).toBe(404);
    expect((await fetch(`${s.url}/jmap/upload/config/`, { method: 'POST', headers: auth, body: 'x' })).status).toBe(400);
    expect((await fetch(`${s.url}/jmap/session`, { method: 'POST', headers: auth })).status).toBe(405);
    expect((await fetch(`${s.url}/nothing`, { headers: auth })).status).toBe(404);
  });
});

describe('push (the event source)', () => {
  it('sends a StateChange after each change of the types asked for, pings, and ends with closeafter=state', async () => {
    const s = await serve();
    try {
      const session = (await (await fetch(`${s.url}/jmap/session`, { headers: auth })).json()) as any;
      const url = session.eventSourceUrl.replace('{types}', 'x:MtaStageConnect').replace('{closeafter}', 'state').replace('{ping}', '0');
      const res = await fetch(url, { headers: auth });
      expect(res.headers.get('content-type')).toBe('text/event-stream');
      const text = res.text();
      await update(s, 'MtaStageAuth', { 'maxFailures/else': '6' });
      await update(s, 'MtaStageConnect', { 'hostname/else': "'mx.push'" });
      expect(await text).toBe('event: state\ndata: {"@type":"StateChange","changed":{"config":{"x:MtaStageConnect":"1"}}}\n\n');
      const bad = await fetch(`${s.url}/jmap/eventsource/?types=*&closeafter=never&ping=0`, { headers: auth });
      expect(bad.status).toBe(400);
      // A ping every second; an open stream does not keep the server from stopping.
      const open = await fetch(`${s.url}/jmap/eventsource/?types=*&closeafter=no&ping=1`, { headers: auth });
      const reader = open.body!.getReader();
      expect(new TextDecoder().decode((await reader.read()).value)).toBe('event: ping\ndata: {"interval":1}\n\n');
      expect(await s.stop()).toBe(0);
      while (!(await reader.read()).done);
    } finally {
      await s.stop();
    }
  });
});

describe('the schema resource', () => {
  let s: Served;
  beforeAll(async () => (s = await serve()));
  afterAll(() => s.stop());

  it('redirects /api/schema to its digest and describes the objects in the form stalwart-cli reads', async () => {
    const r = await fetch(`${s.url}/api/schema`, { headers: auth, redirect: 'manual' });
    expect(r.status).toBe(307);
    const location = r.headers.get('location')!;
    expect(location).toMatch(/^\/api\/schema\/[A-Za-z0-9_-]{43}$/);
    const schema = (await (await fetch(`${s.url}${location}`, { headers: auth })).json()) as any;
    expect(Object.keys(schema).sort()).toEqual(['dashboards', 'enums', 'fields', 'forms', 'layouts', 'lists', 'objects', 'schemas']);
    expect(schema.objects['x:MtaStageAuth']).toMatchObject({ type: 'singleton', permissionPrefix: 'sysMtaStageAuth' });
    expect(schema.schemas['x:MtaStageConnect']).toEqual({ type: 'single', schemaName: 'x:MtaStageConnect' });
    expect(schema.fields['x:MtaStageAuth'].properties.saslMechanisms).toMatchObject({ type: { type: 'object', objectName: 'x:Expression' }, update: 'mutable', expression: { type: 'constantList', constants: 'MtaAuthTypeConstant' } });
    expect(schema.fields['x:MtaStageAuth'].defaults.maxFailures).toEqual({ match: [], else: '3' });
    expect(schema.enums.MtaAuthTypeConstant.map((v: { name: string }) => v.name)).toContain('xoauth2');
    expect((await fetch(`${s.url}/api/schema/AAAA`, { headers: auth })).status).toBe(404);
    expect((await fetch(`${s.url}${location}`)).status).toBe(401);
  });
});

describe('limits', () => {
  let s: Served;
  beforeAll(async () => (s = await serve()));
  afterAll(() => s.stop());

  it('refuses more than 16 method calls with the limit problem, and executes none', async () => {
    const methodCalls = Array.from({ length: 17 }, (_, i) => ['x:MtaStageAuth/set', { update: { singleton: { maxFailures: { else: String(i + 10) } } } }, `c${i}`]);
    const r = await post(s, { using: USING, methodCalls });
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ type: 'urn:ietf:params:jmap:error:limit', limit: 'maxCallsInRequest' });
    expect((await get(s, 'MtaStageAuth'))[1].state).toBe('0');
    expect((await calls(s, methodCalls.slice(0, 16))).length).toBe(16);
  });

  it('takes its limits from the serve flags, and enforces each', async () => {
    const small = await serve(['--max-calls-in-request', '2', '--max-size-request', '2000', '--max-objects-in-get', '1', '--max-objects-in-set', '2', '--max-concurrent-requests', '2']);
    try {
      const session = (await (await fetch(`${small.url}/jmap/session`, { headers: auth })).json()) as any;
      expect(session.capabilities[CORE]).toMatchObject({ maxCallsInRequest: 2, maxSizeRequest: 2000, maxObjectsInGet: 1, maxObjectsInSet: 2, maxConcurrentRequests: 2 });
      const three = await post(small, { using: USING, methodCalls: [['x:MtaStageAuth/get', {}, 'a'], ['x:MtaStageAuth/get', {}, 'b'], ['x:MtaStageAuth/get', {}, 'c']] });
      expect(three.json.limit).toBe('maxCallsInRequest');
      const big = await post(small, { using: USING, methodCalls: [], pad: 'x'.repeat(2000) });
      expect([big.status, big.json.limit]).toEqual([413, 'maxSizeRequest']);
      expect((await call(small, 'x:MtaStageAuth/get', { ids: ['singleton', 'other'] }))[1]).toMatchObject({ type: 'requestTooLarge' });
      expect((await call(small, 'x:MtaStageAuth/set', { update: { a: {}, b: {} }, destroy: ['c'] }))[1]).toMatchObject({ type: 'requestTooLarge' });
      // Two requests whose bodies have not arrived yet hold both places: a third is refused.
      const body = JSON.stringify({ using: USING, methodCalls: [['x:MtaStageAuth/get', {}, 'a']] });
      const port = Number(new URL(small.url).port);
      const open = [0, 1].map(() => {
        const req = request({ host: '127.0.0.1', port, path: '/api', method: 'POST', headers: { ...auth, 'Content-Type': 'application/json', 'Content-Length': body.length } });
        const answered = new Promise<number>((resolve, reject) => {
          req.on('response', (res) => (res.resume(), resolve(res.statusCode!)));
          req.on('error', reject);
        });
        req.write(body.slice(0, 5));
        return { req, answered };
      });
      await new Promise((r) => setTimeout(r, 200));
      const third = await post(small, body);
      expect([third.status, third.json.limit]).toEqual([400, 'maxConcurrentRequests']);
      for (const o of open) o.req.end(body.slice(5));
      expect(await Promise.all(open.map((o) => o.answered))).toEqual([200, 200]);
      expect((await post(small, body)).status).toBe(200);
    } finally {
      await small.stop();
    }
  });

  it('refuses a bad limit flag as a usage error; the usage gives each default', async () => {
    const { runCli } = await import('../support/cli.js');
    const { DEFAULT_LIMITS } = await import('../../src/hosts/api/session.js');
    const help = runCli(['serve', '--help']).out;
    for (const [name, value] of Object.entries(DEFAULT_LIMITS)) {
      const flag = name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
      expect(help).toMatch(new RegExp(`--${flag} \\S+ +.*\\(default ${value}\\)`));
    }
    const r = runCli(['serve', '--data', '/nonexistent', '--max-calls-in-request', '0']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^error: --max-calls-in-request must be a positive integer, not `0`/);
  });
});

describe('the envelope', () => {
  let s: Served;
  beforeAll(async () => (s = await serve()));
  afterAll(() => s.stop());

  it('returns the account id as a string; an unknown one is accountNotFound, a non-string invalidArguments', async () => {
    expect((await get(s, 'MtaStageAuth'))[1].accountId).toBe('config');
    expect((await get(s, 'MtaStageAuth', { accountId: 'config' }))[1].accountId).toBe('config');
    expect(await get(s, 'MtaStageAuth', { accountId: 'other' })).toEqual(['error', expect.objectContaining({ type: 'accountNotFound' }), 'c1']);
    expect(await get(s, 'MtaStageAuth', { accountId: 7 })).toEqual(['error', expect.objectContaining({ type: 'invalidArguments' }), 'c1']);
    expect(await update(s, 'MtaStageAuth', {}, { accountId: null })).toEqual(['error', expect.objectContaining({ type: 'invalidArguments' }), 'c1']);
  });

  it('is notJSON for a Content-Type other than application/json, parameters allowed', async () => {
    const body = { using: USING, methodCalls: [['x:MtaStageAuth/get', {}, 'a']] };
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1']) {
      const r = await post(s, body, { contentType });
      expect([r.status, r.json.type]).toEqual([400, 'urn:ietf:params:jmap:error:notJSON']);
    }
    expect((await post(s, body, { contentType: 'application/json; charset=utf-8' })).status).toBe(200);
    expect((await post(s, body, { contentType: 'Application/JSON' })).status).toBe(200);
  });

  it('resolves result references (resultOf, name, path, *) and answers one that does not resolve with invalidResultReference', async () => {
    const responses = await calls(s, [
      ['x:MtaStageAuth/get', { ids: null, properties: ['maxFailures'] }, 'a'],
      ['x:MtaStageConnect/get', { '#ids': { resultOf: 'a', name: 'x:MtaStageAuth/get', path: '/list/*/id' } }, 'b'],
      ['x:MtaStageConnect/changes', { '#sinceState': { resultOf: 'b', name: 'x:MtaStageConnect/get', path: '/state' } }, 'c'],
      ['x:MtaStageConnect/get', { '#ids': { resultOf: 'a', name: 'x:MtaStageAuth/get', path: '/nothing' } }, 'd'],
      ['x:MtaStageConnect/get', { '#ids': { resultOf: 'a', name: 'x:MtaStageConnect/get', path: '/list/*/id' } }, 'e'],
      ['x:MtaStageConnect/get', { ids: [], '#ids': { resultOf: 'a', name: 'x:MtaStageAuth/get', path: '/list/*/id' } }, 'f'],
    ]);
    expect(responses[1][1].list.map((r: { id: string }) => r.id)).toEqual(['singleton']);
    expect(responses[2][1]).toMatchObject({ updated: [], newState: '0' });
    expect(responses[3]).toEqual(['error', expect.objectContaining({ type: 'invalidResultReference' }), 'd']);
    expect(responses[4]).toEqual(['error', expect.objectContaining({ type: 'invalidResultReference' }), 'e']);
    expect(responses[5]).toEqual(['error', expect.objectContaining({ type: 'invalidArguments' }), 'f']);
  });

  it('echoes createdIds, and resolves #creation ids in ids', async () => {
    const r = await post(s, { using: USING, createdIds: { k1: 'singleton' }, methodCalls: [['x:MtaStageAuth/get', { ids: ['#k1', '#k2'], properties: ['require'] }, 'a']] });
    expect(r.json.createdIds).toEqual({ k1: 'singleton' });
    expect(r.json.methodResponses[0][1]).toMatchObject({ list: [{ id: 'singleton' }], notFound: ['#k2'] });
    expect((await post(s, { using: USING, methodCalls: [] })).json).not.toHaveProperty('createdIds');
  });

  it('reports every id of a /set, __proto__ included', async () => {
    const [, r] = await call(s, 'x:MtaStageAuth/set', JSON.parse('{"update": {"__proto__": {}, "constructor": {}}, "create": {"__proto__": {}}, "destroy": ["__proto__", "singleton"]}'));
    expect(Object.keys(r.notUpdated).sort()).toEqual(['__proto__', 'constructor']);
    expect(r.notUpdated.__proto__.type).toBe('notFound');
    expect(Object.keys(r.notCreated)).toEqual(['__proto__']);
    expect(r.notDestroyed).toEqual(JSON.parse('{"__proto__": {"type": "notFound", "description": "MtaStageAuth has only the id \\"singleton\\""}, "singleton": {"type": "singleton", "description": "MtaStageAuth is a singleton: it cannot be destroyed"}}'));
  });
});

describe('patches, states and history', () => {
  let s: Served;
  beforeAll(async () => (s = await serve()));
  afterAll(() => s.stop());

  it('applies JSON Pointer paths to the current block and compiles the result', async () => {
    let [, r] = await update(s, 'MtaStageAuth', { 'maxFailures/else': '5', 'saslMechanisms/match/0/then': '[plain]' });
    expect(r.updated).toEqual({ singleton: null });
    expect(await block(s, 'MtaStageAuth', 'maxFailures')).toEqual({ match: [], else: '5' });
    expect((await block(s, 'MtaStageAuth', 'saslMechanisms')).match[0]).toEqual({ if: 'local_port != 25 && is_tls', then: '[plain]' });
    [, r] = await update(s, 'MtaStageAuth', { 'saslMechanisms/match/1': null });
    expect(await block(s, 'MtaStageAuth', 'saslMechanisms')).toEqual({ match: [{ if: 'local_port != 25 && is_tls', then: '[plain]' }], else: 'false' });
    [, r] = await update(s, 'MtaStageAuth', { 'saslMechanisms/match/1': { if: 'local_port == 465', then: '[login]' } });
    expect((await block(s, 'MtaStageAuth', 'saslMechanisms')).match[1]).toEqual({ if: 'local_port == 465', then: '[login]' });
    // stalwart-cli sends maxFailures/else=6 as a number.
    [, r] = await update(s, 'MtaStageAuth', { 'maxFailures/else': 6 });
    expect(await block(s, 'MtaStageAuth', 'maxFailures')).toEqual({ match: [], else: '6' });
    // The patched block is compiled like any other value.
    [, r] = await update(s, 'MtaStageAuth', { 'maxFailures/else': '6 +' });
    expect(r.notUpdated.singleton).toMatchObject({ type: 'invalidProperties', properties: ['maxFailures'] });
    expect(r.notUpdated.singleton.description).toContain('6 +\n  |    ^');
  });

  it('is invalidPatch for a path to nothing, into a value, or into a prefix of another key', async () => {
    const cases: object[] = [
      { 'maxFailures/match/3/then': '1' },
      { 'maxFailures/else/x': '1' },
      { 'maxFailures/other': '1' },
      { 'maxFailures/match/x': {} },
      { maxFailures: { else: '1' }, 'maxFailures/else': '2' },
      { 'saslMechanisms/match/0': { if: 'true', then: '[]' }, 'saslMechanisms/match/0/then': '[plain]' },
      { 'maxFailures/e~2lse': '1' },
    ];
    const before = (await get(s, 'MtaStageAuth'))[1];
    for (const patch of cases) {
      const [, r] = await update(s, 'MtaStageAuth', patch);
      expect(r.notUpdated?.singleton?.type, JSON.stringify(patch)).toBe('invalidPatch');
    }
    expect((await update(s, 'MtaStageAuth', { 'nothing/else': '1' }))[1].notUpdated.singleton).toMatchObject({ type: 'invalidProperties', properties: ['nothing'] });
    expect((await get(s, 'MtaStageAuth'))[1]).toEqual(before);
  });

  it('answers one wire form whatever form was sent', async () => {
    await update(s, 'MtaStageConnect', { smtpGreeting: { match: { 1: { if: 'is_tls', then: "'b'" }, 0: { if: 'local_port == 25', then: "'a'" } }, else: "'c'" }, script: { else: "'s'" } });
    expect(await block(s, 'MtaStageConnect', 'smtpGreeting')).toEqual({ match: [{ if: 'local_port == 25', then: "'a'" }, { if: 'is_tls', then: "'b'" }], else: "'c'" });
    expect(await block(s, 'MtaStageConnect', 'script')).toEqual({ match: [], else: "'s'" });
  });

  it('keeps a state per object; an update that changes nothing keeps the state and writes nothing', async () => {
    const auth0 = (await get(s, 'MtaStageAuth'))[1].state;
    const connect0 = (await get(s, 'MtaStageConnect'))[1].state;
    await update(s, 'MtaStageAuth', { 'maxFailures/else': '9' });
    expect((await get(s, 'MtaStageAuth'))[1].state).toBe(String(Number(auth0) + 1));
    expect((await get(s, 'MtaStageConnect'))[1].state).toBe(connect0);
    const files = ['config.json', 'history.jsonl'].map((f) => join(s.data, f));
    const before = files.map((f) => [readFileSync(f, 'utf8'), statSync(f).mtimeMs]);
    const [, same] = await update(s, 'MtaStageAuth', { maxFailures: { match: {}, else: '9' }, require: { match: [], else: 'local_port != 25' } });
    expect(same).toMatchObject({ updated: { singleton: null }, oldState: String(Number(auth0) + 1), newState: String(Number(auth0) + 1) });
    expect(files.map((f) => [readFileSync(f, 'utf8'), statSync(f).mtimeMs])).toEqual(before);
  });

  it('answers /changes from the state history', async () => {
    const state = (await get(s, 'MtaStageAuth'))[1].state;
    expect((await call(s, 'x:MtaStageAuth/changes', { sinceState: '0' }))[1]).toEqual({ accountId: 'config', oldState: '0', newState: state, hasMoreChanges: false, created: [], updated: ['singleton'], destroyed: [] });
    expect((await call(s, 'x:MtaStageAuth/changes', { sinceState: state, maxChanges: 5 }))[1].updated).toEqual([]);
    expect((await call(s, 'x:MtaStageAuth/changes', { sinceState: '999' }))[1]).toMatchObject({ type: 'cannotCalculateChanges' });
    expect((await call(s, 'x:MtaStageAuth/changes', { sinceState: '0', maxChanges: 0 }))[1]).toMatchObject({ type: 'invalidArguments' });
  });

  it('keeps every accepted change: time, token name, fields, old and new blocks, states', async () => {
    const [name, r] = (await calls(s, [['x:MtaStageAuth/history', { limit: 2 }, 'h']], [...USING, 'urn:mta-expr:jmap:history']))[0];
    expect(name).toBe('x:MtaStageAuth/history');
    expect(r.list).toHaveLength(2);
    const last = r.list[1];
    expect(last).toMatchObject({ token: 'admin', object: 'MtaStageAuth', fields: ['maxFailures'], old: { maxFailures: { match: [], else: '6' } }, new: { maxFailures: { match: [], else: '9' } }, newState: r.state });
    expect(Date.parse(last.time)).toBeGreaterThan(Date.now() - 60_000);
    const lines = readFileSync(join(s.data, 'history.jsonl'), 'utf8').trim().split('\n');
    expect(JSON.parse(lines[lines.length - 1]!)).toMatchObject(last);
    // Without its capability the method is unknown; a reader may read the history.
    expect(await call(s, 'x:MtaStageAuth/history', {})).toEqual(['error', expect.objectContaining({ type: 'unknownMethod' }), 'c1']);
    expect((await calls(s, [['x:MtaStageAuth/history', {}, 'h']], [...USING, 'urn:mta-expr:jmap:history'], READER_TOKEN))[0][0]).toBe('x:MtaStageAuth/history');
  });

  it('applies an atomic request all together or not at all', async () => {
    const using = [...USING, 'urn:mta-expr:jmap:atomic'];
    const before = [(await get(s, 'MtaStageAuth'))[1], (await get(s, 'MtaStageConnect'))[1]];
    const rejected = await calls(s, [
      ['x:MtaStageConnect/set', { update: { singleton: { hostname: { match: [], else: "'mx.atomic'" } } } }, 'a'],
      ['x:MtaStageConnect/get', { properties: ['hostname'] }, 'b'],
      ['x:MtaStageAuth/set', { update: { singleton: { maxFailures: { match: [], else: 'nope +' } } } }, 'c'],
    ], using);
    expect(rejected[0]).toEqual(['error', expect.objectContaining({ type: 'rolledBack' }), 'a']);
    expect(rejected[1][1].list[0].hostname.else).toBe("'mx.atomic'");
    expect(rejected[2][1].notUpdated.singleton.type).toBe('invalidProperties');
    expect([(await get(s, 'MtaStageAuth'))[1], (await get(s, 'MtaStageConnect'))[1]]).toEqual(before);
    const accepted = await calls(s, [
      ['x:MtaStageConnect/set', { ifInState: before[1].state, update: { singleton: { hostname: { match: [], else: "'mx.atomic'" } } } }, 'a'],
      ['x:MtaStageAuth/set', { ifInState: before[0].state, update: { singleton: { maxFailures: { match: [], else: '4' } } } }, 'c'],
    ], using);
    expect(accepted.map((r) => r[1].updated)).toEqual([{ singleton: null }, { singleton: null }]);
    expect((await block(s, 'MtaStageConnect', 'hostname')).else).toBe("'mx.atomic'");
    const stale = await calls(s, [
      ['x:MtaStageConnect/set', { update: { singleton: { hostname: null } } }, 'a'],
      ['x:MtaStageAuth/set', { ifInState: before[0].state, update: { singleton: { maxFailures: null } } }, 'c'],
    ], using);
    expect(stale.map((r) => r[1].type)).toEqual(['rolledBack', 'stateMismatch']);
    expect((await block(s, 'MtaStageConnect', 'hostname')).else).toBe("'mx.atomic'");
  });

  it('keeps states and history across a restart', async () => {
    const before = [(await get(s, 'MtaStageAuth'))[1], (await call(s, 'x:MtaStageAuth/changes', { sinceState: '0' }))[1]];
    await s.stop();
    const again = await serve([], { data: s.data });
    try {
      expect([(await get(again, 'MtaStageAuth'))[1], (await call(again, 'x:MtaStageAuth/changes', { sinceState: '0' }))[1]]).toEqual(before);
    } finally {
      await again.stop();
    }
  });
});
