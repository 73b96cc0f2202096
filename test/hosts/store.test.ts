/**
 * The ConfigStore contract, for the file store, the memory store and the PostgreSQL store
 * (a server of its own on a loopback port) alike: create-if-absent, compare-and-set commits
 * that write nothing on a mismatch, history kept with the configuration; and the file
 * store's recovery from a crash between its two writes.
 */
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresConfigStore } from '../../src/hosts/config/postgres-store.js';
import { FileStore, MemoryStore, type ConfigChange, type ConfigStore, type HistoryEntry } from '../../src/hosts/config/store.js';
import { startPostgres, type PostgresServer } from '../support/databases.js';

const INITIAL = { states: { A: '0', B: '0' }, objects: { A: {}, B: { f: { match: [], else: '1' } } } };
const entry = (object: string, oldState: string, newState: string, value: string): HistoryEntry => ({
  time: '2026-01-01T00:00:00.000Z',
  token: 'admin',
  object,
  fields: ['f'],
  old: { f: null },
  new: { f: { match: [], else: value } },
  oldState,
  newState,
});
const change = (object: string, expected: string, state: string, value: string): ConfigChange => ({
  objects: { [object]: { expected, state, overrides: { f: { match: [], else: value } } } },
  entries: [entry(object, expected, state, value)],
});

let postgres: PostgresServer;
const opened: ConfigStore[] = [];
let tables = 0;
beforeAll(async () => {
  postgres = await startPostgres();
}, 60_000);
afterAll(async () => {
  await Promise.all(opened.map((s) => s.close?.()));
  await postgres?.stop();
});

/** A PostgreSQL store on tables of its own (a fresh configuration). */
function postgresStore(table = `store_${process.pid}_${++tables}`): PostgresConfigStore {
  const store = new PostgresConfigStore({ url: postgres.url, table, timeout: 2000 });
  opened.push(store);
  return store;
}

describe.each([
  ['FileStore', () => new FileStore(mkdtempSync(join(tmpdir(), 'mta-expr-store-')))],
  ['MemoryStore', () => new MemoryStore()],
  ['PostgresConfigStore', () => postgresStore()],
] as Array<[string, () => ConfigStore]>)('%s', (_name, make) => {
  it('stores the initial configuration once, then returns what is stored', async () => {
    const store = make();
    expect(await store.open(INITIAL)).toEqual(INITIAL);
    expect(await store.commit(change('A', '0', '1', '5'))).toBe(true);
    expect(await store.open({ states: {}, objects: {} })).toEqual({ states: { A: '1', B: '0' }, objects: { A: { f: { match: [], else: '5' } }, B: INITIAL.objects.B } });
  });

  it('commits only when each changed object still has its expected state, and keeps the history with it', async () => {
    const store = make();
    await store.open(INITIAL);
    expect(await store.commit(change('A', '0', '1', '5'))).toBe(true);
    expect(await store.commit(change('A', '0', '1', '6'))).toBe(false);
    // A change of B is not held back by A's state: states are per object.
    expect(await store.commit(change('B', '0', '1', '7'))).toBe(true);
    const both: ConfigChange = { objects: { ...change('A', '1', '2', '8').objects, ...change('B', '0', '2', '9').objects }, entries: [entry('A', '1', '2', '8'), entry('B', '0', '2', '9')] };
    expect(await store.commit(both)).toBe(false);
    const stored = await store.open(INITIAL);
    expect(stored.states).toEqual({ A: '1', B: '1' });
    expect(stored.objects.A).toEqual({ f: { match: [], else: '5' } });
    expect(await store.history('A')).toEqual([entry('A', '0', '1', '5')]);
    expect(await store.history('B')).toEqual([entry('B', '0', '1', '7')]);
  });

  it('commits several objects and their entries together, in order, and an object it never stored from the initial state', async () => {
    const store = make();
    await store.open(INITIAL);
    const both: ConfigChange = {
      objects: { ...change('A', '0', '1', '2').objects, ...change('B', '0', '1', '3').objects },
      entries: [entry('A', '0', '1', '2'), entry('B', '0', '1', '3')],
    };
    expect(await store.commit(both)).toBe(true);
    expect(await store.commit(change('A', '1', '2', '4'))).toBe(true);
    expect(await store.history('A')).toEqual([entry('A', '0', '1', '2'), entry('A', '1', '2', '4')]);
    // C was added to the schema after the store was seeded: its state is the initial one.
    expect(await store.commit(change('C', '0', '1', '5'))).toBe(true);
    expect(await store.commit(change('C', '0', '1', '6'))).toBe(false);
    const stored = await store.open(INITIAL);
    expect(stored.states).toEqual({ A: '2', B: '1', C: '1' });
    expect(stored.objects.C).toEqual({ f: { match: [], else: '5' } });
    expect(await store.history('C')).toEqual([entry('C', '0', '1', '5')]);
  });
});

describe('PostgresConfigStore', () => {
  it('is one configuration for every store on the same tables: exactly one of concurrent commits from one state wins', async () => {
    const table = `store_${process.pid}_${++tables}`;
    const nodes = [postgresStore(table), postgresStore(table), postgresStore(table)];
    await Promise.all(nodes.map((n) => n.open(INITIAL)));
    const results = await Promise.all(nodes.map((n, i) => n.commit(change('A', '0', '1', String(10 + i)))));
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = results.indexOf(true);
    for (const n of nodes) {
      expect((await n.open(INITIAL)).objects.A).toEqual({ f: { match: [], else: String(10 + winner) } });
      expect(await n.history('A')).toEqual([entry('A', '0', '1', String(10 + winner))]);
    }
  });

  it('writes nothing of a commit one of whose objects has moved on (no entry, no other object)', async () => {
    const store = postgresStore();
    await store.open(INITIAL);
    expect(await store.commit(change('B', '0', '1', '1'))).toBe(true);
    const both: ConfigChange = { objects: { ...change('A', '0', '1', '2').objects, ...change('B', '0', '1', '3').objects }, entries: [entry('A', '0', '1', '2'), entry('B', '0', '1', '3')] };
    expect(await store.commit(both)).toBe(false);
    expect((await store.open(INITIAL)).states).toEqual({ A: '0', B: '1' });
    expect(await store.history('A')).toEqual([]);
    expect(await store.history('B')).toEqual([entry('B', '0', '1', '1')]);
  });

  it('notifies the other stores of a commit, once it is committed', async () => {
    const table = `store_${process.pid}_${++tables}`;
    const [writer, watcher] = [postgresStore(table), postgresStore(table)];
    await writer.open(INITIAL);
    let changes = 0;
    let listening = false;
    const stop = watcher.watch({ onChange: () => changes++, onStatus: (ok) => (listening = ok) });
    try {
      for (let i = 0; !listening && i < 200; i++) await new Promise((r) => setTimeout(r, 10));
      expect(listening).toBe(true);
      const before = changes;
      expect(await writer.commit(change('A', '0', '1', '5'))).toBe(true);
      for (let i = 0; changes === before && i < 200; i++) await new Promise((r) => setTimeout(r, 10));
      expect(changes).toBeGreaterThan(before);
      // A refused commit notifies nobody.
      const after = changes;
      expect(await writer.commit(change('A', '0', '1', '6'))).toBe(false);
      await new Promise((r) => setTimeout(r, 100));
      expect(changes).toBe(after);
    } finally {
      await stop();
    }
  });
});

describe('FileStore', () => {
  it('drops history lines of a change config.json does not hold (a crash between the writes), and cuts them off at the next commit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mta-expr-store-'));
    const first = new FileStore(dir);
    await first.open(INITIAL);
    await first.commit(change('A', '0', '1', '5'));
    // The crash: the next commit's line was appended, config.json not replaced; then a torn line.
    appendFileSync(join(dir, 'history.jsonl'), JSON.stringify({ commit: 2, ...entry('A', '1', '2', 'lost') }) + '\n{"commit": 3, "obj');
    await first.close();
    const second = new FileStore(dir);
    expect((await second.open(INITIAL)).states.A).toBe('1');
    expect(await second.history('A')).toEqual([entry('A', '0', '1', '5')]);
    expect(await second.commit(change('A', '1', '2', '6'))).toBe(true);
    expect(await second.history('A')).toEqual([entry('A', '0', '1', '5'), entry('A', '1', '2', '6')]);
    const lines = readFileSync(join(dir, 'history.jsonl'), 'utf8').split('\n');
    expect(lines.map((l) => (l ? JSON.parse(l).commit : null))).toEqual([1, 2, null]);
  });

  it('reads a configuration file of the earlier format (one state for everything)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mta-expr-store-'));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ state: '7', objects: { A: {}, B: {} } }));
    const store = new FileStore(dir);
    expect((await store.open(INITIAL)).states).toEqual({ A: '7', B: '7' });
    expect(await store.commit(change('A', '7', '8', '1'))).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'))).toMatchObject({ commit: 1, states: { A: '8', B: '7' } });
  });

  it('refuses a file that is not a configuration', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mta-expr-store-'));
    writeFileSync(join(dir, 'config.json'), '{"objects": 1}');
    await expect(new FileStore(dir).open(INITIAL)).rejects.toThrow('is not a configuration file');
    writeFileSync(join(dir, 'config.json'), '{');
    await expect(new FileStore(dir).open(INITIAL)).rejects.toThrow('is not JSON');
  });
});

describe('two servers on one shared store', () => {
  it('a change made on a stale configuration is computed again on the stored one: nothing is lost', async () => {
    const { LiveConfig } = await import('../../src/hosts/config/live.js');
    const shared = new MemoryStore();
    const one = await LiveConfig.open(shared);
    const two = await LiveConfig.open(shared);
    expect(await one.update('MtaStageAuth', { maxFailures: { match: [], else: '5' } }, undefined, 'one')).toMatchObject({ ok: true, newState: '1' });
    // `two` still holds state 0: its commit is refused, it reads the store again and retries.
    expect(await two.update('MtaStageAuth', { waitOnFail: { match: [], else: '1s' } }, undefined, 'two')).toMatchObject({ ok: true, oldState: '1', newState: '2' });
    expect(two.object('MtaStageAuth').block('maxFailures').else).toBe('5');
    expect((await shared.history('MtaStageAuth')).map((e) => [e.token, e.oldState, e.newState])).toEqual([['one', '0', '1'], ['two', '1', '2']]);
    // ifInState is checked against the stored state, not the stale one.
    expect(await one.update('MtaStageAuth', { require: { match: [], else: 'true' } }, '1')).toMatchObject({ ok: false, stateMismatch: true, state: '2' });
  });
});
