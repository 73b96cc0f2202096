/**
 * The live configuration: the compiled objects in force, each object's state string, its
 * history, and the only way to change them. Changes run in transactions, serialised (none
 * is lost), validated completely before anything is stored (nothing is half-applied),
 * committed durably with their history entries, and only then put in force, so a running
 * session policy picks them up for the next session. A change that changes nothing keeps
 * the state and writes nothing.
 *
 * On a store shared by a cluster (one that can `watch`), a transaction first reads what the
 * store holds now, so `ifInState` is compared with the cluster's state and not with what
 * this process saw last; the store's compare-and-set refuses a change another node made
 * meanwhile, and the transaction runs again on the latest configuration. `follow()` puts in
 * force what other nodes commit. When the store is lost, the last good configuration stays
 * in force and `health()` says since when the store is unreachable.
 */
import type { BlockInput } from '../../language/index.js';
import { hasOwn } from '../json.js';
import { ConfigError, ConfigObject, sameBlock, type CanonicalBlock } from './object.js';
import { fieldSchema, objectSchema, SCHEMA, type Schema } from './schema.js';
import { INITIAL_STATE, type ConfigChange, type ConfigStore, type HistoryEntry, type StoredConfig } from './store.js';
import { refusalText, Validator } from './validate.js';

/** The compiled configuration objects in force, by name. */
export type ConfigObjects = Readonly<Record<string, ConfigObject>>;

export type UpdateResult =
  | { ok: true; oldState: string; newState: string; changed: string[] }
  | { ok: false; stateMismatch: true; state: string }
  | { ok: false; stateMismatch: false; properties: string[]; description: string; error?: ConfigError };

interface Snapshot {
  states: Readonly<Record<string, string>>;
  objects: Readonly<Record<string, ConfigObject>>;
}

/** The configuration store as seen by this process. */
export interface StoreHealth {
  ok: boolean;
  /** Since when the store is reachable or not (ISO 8601). */
  since: string;
  error?: string;
  /** Where the configuration is. */
  store?: string;
}

/** What following a shared store reports. */
export type FollowEvent =
  /** The store was lost (with the error) or found again. */
  | { kind: 'lost' | 'found'; error?: Error }
  /** Other nodes changed these objects: their new states, now in force. */
  | { kind: 'reloaded'; changed: Readonly<Record<string, string>> }
  /** The stored configuration does not compile: the last good one stays in force. */
  | { kind: 'invalid'; error: Error };

export interface FollowOptions {
  onEvent?: (event: FollowEvent) => void;
  /** Besides the store's notifications, the store is read this often (ms; default 5000). */
  pollInterval?: number;
}

/** What readers of the configuration see: the live configuration, or a transaction's view of it. */
export interface ConfigView {
  readonly schema: Schema;
  /** An object's state string. */
  stateOf(name: string): string;
  object(name: string): ConfigObject;
  /** The accepted changes of an object, oldest first. */
  history(name: string): Promise<HistoryEntry[]>;
}

/** Every object of the schema, compiled with its overrides. Throws ConfigError. */
export function buildObjects(overrides: Readonly<Record<string, Readonly<Record<string, BlockInput>>>>, schema: Schema = SCHEMA): ConfigObjects {
  for (const name of Object.keys(overrides)) if (objectSchema(schema, name) === undefined) throw new ConfigError(name, '*', 'unknown object');
  return Object.fromEntries(Object.keys(schema).map((name) => [name, new ConfigObject(name, hasOwn(overrides, name) ? overrides[name] : {}, schema)]));
}

function lookup(snapshot: Snapshot, name: string): ConfigObject {
  const o = hasOwn(snapshot.objects, name) ? snapshot.objects[name] : undefined;
  if (o === undefined) throw new ConfigError(name, '*', 'unknown object');
  return o;
}

const stateIn = (snapshot: Pick<Snapshot, 'states'>, name: string): string => (hasOwn(snapshot.states, name) ? snapshot.states[name]! : INITIAL_STATE);

/** The objects whose state differs between two snapshots, with their states in the second. */
function changedStates(from: Snapshot, to: Snapshot): Record<string, string> {
  const changed: Record<string, string> = {};
  for (const name of Object.keys(to.objects)) if (stateIn(from, name) !== stateIn(to, name)) changed[name] = stateIn(to, name);
  return changed;
}

/** The state after a state: states are counters. */
const nextState = (state: string): string => (/^[0-9]+$/.test(state) ? String(Number(state) + 1) : `${state}.1`);

/**
 * Changes to the configuration, staged: reads see them, and the live configuration commits
 * them all together (or none) when the transaction ends.
 */
export class ConfigTransaction implements ConfigView {
  private staged: Snapshot;
  private readonly entries: HistoryEntry[] = [];
  private readonly base: Snapshot;

  constructor(
    base: Snapshot,
    readonly schema: Schema,
    private readonly store: ConfigStore,
    /** The name of the token making the changes (kept in the history). */
    readonly token: string,
    private readonly now: () => Date,
    /** Where `updateOffThread` compiles (absent: on this thread). */
    private readonly validator?: Validator,
  ) {
    this.base = base;
    this.staged = base;
  }

  stateOf(name: string): string {
    return stateIn(this.staged, name);
  }

  object(name: string): ConfigObject {
    return lookup(this.staged, name);
  }

  async history(name: string): Promise<HistoryEntry[]> {
    return [...(await this.store.history(name)), ...this.entries.filter((e) => e.object === name)];
  }

  /** Whether anything was changed. */
  get changed(): boolean {
    return this.entries.length > 0;
  }

  /**
   * Applies a patch to one object: a block sets a field, null restores its default. The
   * whole object is compiled before anything is staged.
   */
  update(name: string, patch: Readonly<Record<string, BlockInput | null>>, ifInState?: string): UpdateResult {
    const merged = this.merge(name, patch, ifInState);
    if ('ok' in merged) return merged;
    let object: ConfigObject;
    try {
      object = new ConfigObject(name, merged.overrides, this.schema);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      return { ok: false, stateMismatch: false, properties: [e.field], description: refusalText(e), error: e };
    }
    return this.stage(name, object);
  }

  /**
   * Applies a patch as `update` does, compiled and linted in the compile worker (validate.ts)
   * so the event loop is not held: the staged object compiles each field when first used.
   * Resolves with the lint warnings of the fields the patch set, by field.
   */
  async updateOffThread(name: string, patch: Readonly<Record<string, BlockInput | null>>): Promise<{ result: UpdateResult; warnings: Record<string, Array<Record<string, unknown>>> }> {
    const merged = this.merge(name, patch);
    if ('ok' in merged) return { result: merged, warnings: {} };
    const validator = this.validator ?? new Validator(this.schema, { inline: true });
    const verdict = await validator.validate(name, merged.overrides, Object.keys(patch));
    if (!verdict.ok) return { result: { ok: false, stateMismatch: false, properties: verdict.properties, description: verdict.description }, warnings: {} };
    return { result: this.stage(name, new ConfigObject(name, merged.overrides, this.schema, { validated: true })), warnings: verdict.warnings };
  }

  /** An object's overrides with a patch applied (not yet compiled), or why the patch cannot apply. */
  private merge(name: string, patch: Readonly<Record<string, BlockInput | null>>, ifInState?: string): { overrides: Record<string, BlockInput> } | Extract<UpdateResult, { ok: false }> {
    const oldState = this.stateOf(name);
    if (ifInState !== undefined && ifInState !== oldState) return { ok: false, stateMismatch: true, state: oldState };
    const schema = objectSchema(this.schema, name);
    if (schema === undefined) return { ok: false, stateMismatch: false, properties: [], description: `unknown object ${name}` };
    const unknown = Object.keys(patch).filter((f) => fieldSchema(schema, f) === undefined);
    if (unknown.length > 0) {
      return { ok: false, stateMismatch: false, properties: unknown, description: `unknown propert${unknown.length > 1 ? 'ies' : 'y'}: ${unknown.join(', ')}` };
    }
    const merged: Record<string, BlockInput> = { ...this.object(name).overrides() };
    for (const [field, block] of Object.entries(patch)) {
      if (block === null) delete merged[field];
      else merged[field] = block;
    }
    return { overrides: merged };
  }

  /** Stages an object compiled from a patch: its changed fields, a new state and the history entry (nothing when nothing changed). */
  private stage(name: string, object: ConfigObject): UpdateResult {
    const oldState = this.stateOf(name);
    const before = this.object(name).overrides();
    const after = object.overrides();
    const override = (o: Record<string, CanonicalBlock>, f: string): CanonicalBlock | null => (hasOwn(o, f) ? o[f]! : null);
    const changed = Object.keys(object.schema.fields).filter((f) => {
      const a = override(before, f);
      const b = override(after, f);
      return a === null || b === null ? a !== b : !sameBlock(a, b);
    });
    if (changed.length === 0) return { ok: true, oldState, newState: oldState, changed };
    const newState = nextState(oldState);
    this.entries.push({
      time: this.now().toISOString(),
      token: this.token,
      object: name,
      fields: changed,
      old: Object.fromEntries(changed.map((f) => [f, override(before, f)])),
      new: Object.fromEntries(changed.map((f) => [f, override(after, f)])),
      oldState,
      newState,
    });
    this.staged = { states: { ...this.staged.states, [name]: newState }, objects: { ...this.staged.objects, [name]: object } };
    return { ok: true, oldState, newState, changed };
  }

  /** What to commit: each changed object with the state it was read in. */
  change(): ConfigChange {
    const objects: ConfigChange['objects'] = {};
    for (const e of this.entries) {
      objects[e.object] = { expected: stateIn(this.base, e.object), state: this.stateOf(e.object), overrides: this.object(e.object).overrides() };
    }
    return { objects, entries: this.entries };
  }

  /** The configuration with the staged changes. */
  result(): Snapshot {
    return this.staged;
  }
}

/**
 * How often a transaction is retried when a shared store was changed by another server
 * meanwhile (each node of a busy cluster may commit in between).
 */
const COMMIT_ATTEMPTS = 50;

export class LiveConfig implements ConfigView {
  private snapshot: Snapshot;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly listeners = new Set<(changed: Readonly<Record<string, string>>) => void>();
  private storeHealth: StoreHealth = { ok: true, since: new Date().toISOString() };
  private stopFollowing: (() => Promise<void>) | undefined;
  private reloadPending = false;
  private readonly validator: Validator;

  private constructor(
    private readonly store: ConfigStore,
    private readonly initial: StoredConfig,
    snapshot: Snapshot,
    /** The objects this configuration holds. */
    readonly schema: Schema,
    private readonly now: () => Date,
  ) {
    this.snapshot = snapshot;
    this.validator = new Validator(schema);
  }

  /**
   * Opens the stored configuration; when nothing is stored yet, `initial` (e.g. from the
   * server's configuration file) is stored first. Throws ConfigError when the stored data is
   * invalid.
   */
  static async open(
    store: ConfigStore,
    initial: Record<string, Record<string, BlockInput>> = {},
    schema: Schema = SCHEMA,
    options: { now?: () => Date } = {},
  ): Promise<LiveConfig> {
    const objects = buildObjects(initial, schema);
    const seed: StoredConfig = {
      states: Object.fromEntries(Object.keys(schema).map((name) => [name, INITIAL_STATE])),
      objects: Object.fromEntries(Object.entries(objects).map(([name, o]) => [name, o.overrides()])),
    };
    const live = new LiveConfig(store, seed, { states: seed.states, objects }, schema, options.now ?? (() => new Date()));
    // What is stored, not the seed: a stored object may differ from the seed at the same state.
    live.snapshot = await live.latest(true);
    return live;
  }

  /** Reads the stored configuration again (after another server changed a shared store). */
  async reload(): Promise<void> {
    this.snapshot = await this.latest();
  }

  /**
   * The stored configuration, compiled: an object whose state is unchanged keeps its compiled
   * form, and the snapshot itself is returned when no state changed (unless `whole`: every
   * object compiled from what is stored). Throws when the store
   * fails (the health says so) or holds an object that does not compile (ConfigError).
   */
  private async latest(whole = false): Promise<Snapshot> {
    let stored: StoredConfig;
    try {
      stored = await this.store.open(this.initial);
    } catch (e) {
      this.setHealth(false, e);
      throw e;
    }
    // A followed store is healthy only while its change notifications arrive too (follow() says so).
    if (this.stopFollowing === undefined) this.setHealth(true);
    const current = this.snapshot;
    for (const name of Object.keys(stored.objects)) if (objectSchema(this.schema, name) === undefined) throw new ConfigError(name, '*', 'unknown object');
    const same = (name: string): boolean => !whole && stateIn(stored, name) === stateIn(current, name);
    if (Object.keys(this.schema).every(same)) return current;
    const objects = Object.fromEntries(
      Object.keys(this.schema).map((name) => [name, same(name) ? current.objects[name]! : new ConfigObject(name, hasOwn(stored.objects, name) ? stored.objects[name] : {}, this.schema)]),
    );
    return { states: stored.states, objects };
  }

  /** The configuration store as this process sees it. */
  health(): StoreHealth {
    const store = this.store.describe?.();
    return { ...this.storeHealth, ...(store === undefined ? {} : { store }) };
  }

  private setHealth(ok: boolean, error?: unknown): void {
    const message = error === undefined ? undefined : error instanceof Error ? error.message || (error as { code?: string }).code || error.name : String(error);
    if (this.storeHealth.ok === ok && this.storeHealth.error === message) return;
    const changed = this.storeHealth.ok !== ok;
    this.storeHealth = { ok, since: changed ? new Date().toISOString() : this.storeHealth.since, ...(message === undefined ? {} : { error: message }) };
  }

  /** Puts a snapshot in force and tells the listeners which objects changed. */
  private advance(next: Snapshot): void {
    const changed = changedStates(this.snapshot, next);
    this.snapshot = next;
    if (Object.keys(changed).length > 0) for (const l of this.listeners) l(changed);
  }

  /**
   * Follows a shared store: whatever another node commits is compiled and put in force (the
   * next session uses it, push listeners are told). While the store cannot be reached the
   * last good configuration stays in force. Does nothing for a store that is not shared.
   */
  follow(options: FollowOptions = {}): void {
    if (this.stopFollowing !== undefined || this.store.watch === undefined) return;
    const onEvent = options.onEvent ?? (() => undefined);
    // What was last reported: a change that fails on a lost store changes the health too, and the event is still told once.
    let reported = this.storeHealth.ok;
    // Whether the store's change notifications reach this process: only then is it following.
    let listening = false;
    const report = (ok: boolean, error?: unknown): void => {
      this.setHealth(ok, error);
      if (ok === reported) return;
      reported = ok;
      onEvent(ok ? { kind: 'found' } : { kind: 'lost', error: error instanceof Error ? error : new Error(String(error)) });
    };
    const reload = (): void => {
      if (this.reloadPending) return;
      this.reloadPending = true;
      const run = this.queue.then(async () => {
        this.reloadPending = false;
        let next: Snapshot;
        try {
          next = await this.latest();
        } catch (e) {
          if (e instanceof ConfigError) onEvent({ kind: 'invalid', error: e });
          else report(false, e);
          return;
        }
        if (listening) report(true);
        if (next === this.snapshot) return;
        const changed = changedStates(this.snapshot, next);
        this.advance(next);
        onEvent({ kind: 'reloaded', changed });
      });
      this.queue = run.catch(() => undefined);
    };
    const stopWatch = this.store.watch({
      onChange: reload,
      onStatus: (ok, error) => {
        listening = ok;
        if (ok) reload();
        else report(false, error);
      },
    });
    const poll = setInterval(reload, options.pollInterval ?? 5000);
    poll.unref();
    this.stopFollowing = async () => {
      clearInterval(poll);
      await stopWatch();
    };
  }

  /** Starts the compile worker of the changes now, so the first change does not wait for it. */
  warmCompiler(): void {
    this.validator.warm();
  }

  /** Stops following the store and closes it. */
  async close(): Promise<void> {
    await this.stopFollowing?.();
    this.stopFollowing = undefined;
    await this.queue;
    await this.validator.close();
    await this.store.close?.();
  }

  stateOf(name: string): string {
    lookup(this.snapshot, name);
    return stateIn(this.snapshot, name);
  }

  object(name: string): ConfigObject {
    return lookup(this.snapshot, name);
  }

  /** Every object in force now (a session policy asks once per session). */
  objects(): ConfigObjects {
    return this.snapshot.objects;
  }

  history(name: string): Promise<HistoryEntry[]> {
    lookup(this.snapshot, name);
    return this.store.history(name);
  }

  /**
   * Calls `listener` after every change put in force (committed here, or by another node of a
   * followed store) with the new state of each changed object; returns the unsubscribe function.
   */
  onChange(listener: (changed: Readonly<Record<string, string>>) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Runs `fn` on a transaction, serialised with every other one, and commits what it staged
   * when `commitIf(result)` holds (by default always); otherwise nothing is kept. When a
   * shared store was changed meanwhile, the configuration is read again and `fn` runs again
   * (COMMIT_ATTEMPTS times at most).
   */
  transaction<T>(token: string, fn: (tx: ConfigTransaction) => T | Promise<T>, commitIf: (result: T) => boolean = () => true): Promise<T> {
    const run = this.queue.then(async () => {
      // A shared store: compare with what the cluster holds now, not with what this process saw last.
      if (this.store.watch !== undefined) this.advance(await this.latest());
      for (let attempt = 1; ; attempt++) {
        const tx = new ConfigTransaction(this.snapshot, this.schema, this.store, token, this.now, this.validator);
        const result = await fn(tx);
        if (!tx.changed || !commitIf(result)) return result;
        let committed: boolean;
        try {
          committed = await this.store.commit(tx.change());
        } catch (e) {
          this.setHealth(false, e);
          throw e;
        }
        if (committed) {
          this.advance(tx.result());
          return result;
        }
        if (attempt === COMMIT_ATTEMPTS) throw new Error('the configuration store kept changing under this change; try again');
        this.advance(await this.latest());
      }
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Applies a patch to one object (see ConfigTransaction.update) in a transaction of its own. */
  update(name: string, patch: Record<string, BlockInput | null>, ifInState?: string, token = 'local'): Promise<UpdateResult> {
    return this.transaction(token, (tx) => tx.update(name, patch, ifInState));
  }
}
